"""Learning from corrections within one job: what to correct next, and re-scoring the job.

Suggestions read the job's stored classifier inputs and scores in a reader process under a
time limit (see :mod:`docclass.classifiers.local.suggest`). Re-scoring is the finishing
step's batch pass run again now, whatever the job's size: the job's classifier is rebuilt
with every correction of its taxonomy as an example, so the corrections just made teach it.
"""

from __future__ import annotations

from dataclasses import dataclass

from docclass.classifiers.factory import uses_local
from docclass.jobs.finish import Finisher
from docclass.jobs.spec import taxonomy_of
from docclass.store import documents
from docclass.store.db import Database
from docclass.store.documents import Refinable
from docclass.store.jobs import get_job_row

# Seconds suggesting may take per 1,000 documents in its reader process (at least 30 s).
S_PER_1000 = 10.0


@dataclass(frozen=True)
class SuggestTask:
    heads: list[str]
    probs: list[list[float]]  # the stored scores, in taxonomy order
    corrected: list[int]  # rows already corrected
    k: int


def suggest_in_process(task: SuggestTask) -> list[int]:
    """Row numbers worth correcting, best first; runs in a reader process."""
    import numpy as np

    from docclass.classifiers.local.suggest import features, worth_correcting

    x = features(task.heads)
    return worth_correcting(x, np.asarray(task.probs), k=task.k, skip=task.corrected)


class Learner:
    def __init__(self, db: Database, finisher: Finisher) -> None:
        self.db = db
        self.finisher = finisher

    def suggestions(self, job_id: str, k: int) -> list[str]:
        """Ids of the uncorrected documents whose correction would teach the most, best first
        (one document per content: never two copies of a file)."""
        job = get_job_row(db=self.db, job_id=job_id)
        if job is None or not uses_local(job.classifier) or k <= 0:
            return []
        names = taxonomy_of(job).names
        docs = documents.refinable_documents(db=self.db, job_id=job_id, classifier="local")
        docs = [d for d in docs if d.scores and set(d.scores) == set(names)]
        # One row per content, its first copy: copies of a file teach the same thing once, and
        # a content that any copy's correction already taught is no longer worth suggesting.
        first: dict[str, Refinable] = {}
        corrected: set[str] = set()
        for d in docs:
            first.setdefault(d.content_key, d)
            if d.corrected_category:
                corrected.add(d.content_key)
        docs = list(first.values())
        if not docs:
            return []
        inputs = documents.classifier_inputs(db=self.db, docs=docs)
        task = SuggestTask(
            heads=[inputs[d.content_key] for d in docs],
            probs=[[float(d.scores[n]) for n in names] for d in docs],
            corrected=[i for i, d in enumerate(docs) if d.content_key in corrected],
            k=k,
        )
        timeout = max(30.0, S_PER_1000 * len(docs) / 1000)
        rows = self.finisher.pool.submit(suggest_in_process, task, timeout)
        return [docs[i].doc_id for i in rows.result(timeout=timeout + 30)]

    def rescore(self, job_id: str) -> int:
        """Classify the job again with its taxonomy's corrections; how many answers changed."""
        return self.finisher.refine(job_id, every_size=True)
