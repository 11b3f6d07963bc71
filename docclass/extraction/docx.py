"""Word (OOXML): the package is read with :mod:`zipfile` and its XML walked with lxml.

lxml is python-docx's own XML library, and part names follow python-docx's OPC rules. Nothing
but the parts that hold text is decompressed, so a dangling relationship or a ``.dotx``
content type does not stop us, and merged table cells are not repeated. A zip bomb is refused
twice: by its declared sizes before inflating anything, and by the bytes it really produces,
counted as they stream out, since a hostile ZIP can declare whatever sizes it likes.
"""

from __future__ import annotations

import contextlib
import copy
import zipfile
import zlib
from dataclasses import dataclass
from urllib.parse import unquote

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.packuri import PackURI
from lxml import etree

from docclass.extraction.errors import (
    MB,
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    FileTooLarge,
    UnsupportedFormat,
    _mb,
    _short,
)
from docclass.extraction.source import Extracted, _normalise, _Source
from docclass.settings import Limits

ZIP_TOTAL_CAP = 500 * MB  # declared uncompressed bytes a Word package may hold
ZIP_RATIO_CAP = 200  # uncompressed/compressed ratio of one member that marks a bomb
ZIP_RATIO_MIN_BYTES = 20 * MB  # ...but only for members big enough to hurt
ZIP_CHUNK = MB  # bytes inflated at a time; the most a member costs beyond what it keeps
XML_MAX_DEPTH = 256  # libxml2's element nesting limit without huge_tree
_ZIP_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_M_STRICT = "http://purl.oclc.org/ooxml/officeDocument/math"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_V = "urn:schemas-microsoft-com:vml"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_PKG_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

_WORD_MAIN_TYPES = frozenset(
    {
        CT.WML_DOCUMENT_MAIN,
        "application/vnd.ms-word.document.macroEnabled.main+xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml",
        "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
    }
)
_OTHER_MAIN_TYPES = {
    CT.SML_SHEET_MAIN: "an Excel workbook (.xlsx)",
    CT.SML_TEMPLATE_MAIN: "an Excel template (.xltx)",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "an Excel workbook (.xlsm)",
    CT.PML_PRESENTATION_MAIN: "a PowerPoint presentation (.pptx)",
    CT.PML_TEMPLATE_MAIN: "a PowerPoint template (.potx)",
    "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml": "a PowerPoint (.pptm)",
}


def _w_tags(*local: str) -> frozenset[str]:
    return frozenset(f"{{{ns}}}{name}" for ns in (_W, _W_STRICT) for name in local)


_TEXT_TAGS = _w_tags("t") | {f"{{{_M}}}t", f"{{{_M_STRICT}}}t"}
_TAB_TAGS = _w_tags("tab", "ptab")
_BREAK_TAGS = _w_tags("br", "cr")
_HYPHEN_TAGS = _w_tags("noBreakHyphen")
_PARA_TAGS = _w_tags("p")
# Subtrees never read: tab-stop definitions (w:tab inside w:pPr), deleted and moved-away runs.
# Field codes (w:instrText) and deleted text (w:delText) are not w:t, so they are never read.
_SKIP_TAGS = _w_tags("pPr", "del", "moveFrom")
_TEXTPATH = f"{{{_V}}}textpath"
_WALKED_TAGS = sorted(
    _TEXT_TAGS | _TAB_TAGS | _BREAK_TAGS | _HYPHEN_TAGS | _PARA_TAGS | _SKIP_TAGS | {_TEXTPATH}
)
_HEADER_REF = _w_tags("headerReference")
_FOOTER_REF = _w_tags("footerReference")
_REL_ID_ATTRS = (f"{{{_R}}}id", f"{{{_R_STRICT}}}id")
_NOTE_TAGS = _w_tags("footnote", "endnote")
_PICTURE_TAGS = _w_tags("drawing", "pict", "object")

_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)
_XML_RECOVER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)


class _Sink:
    """Collects text pieces, and says when enough has been kept to fill ``max_chars``."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.pieces: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        if piece:
            self.pieces.append(piece)
            self.size += len(piece)

    @property
    def full(self) -> bool:
        return self.size >= self.cap

    def text(self) -> str:
        return "".join(self.pieces)


def _own_text(el: etree._Element) -> str:
    """Text of a ``w:t`` without expanding entity references (their tails are kept)."""
    parts = [el.text or ""]
    parts += [child.tail or "" for child in el]
    return "".join(parts)


def _has_text(el: etree._Element) -> bool:
    return next(el.iter(*_TEXT_TAGS), None) is not None


def _pick_alternate_content(root: etree._Element) -> None:
    """Keep one branch of each ``mc:AlternateContent``: a Choice with text, else the Fallback.

    Text boxes are stored twice (DrawingML Choice, VML Fallback); reading both doubles them.
    """
    choice_tag, fallback_tag = f"{{{_MC}}}Choice", f"{{{_MC}}}Fallback"
    for alt in list(root.iter(f"{{{_MC}}}AlternateContent")):
        children = [c for c in alt if c.tag in (choice_tag, fallback_tag)]
        keep = next((c for c in children if c.tag == choice_tag and _has_text(c)), None)
        if keep is None:
            keep = next((c for c in children if c.tag == fallback_tag), None)
        for child in children:
            if child is not keep:
                alt.remove(child)


def _walk(root: etree._Element, sink: _Sink) -> None:
    """Document-order text: runs, tabs, breaks; a newline per paragraph; no deleted text."""
    _pick_alternate_content(root)
    # Only the tags read or skipped come back to Python: the runs' formatting (most of a
    # part's elements) is walked past in lxml's C loop.
    walker = etree.iterwalk(root, events=("start", "end"), tag=_WALKED_TAGS)
    for event, el in walker:
        tag = el.tag
        if event == "end":
            if tag in _PARA_TAGS:
                sink.add("\n")
                if sink.full:
                    return
            continue
        if tag in _SKIP_TAGS:
            walker.skip_subtree()
        elif tag in _TEXT_TAGS:
            sink.add(_own_text(el))
            walker.skip_subtree()
        elif tag in _TAB_TAGS:
            sink.add("\t")
        elif tag in _BREAK_TAGS:
            sink.add("\n")
        elif tag in _HYPHEN_TAGS:
            sink.add("-")
        elif tag == _TEXTPATH and el.get("string"):  # WordArt, e.g. a CONFIDENTIAL watermark
            sink.add(el.get("string", "") + "\n")


def _over_limit_reason(exc: etree.XMLSyntaxError) -> str | None:
    """What a part does past libxml2's safety limits (depth, text size), or None if not that.

    The parser then stops, so the text after that point is lost: an analyst must hear that
    the file is built to be unreadable, not that it holds no text.
    """
    message = str(exc).lower()
    if "excessive depth" in message:
        return f"nests XML elements more than {XML_MAX_DEPTH} levels deep"
    if exc.code != etree.ErrorTypes.ERR_RESOURCE_LIMIT:
        return None
    if "text node" in message:
        return "holds a single run of text over 10 MB"
    return "goes past the XML parser's size limits"


def _zip_reason(exc: Exception) -> str:
    message = str(exc)
    if message == "File is not a zip file":
        return "truncated or damaged ZIP archive (end of central directory not found)"
    return f"damaged ZIP archive ({_short(exc)})"


class _Package:
    """Just enough of an OPC package: parts by name, relationships, content types.

    ``cap`` is the most bytes all parts read may really inflate to, and ``archive_bytes`` the
    size of the file, which bounds how much compressed data any member can really have.
    """

    def __init__(
        self, zf: zipfile.ZipFile, warnings: list[str], cap: int, archive_bytes: int
    ) -> None:
        self.zf = zf
        self.warnings = warnings
        self.cap = cap
        self.archive_bytes = archive_bytes
        self.inflated = 0  # bytes really produced by every member read so far
        self.over_limit: list[tuple[str, str]] = []  # (part, why) past libxml2's safety limits
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            self.infos.setdefault(info.filename.lstrip("/").lower(), info)

    def has(self, partname: str) -> bool:
        return partname.lstrip("/").lower() in self.infos

    def read(self, partname: str) -> bytes | None:
        info = self.infos.get(partname.lstrip("/").lower())
        if info is None:
            return None
        if info.flag_bits & 0x1:
            raise EncryptedDocument("the ZIP archive is password-protected")
        try:
            return self._inflate(info)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise CorruptDocument(f"damaged ZIP member {info.filename} ({_short(exc)})") from exc
        except NotImplementedError as exc:
            raise CorruptDocument(f"ZIP member {info.filename} uses {exc}") from exc

    def _inflate(self, info: zipfile.ZipInfo) -> bytes:
        """The member's bytes, inflated a chunk at a time and counted as they come out.

        The declared size is not trusted: zipfile's own ``read()`` inflates the whole member
        before cutting it to that size, so a member declared as 2,000 bytes could fill memory.
        Here nothing past the declared size is kept, and the stream stops as a zip bomb once
        the real output passes the limits, whatever the headers say.
        """
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # OPC allows only these two; bzip2 and LZMA inflate unbounded per read in zipfile.
            method = _ZIP_METHODS.get(info.compress_type, f"method {info.compress_type}")
            raise CorruptDocument(
                f"ZIP member {info.filename} uses {method} compression; "
                "Word documents use only deflate or none"
            )
        declared = info.file_size
        unbounded = copy.copy(info)
        unbounded.file_size = 2**63 - 1  # zipfile must not cut the stream: we count it ourselves
        compressed = max(min(info.compress_size, self.archive_bytes), 1)
        kept: list[bytes] = []
        size = 0
        with self.zf.open(unbounded) as member:
            while chunk := member.read(ZIP_CHUNK):
                size += len(chunk)
                self.inflated += len(chunk)
                if size <= declared:
                    kept.append(chunk)
                self._check_inflated(info, size, compressed)
        if size > declared:
            raise CorruptDocument(
                f"damaged ZIP member {info.filename} (inflates to {size:,} bytes; "
                f"its header declares {declared:,})"
            )
        return b"".join(kept)

    def _check_inflated(self, info: zipfile.ZipInfo, size: int, compressed: int) -> None:
        """Stop a member whose real output says zip bomb; the message says which limit."""
        name = info.filename
        if size > info.file_size and size >= ZIP_RATIO_MIN_BYTES:
            raise FileTooLarge(
                f"zip member inflates far past its declared size (zip bomb?): {name} "
                f"declares {info.file_size:,} bytes and was stopped at {_mb(size)} MB"
            )
        if size >= ZIP_RATIO_MIN_BYTES and size > ZIP_RATIO_CAP * compressed:
            raise FileTooLarge(
                f"zip member inflates more than {ZIP_RATIO_CAP}× (zip bomb?): {name} "
                f"was stopped at {_mb(size)} MB from {_mb(compressed)} MB"
            )
        if self.inflated > self.cap:
            raise FileTooLarge(
                f"zip inflates past {_mb(self.cap)} MB (zip bomb?): stopped in {name}"
            )

    def xml(self, partname: str) -> etree._Element | None:
        """Parse a part without resolving entities or DTDs; salvage what we can if broken."""
        data = self.read(partname)
        if data is None:
            return None
        name = partname.lstrip("/")
        if b"<!DOCTYPE" in data[:2048] or b"<!ENTITY" in data[:4096]:
            self.warnings.append(f"{name} declares a DTD; entities were not resolved")
        try:
            return etree.fromstring(data, _XML_PARSER)
        except etree.XMLSyntaxError as exc:
            root = None
            with contextlib.suppress(etree.XMLSyntaxError, ValueError):
                root = etree.fromstring(data, _XML_RECOVER)
            reason = _over_limit_reason(exc)
            if reason is not None:
                self.over_limit.append((name, reason))
                if root is None:
                    raise CorruptDocument(f"unreadable {name}: it {reason}") from exc
                self.warnings.append(f"{name} {reason}; only the text before that point was read")
                return root
            if root is None:
                raise CorruptDocument(f"broken XML in {name} ({_short(exc)})") from exc
            self.warnings.append(f"{name} is damaged ({_short(exc, 80)}); kept the readable part")
            return root

    def rels(self, partname: str) -> list[tuple[str, str, str]]:
        """(type suffix, target part name, id) of a part's internal relationships."""
        source = PackURI("/" + partname.lstrip("/"))  # "/" is the package itself
        try:
            root = self.xml(source.rels_uri)
        except CorruptDocument as exc:
            self.warnings.append(str(exc))
            return []
        if root is None:
            return []
        out = []
        for rel in root.iter(f"{{{_PKG_REL}}}Relationship"):
            target, rtype = rel.get("Target"), rel.get("Type") or ""
            if not target or rel.get("TargetMode") == "External":
                continue
            with contextlib.suppress(ValueError):
                resolved = PackURI.from_rel_ref(source.baseURI, unquote(target.replace("\\", "/")))
                out.append((rtype.rsplit("/", 1)[-1], str(resolved), rel.get("Id") or ""))
        return out

    def content_type(self, partname: str) -> str | None:
        try:
            root = self.xml("/[Content_Types].xml")
        except CorruptDocument:
            return None
        if root is None:
            return None
        name = partname.lower()
        for el in root.iter(f"{{{_PKG_CT}}}Override"):
            if (el.get("PartName") or "").lower() == name:
                return el.get("ContentType")
        ext = name.rsplit(".", 1)[-1]
        for el in root.iter(f"{{{_PKG_CT}}}Default"):
            if (el.get("Extension") or "").lower() == ext:
                return el.get("ContentType")
        return None


def _zip_cap(limits: Limits) -> int:
    """The most bytes a Word package may inflate to, declared or real."""
    return min(ZIP_TOTAL_CAP, 20 * limits.max_file_bytes)


def _check_zip_bomb(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a package whose declared sizes would inflate far beyond what a document needs.

    A cheap first look, before anything is decompressed; the sizes may be lies, so
    :meth:`_Package._inflate` counts the real bytes too.
    """
    cap = _zip_cap(limits)
    infos = zf.infolist()
    total = sum(info.file_size for info in infos)
    if total > cap:
        raise FileTooLarge(f"zip declares {_mb(total)} MB uncompressed (zip bomb?)")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= ZIP_RATIO_MIN_BYTES and ratio > ZIP_RATIO_CAP:
            raise FileTooLarge(
                f"zip declares {_mb(total)} MB uncompressed (zip bomb?): {info.filename} "
                f"would expand {ratio:.0f}×"
            )


def _not_word(pkg: _Package) -> UnsupportedFormat:
    """Name the kind of ZIP that is not a Word document."""
    if pkg.has("xl/workbook.xml"):
        return UnsupportedFormat("file is an Excel workbook (.xlsx), not a Word document")
    if pkg.has("ppt/presentation.xml"):
        return UnsupportedFormat("file is a PowerPoint presentation (.pptx), not a Word document")
    mimetype = (pkg.read("mimetype") or b"")[:100].decode("ascii", errors="replace")
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return UnsupportedFormat(f"file is an OpenDocument file ({mimetype}), not a Word document")
    if mimetype == "application/epub+zip":
        return UnsupportedFormat("file is an EPUB e-book, not a Word document")
    return UnsupportedFormat("file is a ZIP archive but not a Word document (no word/document.xml)")


@dataclass
class _DocxText:
    blocks: list[str]  # headers, body, footnotes, endnotes, footers; empty ones dropped
    cut: bool  # stopped collecting at the character cap
    pictures: bool  # the body has drawings, pictures or embedded objects


def _docx_blocks(pkg: _Package, limits: Limits) -> _DocxText:
    """The text blocks of the main document part and the parts it references."""
    main_rel = next((t for kind, t, _ in pkg.rels("/") if kind == "officeDocument"), None)
    if main_rel is None or not pkg.has(main_rel):
        if not pkg.has("word/document.xml"):
            raise _not_word(pkg)
        if main_rel is not None or pkg.has("_rels/.rels"):
            pkg.warnings.append("package relationships are broken; read word/document.xml")
        main_rel = "/word/document.xml"
    content_type = pkg.content_type(main_rel)
    if content_type in _OTHER_MAIN_TYPES:
        raise UnsupportedFormat(f"file is {_OTHER_MAIN_TYPES[content_type]}, not a Word document")
    root = pkg.xml(main_rel)
    assert root is not None  # has() was checked
    qname = etree.QName(root)
    if qname.localname != "document" or qname.namespace not in (_W, _W_STRICT):
        raise UnsupportedFormat(
            "file is an Office package but not a Word document "
            f"(its main part {main_rel.lstrip('/')} holds <{qname.localname}>)"
        )
    if content_type is not None and content_type not in _WORD_MAIN_TYPES:
        pkg.warnings.append(f"unexpected content type for the main part: {content_type}")
    if qname.namespace == _W_STRICT:
        pkg.warnings.append("ISO Strict OOXML document")

    cap = limits.max_chars * 2 + 10_000  # normalising only shrinks text; this is plenty
    rels = pkg.rels(main_rel)
    by_id = {rid: target for _, target, rid in rels}
    header_ids: list[str] = []
    footer_ids: list[str] = []
    for el in root.iter(*_HEADER_REF, *_FOOTER_REF):
        rid = next((el.get(a) for a in _REL_ID_ATTRS if el.get(a)), None)
        bucket = header_ids if el.tag in _HEADER_REF else footer_ids
        if rid and rid not in bucket:
            bucket.append(rid)

    cut = False

    def read_part(partname: str, notes: bool = False) -> str:
        nonlocal cut
        part_root = root if partname == main_rel else pkg.xml(partname)
        if part_root is None:
            return ""
        sink = _Sink(cap)
        if notes:
            for note in part_root.iter(*_NOTE_TAGS):
                note_type = note.get(f"{{{_W}}}type") or note.get(f"{{{_W_STRICT}}}type")
                if note_type not in (None, "normal"):  # separators, continuation notices
                    continue
                _walk(note, sink)
                if sink.full:
                    break
        else:
            body = part_root.find(f"{{{qname.namespace}}}body")
            _walk(body if body is not None else part_root, sink)
        cut = cut or sink.full
        return _normalise(sink.text())

    def parts_for(ids: list[str]) -> list[str]:
        out: list[str] = []
        for rid in ids:
            target = by_id.get(rid)
            if target is not None and pkg.has(target):
                text = read_part(target)
                if text and text not in out:  # sections often repeat the same header
                    out.append(text)
        return out

    blocks = parts_for(header_ids)
    blocks.append(read_part(main_rel))
    for kind in ("footnotes", "endnotes"):
        target = next((t for k, t, _ in rels if k == kind), f"/word/{kind}.xml")
        if pkg.has(target):
            blocks.append(read_part(target, notes=True))
    blocks += parts_for(footer_ids)
    pictures = next(root.iter(*_PICTURE_TAGS), None) is not None
    return _DocxText([b for b in blocks if b], cut, pictures)


def _extract_docx(src: _Source, limits: Limits, warnings: list[str]) -> Extracted:
    """Word text via the package's relationships; see :func:`_docx_blocks` for the order."""
    with src.open() as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile as exc:
            raise CorruptDocument(_zip_reason(exc)) from exc
        except (OSError, EOFError, ValueError, zipfile.LargeZipFile) as exc:
            raise CorruptDocument(f"damaged ZIP archive ({_short(exc)})") from exc
        with zf:
            _check_zip_bomb(zf, limits)
            pkg = _Package(zf, warnings, _zip_cap(limits), src.size())
            found = _docx_blocks(pkg, limits)
    text = "\n\n".join(found.blocks)
    if not text and pkg.over_limit:
        part, reason = pkg.over_limit[0]
        raise CorruptDocument(
            f"unreadable {part}: it {reason} (a broken or hostile file), so no text could be read"
        )
    if not text:
        only = " (only pictures or embedded objects)" if found.pictures else ""
        raise EmptyDocument(f"the Word document contains no text{only}")
    truncated = found.cut or len(text) > limits.max_chars
    text = text[: limits.max_chars]
    return Extracted(
        text=text,
        kind="docx",
        engine="python-docx",
        pages=1,
        pages_read=1,
        page_starts=[0],
        truncated=truncated,
        warnings=warnings,
    )
