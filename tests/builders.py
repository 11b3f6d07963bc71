"""Small, real files built in memory for extraction tests: PDFs, OLE containers, ZIPs, DOCX."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

import brotli
import docx
from pypdf import PdfReader, PdfWriter

MB_BYTES = 1024 * 1024
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes.fromhex("00000001 00000001 0802000000")


def _pdf_string(line: str) -> bytes:
    """A PDF literal string in WinAnsi (cp1252), with (, ) and \\ escaped."""
    raw = line.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def pdf_bytes(pages: list[str]) -> bytes:
    """A valid PDF, one page per string (lines split on \\n), Helvetica text, exact xref.

    An empty string gives a page with no text at all, like a scan without OCR.
    """
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, text in enumerate(pages):
        ops = [b"BT /F1 12 Tf 14 TL 72 720 Td"]
        ops += [_pdf_string(line) + b" Tj T*" for line in text.split("\n")]
        stream = b"\n".join([*ops, b"ET"]) if text else b""
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    return assemble_pdf(objects)


def assemble_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of numbered ``objects`` (1 is the catalog) with an exact xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def encrypted_pdf(data: bytes, user_password: str, owner_password: str = "owner") -> bytes:
    """``data`` re-written by pypdf with AES-256 encryption."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def docx_bytes(document: docx.document.Document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def docx_from_text(text: str) -> bytes:
    """A real Word document (python-docx) holding ``text``, one paragraph per blank line."""
    document = docx.Document()
    for para in text.split("\n\n"):
        document.add_paragraph(para)
    return docx_bytes(document)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_of_zeros(name: str, size: int) -> bytes:
    """A ZIP whose one member is ``size`` zero bytes: deflate shrinks it about 1000×.

    Streamed in 1 MB chunks, so a 300 MB member costs ~300 KB of memory and well under 1 s.
    """
    buf = io.BytesIO()
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(buf, "w") as zf, zf.open(info, "w", force_zip64=size > 2**31) as member:
        left = size
        while left:
            member.write(chunk[: min(left, len(chunk))])
            left -= min(left, len(chunk))
    return buf.getvalue()


_FREESECT, _ENDOFCHAIN, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (v3, 512-byte sectors) holding the given streams.

    Streams of 4096 bytes or more go in regular sectors; shorter ones must be empty (no
    mini stream is written). At most three streams (one directory sector).
    """
    if len(streams) > 3 or any(0 < len(d) < 4096 for d in streams.values()):
        raise ValueError("up to three streams, each empty or at least 4096 bytes")
    ss = 512
    fat = [_FATSECT, _ENDOFCHAIN]  # sector 0: the FAT, sector 1: the directory
    data_sectors = bytearray()
    entries = [("Root Entry", 5, _ENDOFCHAIN, 0)]
    for name, data in streams.items():
        if not data:
            entries.append((name, 2, _ENDOFCHAIN, 0))
            continue
        first = len(fat)
        count = -(-len(data) // ss)
        fat += [first + i + 1 for i in range(count - 1)] + [_ENDOFCHAIN]
        data_sectors += data + bytes(count * ss - len(data))
        entries.append((name, 2, first, len(data)))
    fat += [_FREESECT] * (ss // 4 - len(fat))
    directory = bytearray()
    for index, (name, kind, start, size) in enumerate(entries):
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        child = 1 if index == 0 and len(entries) > 1 else _NOSTREAM
        right = index + 1 if 0 < index < len(entries) - 1 else _NOSTREAM
        directory += encoded.ljust(64, b"\x00")
        directory += struct.pack("<HBBIII", len(encoded), kind, 1, _NOSTREAM, right, child)
        directory += bytes(16 + 4 + 8 + 8)  # CLSID, state bits, creation and modified times
        directory += struct.pack("<IQ", start, size)
    directory += bytes(ss - len(directory))
    header = bytearray(ss)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 0x28, 0, 1, 1, 0, 4096, _ENDOFCHAIN, 0, _ENDOFCHAIN, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([_FREESECT] * 108))
    fat_sector = struct.pack(f"<{ss // 4}I", *fat)
    return bytes(header) + fat_sector + bytes(directory) + bytes(data_sectors)


def word97_stream(encrypted: bool) -> bytes:
    """The start of a Word 97 ``WordDocument`` stream: a FIB with fEncrypted set or not."""
    fib = bytearray(4096)
    struct.pack_into("<HH", fib, 0, 0xA5EC, 0xC1)
    struct.pack_into("<H", fib, 0x0A, 0x0100 if encrypted else 0)
    return bytes(fib)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT_NS = "http://purl.oclc.org/ooxml/wordprocessingml/main"


def docx_from_body(body: str, *, namespace: str = W_NS, content_type: str | None = None) -> bytes:
    """A minimal Word package around hand-written ``<w:body>`` XML (prefix ``w``).

    For markup python-docx cannot write: tracked changes, alternate content, fields, Strict.
    Prefixes ``mc``, ``m`` and ``v`` are declared too.
    """
    main_type = content_type or (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    )
    strict = namespace == W_STRICT_NS
    rel_base = (
        "http://purl.oclc.org/ooxml/officeDocument/relationships"
        if strict
        else "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    )
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{namespace}"'
        ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
        ' xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
        ' xmlns:v="urn:schemas-microsoft-com:vml">'
        f"<w:body>{body}</w:body></w:document>"
    )
    return zip_bytes(
        {
            "[Content_Types].xml": (
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Default Extension="rels" '
                'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>'
            ).encode(),
            "_rels/.rels": (
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                f'<Relationship Id="rId1" Type="{rel_base}/officeDocument" '
                'Target="word/document.xml"/></Relationships>'
            ).encode(),
            "word/document.xml": document.encode(),
        }
    )


def with_zip_encryption_flag(data: bytes) -> bytes:
    """``data`` with the 'encrypted' bit set on every member, as a password-protected ZIP has.

    Python cannot write encrypted ZIPs; the flag alone is what readers look at first.
    """
    out = bytearray(data)
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = out.find(signature)
        while start != -1:
            out[start + flag_offset] |= 0x01
            start = out.find(signature, start + 4)
    return bytes(out)


def _deflate_padding(prefix: bytes, fill: bytes, repeats: int, suffix: bytes) -> bytes:
    """Raw deflate of ``prefix + fill * repeats + suffix`` without inflating it all here.

    After a full flush the compressor starts afresh, so every copy of ``fill`` compresses to
    the same bytes: ``fill`` is compressed once and its block repeated. 1 GiB costs ~1 MB.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(fill) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(fill) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert again == block, "deflate blocks differ after a full flush"
    tail = compressor.compress(suffix) + compressor.flush()
    return head + block * (repeats - 1) + again + tail if repeats else head + tail


def zip_with_sizes(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP written by hand from (name, raw deflate data, CRC-32, declared size).

    The declared size goes into both the local header and the central directory, whatever
    the data really inflates to: zipfile cannot write a ZIP that lies.
    """
    out = bytearray()
    central = bytearray()
    for name, data, crc, declared in members:
        encoded = name.encode()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(data), declared)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, len(out)) + encoded
        out += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + data
    count = len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), len(out), 0)
    return bytes(out + central + end)


def docx_with_padding(padding: int, declared: int | None = None) -> bytes:
    """A Word package ("Hi") whose document.xml holds ``padding`` spaces inside its body.

    The part is valid XML that really inflates to a little more than ``padding`` bytes
    (1 GiB in ~1 MB of file); its headers declare ``declared`` bytes, or the truth if None.
    """
    honest = zipfile.ZipFile(io.BytesIO(docx_from_body("<w:p><w:r><w:t>Hi</w:t></w:r></w:p>")))
    members = []
    for info in honest.infolist():
        data = honest.read(info)
        if info.filename != "word/document.xml":
            compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
            raw = compressor.compress(data) + compressor.flush()
            members.append((info.filename, raw, zlib.crc32(data), len(data)))
            continue
        prefix, suffix = data.split(b"<w:body>")
        prefix += b"<w:body>"
        fill = b" " * MB_BYTES
        repeats, rest = divmod(padding, len(fill))
        suffix = b" " * rest + suffix
        crc = zlib.crc32(prefix)
        for _ in range(repeats):
            crc = zlib.crc32(fill, crc)
        crc = zlib.crc32(suffix, crc)
        raw = _deflate_padding(prefix, fill, repeats, suffix)
        real = len(prefix) + padding + len(suffix)
        members.append((info.filename, raw, crc, real if declared is None else declared))
    return zip_with_sizes(members)


def pdf_from_objects(objects: list[bytes], version: bytes = b"1.4") -> bytes:
    """A PDF of the given object bodies (numbered from 1, the first the catalog), exact xref."""
    out = bytearray(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf_nested_forms(depth: int, text: str) -> bytes:
    """One page whose only content draws a form XObject that draws the next, ``depth`` deep.

    The innermost form shows ``text``. pdfium follows 40 levels, pypdf about 300.
    """
    show = b"BT /F1 12 Tf 72 720 Td " + _pdf_string(text) + b" Tj ET"
    draw = b"/X Do"
    first_form = 5
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /XObject << /X %d 0 R >> >> /Contents %d 0 R >>"
        % (first_form, first_form + depth),
    ]
    for level in range(depth):
        innermost = level == depth - 1
        ops = show if innermost else draw
        resources = (
            b"<< /Font << /F1 3 0 R >> >>"
            if innermost
            else b"<< /XObject << /X %d 0 R >> >>" % (first_form + level + 1)
        )
        objects.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources %s /Length %d >>"
            b"\nstream\n%s\nendstream" % (resources, len(ops), ops)
        )
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(draw), draw))
    return pdf_from_objects(objects)


def pdf_brotli(pages: list[str]) -> bytes:
    """A PDF 2.0 file of ``pages`` with every stream Brotli-compressed (/BrotliDecode).

    The page contents, an object stream holding every other object, and the cross-reference
    stream are all Brotli: without the filter nothing of the file can be read.
    """
    src = pdf_bytes(pages)
    bodies = re.findall(rb"(\d+) 0 obj\n(.*?)\nendobj\n", src, re.S)
    out = bytearray(b"%PDF-2.0\n%\xe2\xe3\xcf\xd3\n")
    where: dict[int, tuple[int, int]] = {}  # object number -> (1, offset) or (2, index)
    packed: list[tuple[int, bytes]] = []
    for number_text, body in bodies:
        number = int(number_text)
        content = re.fullmatch(rb"<< /Length \d+ >>\nstream\n(.*)\nendstream", body, re.S)
        if content is None:
            packed.append((number, body))
            continue
        data = brotli.compress(content.group(1))
        where[number] = (1, len(out))
        out += b"%d 0 obj\n<< /Length %d /Filter /BrotliDecode >>\nstream\n" % (number, len(data))
        out += data + b"\nendstream\nendobj\n"
    objstm = len(bodies) + 1
    header = b""
    payload = b""
    for index, (number, body) in enumerate(packed):
        header += b"%d %d " % (number, len(payload))
        payload += body + b"\n"
        where[number] = (2, index)
    data = brotli.compress(header + payload)
    where[objstm] = (1, len(out))
    out += b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Length %d /Filter /BrotliDecode >>" % (
        objstm,
        len(packed),
        len(header),
        len(data),
    )
    out += b"\nstream\n" + data + b"\nendstream\nendobj\n"
    xref = objstm + 1
    where[xref] = (1, len(out))
    rows = b"\x00\x00\x00\x00\x00\xff"
    for number in range(1, xref + 1):
        kind, value = where[number]
        rows += struct.pack(">BIB", kind, objstm if kind == 2 else value, value if kind == 2 else 0)
    data = brotli.compress(rows)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 1] /Root 1 0 R /Length %d " % (
        xref,
        xref + 1,
        len(data),
    )
    out += b"/Filter /BrotliDecode >>\nstream\n" + data + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % where[xref][1]
    return bytes(out)


def docx_nested(depth: int, before: str = "", text: str = "Deep text") -> bytes:
    """A Word package whose ``text`` sits inside ``depth`` nested content controls (w:sdt).

    Each level is two elements deep; ``before`` is an ordinary paragraph ahead of them.
    """
    para = "<w:p><w:r><w:t>{}</w:t></w:r></w:p>"
    body = para.format(before) if before else ""
    body += "<w:sdt><w:sdtContent>" * depth + para.format(text)
    body += "</w:sdtContent></w:sdt>" * depth
    return docx_from_body(body)
