"""Migrations: a new database, one made by ``create_all`` before migrations, the last
release's schema, processes starting together, and the models kept in step with them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from docclass.schemas import DocumentResult
from docclass.store import jobs, queue
from docclass.store.db import Database, alembic_config, current_revision, head_revision
from docclass.store.tables import Correction, Document, Job, Worker
from tests.integration.store.test_jobs import make_job
from tests.pg import PostgresServer

# The tables as ``create_all`` made them before migrations: these models without the upload
# chunks that came with the migrations, with the claim index they had then and without the
# columns added since.
CREATE_ALL_TABLES = [t.__table__ for t in (Job, Document, Correction, Worker)]  # type: ignore[attr-defined]
CREATE_ALL_INDEX = [
    "DROP INDEX ix_document_job_status_position",
    "DROP INDEX ix_document_rows",
    "CREATE INDEX ix_document_job_status ON document (job_id, status)",
    *(
        f"ALTER TABLE document DROP COLUMN {column}"
        for column in ("ocr_pages", "ocr_confidence", "reviewed_at", "reviewed_by")
    ),
    "ALTER TABLE document DROP COLUMN refined",
    "ALTER TABLE document DROP COLUMN earlier_category",
    "ALTER TABLE document DROP COLUMN embedding",
    "ALTER TABLE document DROP COLUMN layout",
    "ALTER TABLE job DROP COLUMN name",
    "ALTER TABLE job DROP COLUMN resumed_at",
]

# The schema of the last release, as its ``create_all`` made it in SQLite (no workers, no
# finisher, no classifier input), with one job of one completed document in it.
LAST_RELEASE_SQLITE = """
CREATE TABLE job (
    id VARCHAR(32) NOT NULL, status VARCHAR NOT NULL, taxonomy_name VARCHAR NOT NULL,
    taxonomy_toml VARCHAR NOT NULL, taxonomy_base_dir VARCHAR, classifier VARCHAR NOT NULL,
    total_files INTEGER NOT NULL, error VARCHAR, created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL, finished_at DATETIME, PRIMARY KEY (id));
CREATE TABLE document (
    id VARCHAR(32) NOT NULL, job_id VARCHAR NOT NULL, position INTEGER NOT NULL,
    filename VARCHAR NOT NULL, sha256 VARCHAR NOT NULL, size INTEGER NOT NULL,
    status VARCHAR NOT NULL, progress INTEGER NOT NULL, error VARCHAR,
    attempts INTEGER NOT NULL, owner VARCHAR, kind VARCHAR, engine VARCHAR, pages INTEGER,
    characters INTEGER, truncated BOOLEAN NOT NULL, text_preview VARCHAR, page_starts JSON,
    detectors JSON, detector_counts JSON, final_category VARCHAR, confidence FLOAT,
    scores JSON, rationale VARCHAR, classifier VARCHAR, classifier_meta JSON, timings JSON,
    needs_review BOOLEAN NOT NULL, review_reason VARCHAR, evidence JSON,
    corrected_category VARCHAR, created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL,
    started_at DATETIME, finished_at DATETIME, PRIMARY KEY (id),
    FOREIGN KEY(job_id) REFERENCES job (id) ON DELETE CASCADE);
CREATE TABLE correction (
    id INTEGER NOT NULL, doc_id VARCHAR NOT NULL, taxonomy_name VARCHAR NOT NULL,
    predicted_category VARCHAR, category VARCHAR NOT NULL, corrected_by VARCHAR,
    created_at DATETIME NOT NULL, PRIMARY KEY (id),
    FOREIGN KEY(doc_id) REFERENCES document (id) ON DELETE CASCADE);
CREATE INDEX ix_correction_doc_id ON correction (doc_id);
CREATE INDEX ix_correction_taxonomy_name ON correction (taxonomy_name);
CREATE INDEX ix_document_job_status ON document (job_id, status);
CREATE INDEX ix_document_sha256 ON document (sha256);
CREATE INDEX ix_document_status_job ON document (status, job_id, position);
CREATE INDEX ix_job_created_at ON job (created_at);
CREATE INDEX ix_job_status ON job (status);
INSERT INTO job VALUES ('oldjob', 'completed', 'default', '', NULL, 'local', 1, NULL,
    '2025-01-01 10:00:00.000000', '2025-01-01 10:00:05.000000', '2025-01-01 10:00:05.000000');
INSERT INTO document (id, job_id, position, filename, sha256, size, status, progress,
    attempts, truncated, needs_review, final_category, created_at, updated_at)
    VALUES ('olddoc', 'oldjob', 0, 'a.txt', 'abc', 3, 'completed', 100, 1, 0, 0, 'invoice',
    '2025-01-01 10:00:00.000000', '2025-01-01 10:00:05.000000');
"""


@pytest.fixture
def empty_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with no tables at all."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("pg_server")
    url = server.create_database(empty=True)
    yield url
    server.drop_database(url)


def schema_drift(db: Database) -> list:
    """What autogenerate would write to make the database match the models."""
    with db.read_engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)


def works(db: Database) -> None:
    """A job goes through claim, save and the finishing step."""
    job_id = make_job(db, 2)
    claimed = queue.claim_documents(db=db, owner="w", limit=50)
    outcomes = [queue.Outcome(c.doc_id, c.job_id, DocumentResult()) for c in claimed]
    assert job_id in queue.save_outcomes(db=db, owner="w", outcomes=outcomes)[1]
    assert queue.complete_job(db=db, job_id=job_id, owner="w")
    assert jobs.get_job(db=db, job_id=job_id).status == "completed"


def test_a_new_database_is_created_at_the_newest_revision(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        assert current_revision(db.read_engine) == head_revision()
        assert schema_drift(db) == []  # the migrations build exactly the models' schema
        works(db)
    finally:
        db.dispose()


def test_a_database_made_by_create_all_is_stamped_and_upgraded(empty_url: str) -> None:
    old = create_engine(empty_url)
    SQLModel.metadata.create_all(old, tables=CREATE_ALL_TABLES)
    before = Database(empty_url, create=False)
    job_id = make_job(before, 3)
    before.dispose()
    with old.begin() as conn:
        for statement in CREATE_ALL_INDEX:
            conn.exec_driver_sql(statement)
    old.dispose()

    db = Database(empty_url)
    try:
        assert current_revision(db.read_engine) == head_revision()
        assert "upload_chunk" in inspect(db.read_engine).get_table_names()
        assert schema_drift(db) == []
        assert jobs.get_job(db=db, job_id=job_id).total_files == 3  # the rows are kept
        works(db)
    finally:
        db.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_last_releases_sqlite_database_upgrades_in_place(empty_url: str) -> None:
    path = empty_url.split("///", 1)[1]
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.executescript(LAST_RELEASE_SQLITE)
    db = Database(empty_url)
    try:
        assert current_revision(db.read_engine) == head_revision()
        assert schema_drift(db) == []
        old = jobs.get_job(db=db, job_id="oldjob")
        assert (old.status, old.completed, old.documents[0].final_category) == (
            "completed",
            1,
            "invoice",
        )
        works(db)
    finally:
        db.dispose()


def test_processes_starting_together_migrate_once(empty_url: str) -> None:
    """Every process opening a new database at once finds it migrated; none fails."""
    errors: list[BaseException] = []
    opened: list[Database] = []
    start = threading.Barrier(6)

    def open_db() -> None:
        try:
            start.wait()
            opened.append(Database(empty_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_db) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors, errors
        with opened[0].read_engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert versions == [(head_revision(),)]
        works(opened[0])
    finally:
        for db in opened:
            db.dispose()


def test_downgrade_to_nothing_and_back(empty_url: str) -> None:
    db = Database(empty_url)
    try:
        with db.write_engine.begin() as conn:
            command.downgrade(alembic_config(conn), "base")
        assert set(inspect(db.read_engine).get_table_names()) == {"alembic_version"}
        with db.write_engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        assert schema_drift(db) == []
        works(db)
    finally:
        db.dispose()


def test_answers_refined_before_0007_keep_their_mark_as_columns(empty_url: str) -> None:
    """0007 moves ``refined`` and the earlier answer out of classifier_meta into columns."""
    db = Database(empty_url)
    try:
        job_id = make_job(db, 2)
        with db.write_engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0006")
        meta = {"single": {"category": "invoice", "confidence": 0.3}, "refined": True}
        with db.write_engine.begin() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM document ORDER BY position"))]
            conn.execute(
                text("UPDATE document SET classifier_meta = :meta WHERE id = :id"),
                {"meta": json.dumps(meta), "id": ids[0]},
            )
            conn.execute(
                text("UPDATE document SET classifier_meta = :meta WHERE id = :id"),
                {"meta": json.dumps({"single": {"category": "memo"}}), "id": ids[1]},
            )
            command.upgrade(alembic_config(conn), "head")
        rows = {r.id: r for r in jobs.get_job(db=db, job_id=job_id).documents}
        assert (rows[ids[0]].refined, rows[ids[0]].earlier_category) == (True, "invoice")
        assert (rows[ids[1]].refined, rows[ids[1]].earlier_category) == (False, None)
        assert schema_drift(db) == []
    finally:
        db.dispose()
