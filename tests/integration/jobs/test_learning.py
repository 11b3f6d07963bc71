"""Learning from a few corrections in a finished job: what to correct, then re-scoring it."""

from __future__ import annotations

from pathlib import Path
from statistics import median

from docclass.jobs.uploads import Upload
from docclass.store import documents
from docclass.taxonomy import load_taxonomy
from tests.harness import make_service
from tests.paths import COMPLAINTS, complaint_files


def test_suggested_corrections_are_unsure_and_rescoring_learns_from_them(tmp_path: Path) -> None:
    files = complaint_files(8)  # 72 real complaints, nine products
    truth = {f.name: f.parent.name for f in files}
    service = make_service(tmp_path)
    try:
        taxonomy = load_taxonomy(COMPLAINTS / "taxonomy.toml")
        job_id = service.submit([Upload(f.name, f) for f in files], taxonomy=taxonomy)
        assert service.wait_job(job_id, timeout=300) == "completed"
        before = {d.id: d for d in documents.job_documents(db=service.db, job_id=job_id)}

        suggested = service.suggest_corrections(job_id, k=6)
        assert len(suggested) == len(set(suggested)) == 6
        confidence = [d.confidence for d in before.values()]
        assert median(before[i].confidence for i in suggested) < median(confidence)

        # The analyst corrects what was suggested; those leave the next suggestions.
        for doc_id in suggested:
            service.correct(doc_id, truth[before[doc_id].filename], corrected_by="ana")
        again = service.suggest_corrections(job_id, k=6)
        assert not set(again) & set(suggested)

        changed = service.rescore(job_id)
        after = {d.id: d for d in documents.job_documents(db=service.db, job_id=job_id)}
        moved = [i for i in after if after[i].final_category != before[i].final_category]
        assert changed == len(moved) > 0
        for i in moved:  # compared with the first answer shown (before the finishing pass)
            first = before[i].earlier_category or before[i].final_category
            assert after[i].refined == (after[i].final_category != first)
            assert after[i].earlier_category == (first if after[i].refined else None)
        assert all(d.classifier_meta["examples"] >= 6 for d in after.values())
        for i in suggested:  # corrections stand
            assert after[i].corrected_category == truth[after[i].filename]

        def right(docs: dict) -> int:
            return sum(
                d.final_category == truth[d.filename] for i, d in docs.items() if i not in suggested
            )

        assert right(after) >= right(before)
    finally:
        service.stop()


def test_suggestions_name_each_content_once_and_skip_what_a_copy_taught(tmp_path: Path) -> None:
    files = complaint_files(4)  # 36 real complaints, each uploaded twice under two names
    uploads = [Upload(f"{copy}-{f.name}", f) for copy in ("a", "b") for f in files]
    service = make_service(tmp_path)
    try:
        taxonomy = load_taxonomy(COMPLAINTS / "taxonomy.toml")
        job_id = service.submit(uploads, taxonomy=taxonomy)
        assert service.wait_job(job_id, timeout=300) == "completed"
        docs = {d.id: d for d in documents.job_documents(db=service.db, job_id=job_id)}

        suggested = service.suggest_corrections(job_id, k=8)
        contents = [docs[i].sha256 for i in suggested]
        assert len(suggested) == 8 and len(set(contents)) == 8

        # Correcting one copy teaches its content: neither copy is suggested again.
        taught = suggested[0]
        copy = next(i for i, d in docs.items() if d.sha256 == contents[0] and i != taught)
        service.correct(copy, files[0].parent.name, corrected_by="ana")
        again = service.suggest_corrections(job_id, k=8)
        assert taught not in again and copy not in again
        assert len({docs[i].sha256 for i in again}) == len(again) == 8
    finally:
        service.stop()
