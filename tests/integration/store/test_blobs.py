"""Uploads in the database: whole or not at all, checked by their sha256, and readable by
an upload store on another machine (another folder) that shares only the database."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from sqlmodel import col, update

from docclass.jobs.uploads import Upload, UploadStore
from docclass.store import blobs
from docclass.store.db import Database
from docclass.store.tables import UploadChunk


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blobs, "CHUNK_BYTES", 1000)


def stored(tmp_path: Path, data: bytes) -> tuple[str, Path]:
    path = tmp_path / "source"
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest(), path


@pytest.mark.parametrize("size", [0, 1, 1000, 2005])
def test_a_file_comes_back_byte_for_byte(db: Database, tmp_path: Path, size: int) -> None:
    data = bytes(range(256)) * (size // 256 + 1)
    sha, path = stored(tmp_path, data[:size])
    assert blobs.put(db=db, sha256=sha, path=path)
    assert not blobs.put(db=db, sha256=sha, path=path)  # once per content
    target = tmp_path / "elsewhere" / sha
    assert blobs.fetch(db=db, sha256=sha, target=target)
    assert target.read_bytes() == data[:size]


def test_missing_deleted_or_damaged_uploads_are_not_fetched(db: Database, tmp_path: Path) -> None:
    sha, path = stored(tmp_path, b"x" * 2500)
    target = tmp_path / "out" / sha
    assert not blobs.fetch(db=db, sha256=sha, target=target)
    blobs.put(db=db, sha256=sha, path=path)
    with db.write() as s:  # one chunk altered: the assembled file fails its sha256
        s.exec(update(UploadChunk).where(col(UploadChunk.seq) == 1).values(data=b"y" * 1000))
    assert not blobs.fetch(db=db, sha256=sha, target=target)
    assert blobs.delete_uploads(db=db, hashes=[sha]) == 3
    assert not blobs.fetch(db=db, sha256=sha, target=target)
    assert not target.exists()
    assert [p.name for p in target.parent.iterdir()] == []  # no temporary file left behind


def test_two_apps_storing_the_same_file_at_once(db: Database, tmp_path: Path) -> None:
    sha, path = stored(tmp_path, b"same content " * 300)
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def put() -> None:
        try:
            start.wait()
            blobs.put(db=db, sha256=sha, path=path)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert blobs.fetch(db=db, sha256=sha, target=tmp_path / "out")


def test_a_worker_elsewhere_reads_uploads_from_a_server_database(
    db: Database, tmp_path: Path, backend: str
) -> None:
    app = UploadStore(tmp_path / "app", 10**6, db=db)
    worker = UploadStore(tmp_path / "worker", 10**6, db=db)  # another machine's folder
    doc = app.keep(Upload("a.txt", b"hello " * 500))
    path = worker.path(doc.sha256)
    if backend == "sqlite":  # one machine: the app's folder is the only copy
        assert not path.exists() and not blobs.has(db=db, sha256=doc.sha256)
        return
    assert path.read_bytes() == b"hello " * 500
    app.forget([doc.sha256])
    assert not blobs.has(db=db, sha256=doc.sha256)
    assert not (tmp_path / "app" / doc.sha256).exists()
