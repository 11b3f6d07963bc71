"""A damaged store says so in one line naming the file, instead of a traceback or a silently
empty store; interrupted uploads leave nothing behind."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docclass.jobs.uploads import UploadStore
from docclass.store import jobs
from docclass.store.db import Database, StoreError
from docclass.store.jobs import NewDocument
from tests.paths import ROOT


def _store_with_jobs(path: Path, n: int = 300) -> None:
    db = Database(f"sqlite:///{path}")
    docs = [NewDocument(filename=f"f{i}.txt", sha256=f"{i:064x}", size=1) for i in range(n)]
    jobs.create_job(db=db, documents=docs, taxonomy_name="d", taxonomy_toml="")
    db.dispose()
    with sqlite3.connect(path) as conn:  # everything into the main file
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_an_empty_database_file_is_not_an_empty_store(tmp_path: Path) -> None:
    path = tmp_path / "docclass.db"
    path.write_bytes(b"")
    with pytest.raises(StoreError, match=r"docclass\.db is empty \(0 bytes\): it was truncated"):
        Database(f"sqlite:///{path}")


def test_a_garbage_database_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "docclass.db"
    path.write_bytes(b"%PDF-1.7 not a database at all" * 100)
    with pytest.raises(StoreError, match=r"docclass\.db is not a SQLite database"):
        Database(f"sqlite:///{path}")


def test_a_database_cut_short_is_named(tmp_path: Path) -> None:
    path = tmp_path / "docclass.db"
    _store_with_jobs(path)
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size // 2)
    with pytest.raises(StoreError, match=r"docclass\.db is cut short"):
        Database(f"sqlite:///{path}")


def test_the_cli_prints_one_line_for_a_damaged_store(tmp_path: Path) -> None:
    (tmp_path / "docclass.db").write_bytes(b"garbage" * 1000)
    env = {**os.environ, "DOCCLASS_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "docclass", "jobs"], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not a SQLite database" in lines[0], done.stderr


def test_stale_incoming_files_are_swept_and_fresh_ones_kept(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    stale, fresh = folder / ".incoming-old", folder / ".incoming-new"
    for f in (stale, fresh):
        f.write_bytes(b"half an upload")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    UploadStore(folder, max_file_bytes=1024)
    assert not stale.exists() and fresh.exists()
