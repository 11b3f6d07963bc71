"""The OOXML package (OPC): a ZIP of XML parts, read without trusting what it declares.

Part names follow python-docx's OPC rules. Only the parts asked for are inflated, a chunk at a
time and counted as they stream out, so a zip bomb is refused twice: by its declared sizes
before anything is inflated, and by the bytes it really produces (a hostile ZIP can declare
whatever sizes it likes). XML is parsed without entities, DTDs or the network, and a broken
part keeps its readable beginning with a warning.
"""

from __future__ import annotations

import contextlib
import copy
import zipfile
import zlib
from collections.abc import Iterator
from urllib.parse import unquote

from docx.opc.packuri import PackURI
from lxml import etree

from docclass.extraction.errors import (
    MB,
    CorruptDocument,
    EncryptedDocument,
    FileTooLarge,
    _mb,
    _short,
)
from docclass.extraction.source import _Source
from docclass.settings import Limits

ZIP_TOTAL_CAP = 500 * MB  # declared uncompressed bytes a Word package may hold
ZIP_RATIO_CAP = 200  # uncompressed/compressed ratio of one member that marks a bomb
ZIP_RATIO_MIN_BYTES = 20 * MB  # ...but only for members big enough to hurt
ZIP_CHUNK = MB  # bytes inflated at a time; the most a member costs beyond what it keeps
XML_MAX_DEPTH = 256  # libxml2's element nesting limit without huge_tree
_ZIP_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}

PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
PKG_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
)
XML_RECOVER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
)


def over_limit_reason(exc: etree.XMLSyntaxError) -> str | None:
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


def zip_reason(exc: Exception) -> str:
    message = str(exc)
    if message == "File is not a zip file":
        return "truncated or damaged ZIP archive (end of central directory not found)"
    return f"damaged ZIP archive ({_short(exc)})"


class Package:
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
            return etree.fromstring(data, XML_PARSER)
        except etree.XMLSyntaxError as exc:
            root = None
            with contextlib.suppress(etree.XMLSyntaxError, ValueError):
                root = etree.fromstring(data, XML_RECOVER)
            reason = over_limit_reason(exc)
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
        for rel in root.iter(f"{{{PKG_REL}}}Relationship"):
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
        for el in root.iter(f"{{{PKG_CT}}}Override"):
            if (el.get("PartName") or "").lower() == name:
                return el.get("ContentType")
        ext = name.rsplit(".", 1)[-1]
        for el in root.iter(f"{{{PKG_CT}}}Default"):
            if (el.get("Extension") or "").lower() == ext:
                return el.get("ContentType")
        return None


def zip_cap(limits: Limits) -> int:
    """The most bytes a Word package may inflate to, declared or real."""
    return min(ZIP_TOTAL_CAP, 20 * limits.max_file_bytes)


def check_zip_bomb(zf: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a package whose declared sizes would inflate far beyond what a document needs.

    A cheap first look, before anything is decompressed; the sizes may be lies, so
    :meth:`Package._inflate` counts the real bytes too.
    """
    cap = zip_cap(limits)
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


@contextlib.contextmanager
def open_package(src: _Source, limits: Limits, warnings: list[str]) -> Iterator[Package]:
    """The source as a package, its declared sizes checked; damage is a CorruptDocument."""
    with src.open() as fh:
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile as exc:
            raise CorruptDocument(zip_reason(exc)) from exc
        except (OSError, EOFError, ValueError, zipfile.LargeZipFile) as exc:
            raise CorruptDocument(f"damaged ZIP archive ({_short(exc)})") from exc
        with zf:
            check_zip_bomb(zf, limits)
            yield Package(zf, warnings, zip_cap(limits), src.size())
