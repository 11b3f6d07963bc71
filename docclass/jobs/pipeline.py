"""One document through the stages: read (30%; OCR'd pages step from 10%), detect (60%),
classify (90%), review.

The CPU-bound stages run in a reader process (:func:`read_and_score`), under the per-document
timeout and memory cap, so a hostile file can slow or kill only its own process and never
holds the app's GIL. The review that depends on the final answer (:func:`conclude`) runs there
too (:func:`read_in_process`), unless the LLM decides: then it runs where the API is called.
:func:`analyse` is all of it in one call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from docclass.classifiers.base import Classification
from docclass.detectors import DetectorResult, counts, run_detectors
from docclass.extraction import Extracted, ocr
from docclass.jobs.spec import JobSpec, process_database
from docclass.review import review
from docclass.schemas import PREVIEW_CHARS, DocumentResult
from docclass.settings import Limits
from docclass.store.queue import write_progress

if TYPE_CHECKING:  # the LLM client is imported only where an LLM job runs
    from docclass.classifiers.llm import OpenAIClassifier

log = logging.getLogger(__name__)

ExtractFn = Callable[[str, str, Limits], Extracted]
# A document whose stages are quicker than this is written twice (claimed, saved); a slower
# one also shows each stage it passes, at most once per this many seconds.
PROGRESS_EVERY_S = 0.25
# A claimed document is at 10% and a read one at 30%: OCR'd pages move it in between.
OCR_FROM, LOADED = 10, 30


class Released(Exception):
    """The document is no longer this worker's (cancelled, deleted, requeued): stop."""


@dataclass(frozen=True)
class ProgressTarget:
    """Where a reader process reports a slow document's stages."""

    doc_id: str
    owner: str


@dataclass(frozen=True)
class ReadTask:
    path: str
    filename: str
    limits: Limits
    spec: JobSpec
    extract_fn: ExtractFn | None = None  # None: docclass.extraction.extract_file
    progress: ProgressTarget | None = None
    sha256: str | None = None  # a stored upload: its bytes are checked before reading


@dataclass
class Scored:
    """A document read, scanned by the detectors and, for local jobs, classified."""

    extracted: Extracted
    detectors: list[DetectorResult]
    local: Classification | None
    classifier_input: str  # the text a classifier reads (kept for the batch pass, corrections)
    timings: dict[str, float] = field(default_factory=dict)


class _Stages:
    """Writes a stage's progress when the document has been quiet for a while."""

    def __init__(self, task: ReadTask) -> None:
        self.task = task
        # Counted from when this process started on the document: time spent waiting for a
        # free process is not the document being slow.
        self.last = time.monotonic()

    def reached(self, progress: int) -> None:
        target = self.task.progress
        if target is None or time.monotonic() - self.last < PROGRESS_EVERY_S:
            return
        self.last = time.monotonic()
        try:
            db = process_database(self.task.spec.database_url)
            ours = write_progress(
                db=db, doc_id=target.doc_id, owner=target.owner, progress=progress
            )
        except Exception as exc:  # progress is informative only; the result still counts
            log.debug("progress of %s not written: %s", target.doc_id, exc)
            return
        if not ours:
            raise Released("the document was cancelled, deleted or handed to another worker")

    def ocr_page(self, done: int, total: int) -> None:
        """OCR is slow: a scan's progress moves from 10% to 30% as its pages are read."""
        try:
            self.reached(OCR_FROM + (LOADED - OCR_FROM) * done // max(1, total))
        except Released as exc:  # through the readers' own exception handling, untouched
            raise ocr.StopReading(str(exc)) from None


def _ms_since(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


def read_and_score(task: ReadTask) -> Scored:
    """Extract, detect and (for local jobs) classify one file; runs in a reader process."""
    from docclass.classifiers.local import classifier_input  # preloaded in reader processes
    from docclass.extraction.extract import check_sha256, extract_file

    stages = _Stages(task)
    spec = task.spec
    taxonomy = spec.taxonomy

    t0 = time.perf_counter()
    if task.sha256:
        check_sha256(Path(task.path), task.sha256)
    try:
        with ocr.reporting(stages.ocr_page):
            extracted = (task.extract_fn or extract_file)(task.path, task.filename, task.limits)
    except ocr.StopReading as exc:
        raise Released(str(exc)) from None
    timings = {"load_ms": _ms_since(t0)}
    stages.reached(LOADED)
    t1 = time.perf_counter()
    detectors = run_detectors(extracted.text, taxonomy.keywords())
    timings["detect_ms"] = _ms_since(t1)
    stages.reached(60)
    head = classifier_input(extracted.text, extracted.page_starts)
    local = None
    if spec.local:
        t2 = time.perf_counter()
        local = spec.local_classifier().classify(head, detectors, taxonomy)
        timings["classify_ms"] = _ms_since(t2)
        stages.reached(90)
    return Scored(
        extracted=extracted,
        detectors=detectors,
        local=local,
        classifier_input=head,
        timings=timings,
    )


def decide(
    scored: Scored, spec: JobSpec, llm: OpenAIClassifier | None, cascade_threshold: float
) -> Classification:
    """The job's answer: local alone, the LLM alone, or the LLM when local is unsure."""
    text, detectors, taxonomy = scored.extracted.text, scored.detectors, spec.taxonomy
    if scored.local is not None and llm is None:
        return scored.local
    if llm is None:
        raise RuntimeError("this job needs the LLM classifier, which is not configured")
    if scored.local is None:
        return llm.classify(text, detectors, taxonomy)
    from docclass.classifiers.llm import cascade

    return cascade(scored.local, llm, cascade_threshold, text, detectors, taxonomy)


def conclude(
    scored: Scored,
    spec: JobSpec,
    *,
    llm: OpenAIClassifier | None = None,
    cascade_threshold: float = 0.6,
) -> DocumentResult:
    """Final answer, floors and review flag, cited evidence: the document's one result."""
    extracted, detectors = scored.extracted, scored.detectors
    timings = dict(scored.timings)
    t0 = time.perf_counter()
    answer = decide(scored, spec, llm, cascade_threshold)
    if scored.local is None or answer is not scored.local:
        timings["classify_ms"] = timings.get("classify_ms", 0.0) + _ms_since(t0)
    checked = review(
        answer,
        detectors,
        spec.taxonomy,
        text=extracted.text,
        page_starts=extracted.page_starts,
        review_threshold=spec.review_threshold,
    )
    timings["total_ms"] = round(
        sum(timings.get(k, 0.0) for k in ("load_ms", "detect_ms", "classify_ms")), 1
    )
    return DocumentResult(
        kind=extracted.kind,
        engine=extracted.engine,
        pages=extracted.pages,
        ocr_pages=extracted.ocr_pages or None,
        ocr_confidence=extracted.ocr_confidence,
        characters=len(extracted.text),
        truncated=extracted.truncated,
        page_starts=list(extracted.page_starts or []) or None,
        text_preview=extracted.text[:PREVIEW_CHARS],
        classifier_input=scored.classifier_input,
        detectors=[d.to_dict() for d in detectors],
        detector_counts=counts(detectors),
        evidence=checked.evidence,
        **checked.verdict().model_dump(),
        timings=timings,
        layout=scored.local.layout if scored.local is not None else None,
        embedding=scored.local.embedding if scored.local is not None else None,
    )


def read_in_process(task: ReadTask) -> Scored | DocumentResult:
    """A reader process's share of a document: all of it, unless the LLM decides.

    Without the LLM the result is concluded here, beside the read, so the worker's process
    (one for many readers) only saves it, and the full text never crosses back; with the
    LLM the scored read goes back to the worker, whose threads wait on the API.
    """
    scored = read_and_score(task)
    if task.spec.llm:
        return scored
    return conclude(scored, task.spec)


def analyse(
    task: ReadTask, *, llm: OpenAIClassifier | None = None, cascade_threshold: float = 0.6
) -> DocumentResult:
    """Every stage of one document in this process (tests, benchmarks, tools)."""
    return conclude(read_and_score(task), task.spec, llm=llm, cascade_threshold=cascade_threshold)
