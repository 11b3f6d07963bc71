"""Why a PDF whose pages show no text may not be a scan: forms nested past what readers follow.

pypdf only logs a form it cannot follow (a RecursionError, near 300 levels), and pdfium
silently skips forms past 40 levels (it does not draw them either, so OCR sees a blank page):
such a file must fail as broken, not as a scan without words.
"""

from __future__ import annotations

import pypdf
from pypdf.generic import DictionaryObject, IndirectObject, StreamObject

from docclass.extraction.errors import CorruptDocument
from docclass.extraction.source import _Source
from docclass.settings import Limits

PDFIUM_FORM_DEPTH = 40  # pdfium skips form XObjects nested deeper; pypdf gives up near 300
FORM_DEPTH_SEEN = 10_000  # stop measuring nesting here: deep enough to say so
FORM_WALK_BUDGET = 100_000  # form XObjects looked at in all, so measuring stays cheap


def _form_resources(obj: object) -> DictionaryObject | None:
    """A resources (or XObject) dictionary, resolved; None for anything else a file holds."""
    obj = obj.get_object() if isinstance(obj, IndirectObject) else obj
    return obj if isinstance(obj, DictionaryObject) else None


def _form_depth(reader: pypdf.PdfReader, max_pages: int) -> int:
    """The deepest chain of form XObjects (forms drawing forms) on the pages read.

    pypdf only logs a form it cannot follow (a RecursionError, near 300 levels), and pdfium
    silently skips forms past 40 levels, so such a page looks exactly like a scan. Measured
    with a stack, not recursion; each form counts once per page, so cycles end the walk.
    """
    deepest, budget = 0, FORM_WALK_BUDGET
    for index in range(min(len(reader.pages), max_pages)):
        page = reader.pages[index]
        stack = [(_form_resources(page.get("/Resources")), 0)]
        seen: set[object] = set()
        while stack and budget > 0:
            resources, depth = stack.pop()
            deepest = max(deepest, depth)
            if deepest >= FORM_DEPTH_SEEN or resources is None:
                continue
            xobjects = _form_resources(resources.get("/XObject"))
            for ref in (xobjects or {}).values():
                form = ref.get_object() if isinstance(ref, IndirectObject) else ref
                if not isinstance(form, StreamObject) or form.get("/Subtype") != "/Form":
                    continue
                key = (ref.idnum, ref.generation) if isinstance(ref, IndirectObject) else id(form)
                if key not in seen:
                    seen.add(key)
                    budget -= 1
                    stack.append((_form_resources(form.get("/Resources")), depth + 1))
    return deepest


def _too_deep(src: _Source, limits: Limits) -> CorruptDocument | None:
    """The error for pages whose text hides in forms nested past what the readers follow.

    Measured on a fresh pypdf reader: extracting text rewrites the resources it walked.
    """
    try:
        with src.open() as fh:
            reader = pypdf.PdfReader(fh)
            if reader.is_encrypted:
                reader.decrypt("")
            found = _form_depth(reader, limits.max_pages)
    except Exception:  # MemoryError is not an Exception: it still reaches the runner
        return None  # no measurement: the scan verdict stands
    if found <= PDFIUM_FORM_DEPTH:
        return None
    depth = f"{found:,}" + (" or more" if found >= FORM_DEPTH_SEEN else "")
    return CorruptDocument(
        f"unreadable PDF: its pages nest form XObjects {depth} levels deep, past what the "
        f"readers follow (pypdfium2 stops at {PDFIUM_FORM_DEPTH}); no text could be read "
        "(a broken or hostile file, not a scan)"
    )
