"""Analyst corrections: stored with who and when, used as examples, shown in the export."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select

from docclass.jobs.uploads import Upload
from docclass.store import documents
from docclass.store.tables import Correction
from tests.harness import make_service
from tests.paths import EVAL, ROOT, eval_texts


def test_corrections_are_stored_exported_and_learnt(tmp_path: Path) -> None:
    receipts = eval_texts("receipt", 12)
    runner = make_service(tmp_path)
    try:
        first = runner.submit([Upload(p.name, p) for p in receipts[:6]])
        assert runner.wait_job(first, timeout=120) == "completed"
        docs = list(documents.job_documents(db=runner.db, job_id=first))
        probe = receipts[11].read_text()
        before = runner.classify_now(Upload("probe.txt", probe.encode()))
        assert before.final_category is not None

        # The command line, as an analyst would use it, for the first correction.
        env = {
            **os.environ,
            "DOCCLASS_DATA_DIR": str(tmp_path / "data"),
            "DOCCLASS_DATABASE_URL": runner.settings.database_url,
        }
        proc = subprocess.run(
            [sys.executable, "-m", "docclass", "correct", docs[0].id, "invoice", "--by", "ana"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        for doc in docs[1:]:
            runner.correct(doc.id, "invoice", corrected_by="ben")

        with runner.db.read() as s:
            rows = s.exec(select(Correction).order_by(Correction.id)).all()
        assert [r.corrected_by for r in rows] == ["ana"] + ["ben"] * 5
        assert all(r.created_at is not None and r.category == "invoice" for r in rows)
        assert rows[0].predicted_category == docs[0].final_category

        after = runner.classify_now(Upload("probe.txt", probe.encode()))
        b, a = before.scores, after.scores
        assert a["invoice"] > b["invoice"], (b["invoice"], a["invoice"])

        frame = pd.read_csv(io.BytesIO(runner.export(first)))
        assert (frame["corrected_category"] == "invoice").all()
        assert list(frame["final_category"]) == [d.final_category for d in docs]
        with pytest.raises(ValueError, match="not a category of taxonomy default"):
            runner.correct(docs[0].id, "recipe")
        with pytest.raises(KeyError):
            runner.correct("no-such-doc", "invoice")
    finally:
        runner.stop(wait=True)


def test_taxonomy_example_folders_teach_categories_their_names_do_not(tmp_path: Path) -> None:
    """Two categories that only their example files tell apart."""
    for name, folder in (("alpha", "receipt"), ("beta", "contract")):
        target = tmp_path / "tax" / "examples" / name
        target.mkdir(parents=True)
        for p in eval_texts(folder, 5):
            (target / p.name).write_bytes(p.read_bytes())
    toml = tmp_path / "tax" / "letters.toml"
    toml.write_text(
        '[[category]]\nname = "alpha"\ndescription = "Documents of the first kind."\n'
        'examples = "examples/alpha"\n\n'
        '[[category]]\nname = "beta"\ndescription = "Documents of the second kind."\n'
        'examples = "examples/beta"\n'
    )
    held_out = [("alpha", p) for p in sorted((EVAL / "receipt").glob("*.txt"))[10:14]]
    held_out += [("beta", p) for p in sorted((EVAL / "contract").glob("*.txt"))[10:14]]
    runner = make_service(tmp_path)
    try:
        job_id = runner.submit([Upload(p.name, p) for _, p in held_out], taxonomy=str(toml))
        assert runner.wait_job(job_id, timeout=120) == "completed"
        docs = list(documents.job_documents(db=runner.db, job_id=job_id))
    finally:
        runner.stop(wait=True)
    assert [d.final_category for d in docs] == [label for label, _ in held_out]
    assert all(d.classifier_meta.get("examples") == 10 for d in docs)
