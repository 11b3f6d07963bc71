"""One database shared by threads and processes: SQLite by default, any SQLAlchemy URL.

SQLite is shared by the app's threads and by other processes (CLI workers, extraction
processes writing progress), so every connection gets WAL, a busy timeout,
``synchronous=NORMAL`` and foreign keys, and every write runs in a short ``BEGIN
IMMEDIATE`` transaction: writers queue on the busy timeout instead of failing with
"database is locked" when a read lock cannot be upgraded (datasette's recipe).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, SQLModel, create_engine

from docclass.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

BUSY_TIMEOUT_MS = 30_000
SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(ValueError):
    """The database cannot be used as it is; the message names the file and what to do."""


def _check_sqlite_file(path: Path) -> None:
    """Refuse a database file that is empty or not SQLite, instead of starting afresh in it
    (an empty store would silently hide every job) or failing later with a traceback."""
    if not path.exists():
        return
    size = path.stat().st_size
    if size == 0:
        raise StoreError(
            f"the database file {path} is empty (0 bytes): it was truncated. Restore it from a "
            "backup, or move it away to start with an empty store"
        )
    with path.open("rb") as fh:
        header = fh.read(100)
    if not header.startswith(SQLITE_HEADER):
        raise StoreError(
            f"the database file {path} is not a SQLite database (damaged or another file). "
            "Restore it from a backup, or move it away to start with an empty store"
        )
    # The header records the page size (bytes 16-17, 1 meaning 65,536) and the page count
    # (bytes 28-31): a file shorter than that lost its end.
    page_size = int.from_bytes(header[16:18], "big") or 1
    page_size = 65_536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if len(header) == 100 and size < pages * page_size:
        raise StoreError(
            f"the database file {path} is cut short ({size:,} of {pages * page_size:,} bytes): "
            "it is damaged. Restore it from a backup, or move it away to start with an empty store"
        )


def new_id() -> str:
    return uuid.uuid4().hex


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not pysqlite, decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """One database: a read engine and a write engine over the same URL."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                file = Path(path).expanduser()
                file.parent.mkdir(parents=True, exist_ok=True)
                _check_sqlite_file(file)
            self.read_engine = _sqlite_engine(url, immediate=False)
            self.write_engine = _sqlite_engine(url, immediate=True)
        else:
            self.read_engine = self.write_engine = create_engine(url, pool_pre_ping=True)
        if create:
            try:
                SQLModel.metadata.create_all(self.write_engine)
            except DatabaseError as exc:  # e.g. "database disk image is malformed"
                raise StoreError(
                    f"the database {self.safe_url} cannot be read ({exc.orig}): it is damaged. "
                    "Restore it from a backup, or move it away to start with an empty store"
                ) from exc

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on exit."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def dispose(self) -> None:
        self.read_engine.dispose()
        self.write_engine.dispose()
