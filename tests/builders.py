"""Small, real files built in memory for extraction tests: PDFs, OLE containers, ZIPs, DOCX."""

from __future__ import annotations

import io
import struct
import zipfile

import docx
from pypdf import PdfReader, PdfWriter

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
