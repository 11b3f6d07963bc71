"""Uploads kept in the database, so that a worker on any machine can read them.

A worker that shares only the database URL has no uploads folder in common with the app
that took the file, so on a server database each upload is also stored here, in 1 MB chunks
named by the file's sha256 (written once per content, in one transaction: a file is there
whole or not at all). A worker copies it into its own uploads folder the first time it
needs it and checks the sha256 of what it assembled before using it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select

from docclass.store.db import Database
from docclass.store.tables import UploadChunk

CHUNK_BYTES = 1024 * 1024


def has(*, db: Database, sha256: str) -> bool:
    with db.read() as s:
        found = s.exec(
            select(UploadChunk.seq).where(UploadChunk.sha256 == sha256, UploadChunk.seq == 0)
        ).first()
    return found is not None


def put(*, db: Database, sha256: str, path: Path) -> bool:
    """Store the file at ``path`` under ``sha256`` unless it is there; True when written."""
    if has(db=db, sha256=sha256):
        return False
    insert = pg_insert if db.write_engine.dialect.name == "postgresql" else sqlite_insert
    written = 0
    with db.write() as s, open(path, "rb") as fh:
        seq = 0
        while True:
            data = fh.read(CHUNK_BYTES)
            if not data and seq > 0:
                break
            # Two apps taking the same file at once: the first one's chunks stand.
            result = s.connection().execute(
                insert(UploadChunk)
                .values(sha256=sha256, seq=seq, data=data)
                .on_conflict_do_nothing()
                .returning(UploadChunk.seq)
            )
            written += len(result.all())
            seq += 1
            if len(data) < CHUNK_BYTES:
                break
    return written > 0


def fetch(*, db: Database, sha256: str, target: Path) -> bool:
    """Write the stored file to ``target`` (atomically); False when it is not stored whole.

    Chunks are read one query at a time (memory stays at one chunk), so a deletion in the
    middle could cut the file short: the sha256 of what was assembled decides.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".fetching-")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            seq = 0
            while True:
                with db.read() as s:
                    data = s.exec(
                        select(UploadChunk.data).where(
                            UploadChunk.sha256 == sha256, UploadChunk.seq == seq
                        )
                    ).first()
                if data is None:
                    break
                digest.update(data)
                out.write(data)
                seq += 1
        if seq == 0 or digest.hexdigest() != sha256:
            os.unlink(tmp_name)
            return False
        os.replace(tmp_name, target)
        return True
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def delete_uploads(*, db: Database, hashes: Iterable[str]) -> int:
    """Forget uploads no job uses any more; returns how many chunks went."""
    wanted = [h for h in hashes if h]
    if not wanted:
        return 0
    with db.write() as s:
        result = s.exec(delete(UploadChunk).where(col(UploadChunk.sha256).in_(wanted)))
        return int(result.rowcount)  # type: ignore[attr-defined]
