"""A job's finishing step, run once by the worker that won it, then ``completed``.

When a job's last document is saved, that save also moves the job from ``processing`` to
``finishing`` (one atomic update, won by exactly one thread of one process; see
:func:`docclass.store.queue.save_outcomes`). Only the winner runs the batch pass and then sets
``completed``, so nobody sees a completed job whose answers are still being rewritten, and
the pass never runs twice.

The batch pass classifies a job's locally classified documents again as one batch: the
batch itself is unlabelled data (self-training). It runs in a reader process, under a time
limit, and a failure leaves the one-at-a-time answers in place. An answer it changes keeps
the earlier one beside it (``classifier_meta["single"]``) and is marked ``refined``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from docclass.classifiers.factory import uses_local
from docclass.detectors import DetectorResult
from docclass.jobs.processes import ReaderPool
from docclass.jobs.spec import JobSpec, spec_of
from docclass.review import review
from docclass.schemas import Verdict
from docclass.settings import Settings
from docclass.store import documents, queue
from docclass.store.corrections import corrections_version
from docclass.store.db import Database, json_loads
from docclass.store.jobs import get_job_row

log = logging.getLogger(__name__)

# The batch pass runs on jobs of BATCH_MIN to BATCH_MAX distinct locally classified
# documents. Below, the classifier's batch policy answers as one document at a time; above,
# it would hold the job in "finishing" for long (the pass costs about as much as classifying
# every document again, plus the fits), so a big job keeps its one-at-a-time answers:
# every document of a job is treated alike.
BATCH_MIN = 50  # docclass.classifiers.local.CENTRE_MIN (not imported: numpy stays out)
BATCH_MAX = 2000
# Seconds the batch pass may take per 1,000 documents (at least one document's timeout).
REFINE_S_PER_1000 = 30.0


@dataclass(frozen=True)
class RefineTask:
    spec: JobSpec
    texts: list[str]
    # Each detector's count (name -> hits) as stored: JSON text, decoded in the reader process.
    detector_counts: list[str | None]
    # What the first answers measured (see DocumentResult.layout): not measured again.
    layouts: list[bytes | None]
    embeddings: list[bytes | None]


def refine_in_process(task: RefineTask) -> list[Verdict]:
    """The batch pass and each new answer's reviewed verdict; runs in a reader process.

    Only the verdicts travel back: the answers' layouts and vectors are the stored ones.
    """
    spec = task.spec
    found = [_counted(json_loads(c) if c else None) for c in task.detector_counts]
    answers = spec.local_classifier().classify_batch(
        task.texts, found, task.embeddings, task.layouts
    )
    taxonomy = spec.taxonomy
    return [
        review(answer, detectors, taxonomy, review_threshold=spec.review_threshold).verdict()
        for answer, detectors in zip(answers, found, strict=True)
    ]


def _counted(stored: dict[str, int] | None) -> list[DetectorResult]:
    """The detectors' results as the batch pass reads them: how many hits each found (the
    rationale's numbers, the floors), without the spans the first answer's evidence cited
    (building every span again took a tenth of the pass)."""
    return [DetectorResult(name=name, count=int(n)) for name, n in (stored or {}).items()]


class Finisher:
    def __init__(self, settings: Settings, db: Database, pool: ReaderPool, owner: str) -> None:
        self.settings = settings
        self.db = db
        self.pool = pool
        self.owner = owner

    def finish(self, job_id: str) -> bool:
        """Run the finishing step this owner won; True when the job ended ``completed``."""
        try:
            self.refine(job_id)
        except Exception:
            log.exception("batch pass over job %s failed; one-at-a-time answers stand", job_id)
        try:
            return queue.complete_job(db=self.db, job_id=job_id, owner=self.owner)
        except Exception:  # the lease runs out and another worker finishes the job
            log.exception("job %s could not be marked completed", job_id)
            return False

    def refine(self, job_id: str, *, every_size: bool = False) -> int:
        """Classify the job's local answers again as one batch; returns how many changed.

        ``every_size``: also outside BATCH_MIN..BATCH_MAX (an analyst's re-score after
        corrections, which the classifier's batch policy then handles by size).
        """
        job = get_job_row(db=self.db, job_id=job_id)
        if job is None or not uses_local(job.classifier):
            return 0
        if not every_size:  # counted first: a big job's texts are not read just to be skipped
            distinct = documents.count_refinable(db=self.db, job_id=job_id, classifier="local")
            if not BATCH_MIN <= distinct <= BATCH_MAX:
                return 0
        docs = documents.refinable_documents(db=self.db, job_id=job_id, classifier="local")
        version = corrections_version(db=self.db, taxonomy_name=job.taxonomy_name)
        spec = replace(spec_of(job, self.settings, corrections_version=version), llm=False)
        # One entry per content: copies of a file would otherwise count several times over
        # in the batch's self-training, and cost as much again.
        readings = documents.classifier_readings(db=self.db, docs=docs)
        if not readings:  # the size rule was applied to the count above
            return 0
        task = RefineTask(
            spec=spec,
            texts=[r.classifier_input for r in readings.values()],
            detector_counts=[r.detector_counts_json for r in readings.values()],
            layouts=[r.layout for r in readings.values()],
            embeddings=[r.embedding for r in readings.values()],
        )
        timeout = max(self.settings.limits.doc_timeout_s, REFINE_S_PER_1000 * len(readings) / 1000)
        verdicts = self.pool.submit(refine_in_process, task, timeout).result(timeout=timeout + 30)
        # One verdict per content, copied per document with what is the document's own.
        by_content = dict(zip(readings, verdicts, strict=True))
        refined: list[tuple[str, Verdict]] = []
        changed = 0
        for doc in docs:
            if doc.content_key not in by_content:  # deleted meanwhile
                continue
            verdict = by_content[doc.content_key]
            single = doc.classifier_meta.get("single") or {
                "category": doc.final_category,
                "confidence": doc.confidence,
            }
            changed += verdict.final_category != doc.final_category
            # Against the first answer shown: a second pass that moves an answer back is no
            # refinement, and one that moves it on still compares with the first.
            earliest = doc.earlier_category if doc.refined else doc.final_category
            moved = verdict.final_category != earliest
            own = {
                "classifier_meta": {
                    **doc.classifier_meta,
                    **verdict.classifier_meta,
                    "single": single,
                },
                "refined": moved,
                "earlier_category": earliest if moved else None,
            }
            refined.append((doc.doc_id, verdict.model_copy(update=own)))
        documents.save_refined(db=self.db, refined=refined, job_id=job_id)
        return changed
