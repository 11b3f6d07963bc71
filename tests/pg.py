"""A real PostgreSQL server for the tests: Debian's ``initdb`` + ``pg_ctl`` in a temporary
folder, on a free port of 127.0.0.1, as an unprivileged user (``initdb`` refuses root).

It must start: a machine without PostgreSQL fails the tests that need it, with the server's
own log in the error, instead of skipping them (``.ci/run`` installs the package).
Durability is switched off (``fsync``, ``full_page_writes``) unless asked for: the server
lives for one test session, and each test gets a fresh database of its own.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg

from docclass.store.db import Database

SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",
    "shared_buffers": "64MB",
    "log_min_messages": "warning",
    # Not UTC, as on many real servers: the app must set its sessions' zone itself.
    "timezone": "'Pacific/Auckland'",
}
# A test server lives for one session: durability only costs time there (not in benchmarks).
NOT_DURABLE = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


# The engines the job store runs on; tests that hold on both are parametrised over these.
BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "docclass_template"


class PostgresError(RuntimeError):
    """The test server could not be found, set up or started."""


def find_bindir() -> Path:
    """The folder of ``initdb`` and ``pg_ctl``: ``DOCCLASS_PG_BIN``, Debian's newest
    ``/usr/lib/postgresql/*/bin``, or the ``PATH``."""
    override = os.environ.get("DOCCLASS_PG_BIN")
    candidates = [Path(override)] if override else []
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += debian
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresError(
        "PostgreSQL's initdb/pg_ctl not found (looked in DOCCLASS_PG_BIN, "
        "/usr/lib/postgresql/*/bin and PATH): apt-get install -y postgresql"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One server for a test session; ``create_database`` gives each test its own."""

    def __init__(self, root: Path, bindir: Path, user: str | None, durable: bool) -> None:
        self.root = root
        self.durable = durable
        self.bindir = bindir
        self.user = user  # the system user running the server (None: the current one)
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = 0
        self._templated = False

    @classmethod
    def start_new(cls, *, durable: bool = False) -> PostgresServer:
        """A new server in a new temporary folder; ``durable`` keeps fsync (benchmarks)."""
        bindir = find_bindir()
        user = None
        if os.geteuid() == 0:
            user = _unprivileged_user()
        root = Path(tempfile.mkdtemp(prefix="docclass-pg-"))
        server = cls(root, bindir, user, durable)
        try:
            server._init()
            server._start()
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""
            raise PostgresError(
                f"{' '.join(command)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )
        return result

    def _init(self) -> None:
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        with open(self.data / "postgresql.conf", "a") as conf:
            settings = SERVER_SETTINGS if self.durable else {**SERVER_SETTINGS, **NOT_DURABLE}
            for key, value in settings.items():
                conf.write(f"{key} = {value}\n")
            # The socket in our own folder: /var/run/postgresql may not exist or be writable.
            conf.write(f"unix_socket_directories = '{self.root}'\n")

    def _start(self) -> None:
        last: Exception | None = None
        for _ in range(3):  # a port found free can be taken before the server binds it
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-o",
                    f"-p {self.port}",
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                return
            except PostgresError as exc:
                last = exc
        raise PostgresError(f"PostgreSQL did not start: {last}")

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )

    def create_database(self, *, empty: bool = False) -> str:
        """A new database at the newest schema (or ``empty``); returns its URL.

        Copying a template migrated once per session takes a tenth of a second, against
        half a second for migrating each test's database (the migrations have their own
        tests, on empty databases).
        """
        name = f"t_{uuid.uuid4().hex[:12]}"
        template = "template0" if empty else self._template()
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return self.url(name)

    def _template(self) -> str:
        if not self._templated:
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
            db = Database(self.url(TEMPLATE))  # migrated to the newest revision
            db.dispose()
            self._templated = True
        return TEMPLATE

    def drop_database(self, url: str) -> None:
        """Drop a test's database, closing what its processes left connected."""
        name = url.rsplit("/", 1)[-1]
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _unprivileged_user() -> str:
    """``postgres`` (Debian's package creates it), else ``nobody``."""
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresError("running as root and neither the postgres nor the nobody user exists")
