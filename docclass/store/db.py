"""One database shared by threads, processes and machines: SQLite by default, or PostgreSQL.

SQLite is shared by the app's threads and by other processes on one machine (CLI workers,
extraction processes writing progress), so every connection gets WAL, a busy timeout,
``synchronous=NORMAL`` and foreign keys, and every write runs in a short ``BEGIN
IMMEDIATE`` transaction: writers queue on the busy timeout instead of failing with
"database is locked" when a read lock cannot be upgraded (datasette's recipe).

PostgreSQL (``postgresql+psycopg://…``) is shared by workers on any number of machines: row
locks replace the file lock (claims use ``FOR UPDATE SKIP LOCKED``), and every session runs
in UTC so that the naive ``timestamp`` columns mean the same thing on every machine.

The schema is Alembic's (``docclass/store/migrations``): opening a database upgrades it to
the newest revision, once, under a lock, and costs one small query when it is already there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection, Executable, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, create_engine

from docclass.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

if TYPE_CHECKING:  # Alembic is imported only where a schema is checked or changed
    from alembic.config import Config

BUSY_TIMEOUT_MS = 30_000
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Databases made by ``create_all`` before migrations existed: the revision each one equals,
# told apart by the newest table it has (checked newest first).
UNVERSIONED = (("worker", "0002"), ("job", "0001"))
# Any constant key: every process upgrading one PostgreSQL database takes this lock first.
MIGRATION_LOCK = 0x646F63636C617373  # "docclass"
SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(ValueError):
    """The database cannot be used as it is; the message names the file and what to do."""


@contextmanager
def _file_lock(file: Path | None) -> Iterator[None]:
    """An exclusive lock beside a SQLite file while it is checked and migrated."""
    if file is None:
        yield
        return
    import fcntl

    with open(file.with_name(file.name + ".lock"), "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_sqlite_file(path: Path) -> None:
    """Refuse a database file that is empty or not SQLite, instead of starting afresh in it
    (an empty store would silently hide every job) or failing later with a traceback."""
    if not path.exists():
        return
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    if size == 0 and wal.exists() and wal.stat().st_size > 0:
        return  # a new store in WAL mode: everything is still in the log
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


def normalise_url(url: str) -> str:
    """``postgres://`` and ``postgresql://`` use psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def json_loads(stored: str | bytes) -> Any:
    """A JSON column's value from its stored text (orjson; NaN and Infinity as well)."""
    try:
        return orjson.loads(stored)
    except orjson.JSONDecodeError:  # NaN or Infinity, as the standard library writes them
        return json.loads(stored)


# The JSON columns (detectors, scores, evidence, ...) are a job's bulk: orjson reads them
# several times faster than the standard library, which the export and the finishing step
# (every document's columns) and the views feel.
JSON_CODEC: dict[str, Any] = {"json_serializer": _json_dumps, "json_deserializer": json_loads}


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        **JSON_CODEC,
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


def _server_engine(url: str) -> Engine:
    # Workers run a handful of threads (dispatcher, writer, heartbeat, finishing, LLM calls)
    # that each hold a connection briefly; pre-ping survives a server restart or failover.
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=15, **JSON_CODEC)
    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # A plain SET (not a startup option) also passes through pgbouncer.
            with dbapi_conn.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'")
            dbapi_conn.commit()

    return engine


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration (read once per process)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None
    return head


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for our migrations, on ``connection`` when given."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revision(engine: Engine) -> str | None:
    """The schema's revision; None for a database without a version table."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision, in one transaction that holds a lock.

    Processes starting together queue on the lock (SQLite's write lock, a PostgreSQL advisory
    lock) and find the work done. A database made by ``create_all`` before migrations
    existed has no version table: it is stamped with the revision its tables equal, then
    upgraded like any other.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with engine.begin() as conn:  # SQLite's write engine: BEGIN IMMEDIATE
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head_revision():
            return
        config = alembic_config(conn)
        if current is None:
            existing = set(inspect(conn).get_table_names())
            for table, revision in UNVERSIONED:
                if table in existing:
                    command.stamp(config, revision)
                    break
        command.upgrade(config, "head")


class Database:
    """One database: a read engine and a write engine over the same URL."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        path = self.url.split("///", 1)[-1] if self.is_sqlite else ""
        file = Path(path).expanduser() if path and path != ":memory:" else None
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
        if self.is_sqlite:
            self.read_engine = _sqlite_engine(self.url, immediate=False)
            self.write_engine = _sqlite_engine(self.url, immediate=True)
        else:
            self.read_engine = self.write_engine = _server_engine(self.url)
        # Processes opening one SQLite file together take turns: the first creates it, the
        # others find a whole store, never the empty file SQLite starts from.
        with _file_lock(file):
            if file is not None:
                _check_sqlite_file(file)
            if create:
                self._upgrade()

    def _upgrade(self) -> None:
        try:
            if current_revision(self.read_engine) != head_revision():
                migrate(self.write_engine)
        except DatabaseError as exc:  # e.g. "database disk image is malformed"
            raise StoreError(
                f"the database {self.safe_url} cannot be read ({exc.orig}): it is damaged. "
                "Restore it from a backup, or move it away to start with an empty store"
            ) from exc

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def stores_uploads(self) -> bool:
        """Whether uploads are kept in the database, so that workers on any machine read
        them: on a server database yes; an SQLite file is only ever local (its folder is)."""
        return not self.is_sqlite

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


def bound_fields(model: object, fields: tuple[str, ...]) -> dict[str, Any]:
    """A model's fields as they are, keyed ``v_<field>`` for a statement's bind parameters.

    No ``model_dump``: its deep copy cost 60 us a row, more than the write itself.
    """
    return {f"v_{k}": getattr(model, k) for k in fields}


def plain_rows(s: Session, query: Executable) -> list[tuple[Any, ...]]:
    """The rows of a SELECT as the driver returns them: no per-value type processing.

    For wide listings only (10,000 document rows for a status view), where SQLAlchemy's
    result typing costs a quarter of the read; callers convert what the driver leaves raw
    (SQLite's 0/1 booleans).
    """
    conn = s.connection()
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    args: Any = params
    if compiled.positional:
        args = tuple(params[k] for k in compiled.positiontup or ())
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        return cursor.fetchall()
    finally:
        cursor.close()
