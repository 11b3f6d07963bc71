"""Word (WordprocessingML): the text of a package's parts (:mod:`.opc`), walked with lxml.

lxml is python-docx's own XML library. Nothing but the parts that hold text is decompressed,
so a dangling relationship or a ``.dotx`` content type does not stop us, and merged table
cells are not repeated. The package itself, and how a zip bomb is refused, is :mod:`.opc`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.opc.constants import CONTENT_TYPE as CT
from lxml import etree

from docclass.extraction.errors import (
    CorruptDocument,
    EmptyDocument,
    UnsupportedFormat,
)
from docclass.extraction.opc import Package, open_package
from docclass.extraction.source import Extracted, _normalise, _Source
from docclass.settings import Limits

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"
_M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_M_STRICT = "http://purl.oclc.org/ooxml/officeDocument/math"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_R_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_V = "urn:schemas-microsoft-com:vml"

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


def _not_word(pkg: Package) -> UnsupportedFormat:
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


def _docx_blocks(pkg: Package, limits: Limits) -> _DocxText:
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
    with open_package(src, limits, warnings) as pkg:
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
