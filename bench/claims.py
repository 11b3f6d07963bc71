"""The queue on PostgreSQL and on SQLite; prints numbers, asserts nothing.

    .venv/bin/python bench/claims.py [--pg-url URL] [--claims 4000] [--docs 600]

1. Claims per second with 1, 2, 4 and 8 claimer processes at once, each on its own
   connection, each claim taking up to ``--batch`` documents (what a worker with that many
   free slots asks for), until ``--claims`` pending documents are gone.
2. Documents per second through 1 and 2 ``python -m docclass worker`` processes (default
   settings: as many reader processes as cores each), on a job of ``--docs`` unique texts
   submitted once the workers are up: from the job's creation to its completion. The time
   the submission took before (hashing and storing the uploads) is printed beside it.

Without ``--pg-url`` it starts its own PostgreSQL (``initdb`` + ``pg_ctl``, as in the tests,
but with fsync and synchronous commits on, as a real server has them) and removes it after.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on the path, and this file shares its name
# with the standard library's queue module (which the app imports): take the folder out.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from multiprocessing.synchronize import Barrier  # noqa: E402

from docclass.jobs.service import Service  # noqa: E402
from docclass.jobs.uploads import Upload  # noqa: E402
from docclass.settings import load_settings  # noqa: E402
from docclass.store import queue  # noqa: E402
from docclass.store.db import Database  # noqa: E402
from docclass.store.jobs import NewDocument, create_job  # noqa: E402

SHARED = ROOT.parent / "shared"
PY = sys.executable


# --- claims --------------------------------------------------------------------------------


def _claimer(url: str, owner: str, batch: int, start: Barrier, out: multiprocessing.Queue) -> None:
    db = Database(url, create=False)
    with db.read() as s:
        s.connection()  # connected before the clock starts
    start.wait()
    calls = docs = 0
    while claimed := queue.claim_documents(db=db, owner=owner, limit=batch):
        calls += 1
        docs += len(claimed)
    out.put((calls, docs, time.perf_counter()))
    db.dispose()


def claims_per_second(url: str, claimers: int, n: int, batch: int) -> tuple[float, float]:
    """(claim transactions per second, documents claimed per second) over ``n`` documents."""
    db = Database(url)
    docs = [NewDocument(filename=f"{i}.txt", sha256=f"{i:064x}", size=1) for i in range(n)]
    create_job(db=db, documents=docs, taxonomy_name="default", taxonomy_toml="")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(claimers + 1)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_claimer, args=(url, f"c{i}", batch, start, out))
        for i in range(claimers)
    ]
    for p in procs:
        p.start()
    start.wait()
    began = time.perf_counter()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    seconds = max(r[2] for r in results) - began
    calls, claimed = sum(r[0] for r in results), sum(r[1] for r in results)
    if claimed != n:
        raise SystemExit(f"{claimed} documents claimed out of {n}")
    db.dispose()
    return calls / seconds, claimed / seconds


# --- workers -------------------------------------------------------------------------------


def texts(n: int) -> list[Upload]:
    """``n`` unique texts: the dev texts, each copy with its own reference line."""
    found = sorted((SHARED / "eval" / "doctype-dev").rglob("*.txt"))
    bodies = [p.read_text("utf-8") for p in found]
    return [
        Upload(f"{i:05d}.txt", f"Reference {i:05d}\n{bodies[i % len(bodies)]}".encode())
        for i in range(n)
    ]


def docs_per_second(url: str, workers: int, n: int, folder: Path) -> tuple[float, float]:
    """Documents per second through ``workers`` worker processes, from the job's creation to
    its completion; and the seconds the submission took (storing the uploads)."""
    env = {**os.environ, "DOCCLASS_DATABASE_URL": url, "DOCCLASS_CLASSIFIER": "local"}
    db = Database(url)  # the schema exists before the workers race to create it
    # On PostgreSQL each worker has its own folder, as on its own machine (uploads come from
    # the database); SQLite's workers share the app's folder on the one machine.
    own_folders = db.stores_uploads
    db.dispose()
    procs = []
    for i in range(workers):
        data = folder / (f"worker{i}" if own_folders else "app")
        env_i = {**env, "DOCCLASS_DATA_DIR": str(data)}
        procs.append(
            subprocess.Popen(
                [PY, "-m", "docclass", "worker"],
                cwd=ROOT,
                env=env_i,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    settings = load_settings(
        database_url=url, data_dir=folder / "app", classifier="local", poll_s=0.1
    )
    service = Service(settings, start=False)  # submits only: the workers do the work
    try:
        deadline = time.monotonic() + 120
        while len(queue.list_workers(db=service.db)) < workers:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start")
            time.sleep(0.1)
        time.sleep(2.0)  # their reader processes are warm
        uploads = texts(n)
        began = time.perf_counter()
        job_id = service.submit(uploads)
        submitted = time.perf_counter()
        status = service.wait_job(job_id, timeout=1800, poll=0.05)
        seconds = time.perf_counter() - submitted
        if status != "completed":
            raise SystemExit(f"job ended {status}")
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            p.wait(timeout=60)
        service.stop()
    return n / seconds, submitted - began


def on_each(urls: dict[str, Callable[[], str]], run: Callable[[str, str], str]) -> None:
    for name, make_url in urls.items():
        print(f"  {name:10} {run(name, make_url())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", help="an existing PostgreSQL server's database URL")
    parser.add_argument("--claims", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--docs", type=int, default=600)
    args = parser.parse_args()
    server = None
    if args.pg_url is None:
        from tests.pg import PostgresServer

        server = PostgresServer.start_new(durable=True)
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            counter = iter(range(1000))

            def pg_url() -> str:
                if server is not None:
                    return server.create_database(empty=True)
                db = Database(args.pg_url)
                with db.write_engine.begin() as conn:  # a clean queue on the given database
                    for table in ("upload_chunk", "correction", "document", "job", "worker"):
                        conn.exec_driver_sql(f"DELETE FROM {table}")
                db.dispose()
                return args.pg_url

            def sqlite_url() -> str:
                return f"sqlite:///{tmp / f'bench{next(counter)}.db'}"

            urls = {"postgresql": pg_url, "sqlite": sqlite_url}
            print(f"{os.cpu_count()} cores; PostgreSQL {'given' if server is None else 'own'}")
            print(f"claims of up to {args.batch} documents, {args.claims} documents in the queue:")
            for claimers in (1, 2, 4, 8):
                print(f" {claimers} concurrent claimer{'s' if claimers > 1 else ''}:")
                on_each(
                    urls,
                    lambda _name, url, c=claimers: "{:8.0f} claims/s  {:8.0f} documents/s".format(
                        *claims_per_second(url, c, args.claims, args.batch)
                    ),
                )
            print(f"a job of {args.docs} unique texts, local classifier:")
            for workers in (1, 2):
                print(f" {workers} worker process{'es' if workers > 1 else ''}:")
                on_each(
                    urls,
                    lambda name, url, w=workers: (
                        "{:8.1f} documents/s   (submission {:.1f} s)".format(
                            *docs_per_second(url, w, args.docs, tmp / f"{name}-{w}-{next(counter)}")
                        )
                    ),
                )
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
