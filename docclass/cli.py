"""Command line: ``python -m docclass classify|jobs|status|export|worker``.

It uses the same database and settings as the app, so a job started here shows in the
browser and the other way round.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from docclass import export
from docclass.settings import load_settings
from docclass.statuses import ACTIVE_JOB, JobStatus
from docclass.taxonomy import TaxonomyError, load_taxonomy

if TYPE_CHECKING:
    from docclass.jobs.service import Service


class CliError(Exception):
    """A one-line reason printed to stderr with a non-zero exit."""


def _service(args: argparse.Namespace, *, start: bool = True, **overrides: object) -> Service:
    from docclass.jobs.service import Service

    if getattr(args, "workers", None):
        overrides["workers"] = args.workers
    if getattr(args, "procs", None):
        overrides["process_workers"] = args.procs
    return Service(load_settings(**overrides), start=start)


def _write(data: bytes, out: str | None) -> None:
    if out:
        Path(out).write_bytes(data)
        return
    text = data.decode("utf-8-sig")
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


# How often the command line reads the job's counts (each read counts every document);
# the job's end in this process is seen at once.
PROGRESS_POLL_S = 0.5


def _progress(service: Service, job_id: str, total: int, quiet: bool) -> str:
    """Show a progress bar on stderr until the job ends; return its final status."""
    from tqdm import tqdm

    with tqdm(total=total, unit="doc", file=sys.stderr, disable=quiet, leave=True) as bar:
        while True:
            job = service.get_job(job_id, include_documents=False)
            if job is None:
                raise CliError(f"job {job_id} disappeared")
            bar.set_postfix(failed=job.failed, refresh=False)
            bar.update(job.done - bar.n)
            if job.status not in ACTIVE_JOB:
                return job.status
            service.wait_for_change(PROGRESS_POLL_S)


def _start_readers_early() -> None:
    """The reader processes' forkserver imports for a second or more: start it before this
    process's own imports, so that the two run side by side."""
    from docclass.jobs.processes import start_forkserver

    start_forkserver()


def cmd_classify(args: argparse.Namespace) -> int:
    _start_readers_early()
    from docclass.jobs.uploads import StorageFull, expand_paths

    try:
        taxonomy = load_taxonomy(args.taxonomy)
    except TaxonomyError as exc:
        raise CliError(f"taxonomy: {exc}") from exc
    try:
        uploads = expand_paths(args.paths)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    if not uploads:
        raise CliError("no files found in the given paths")
    service = _service(args)
    try:
        job_id = service.submit(uploads, taxonomy=taxonomy, classifier=args.classifier)
        print(f"job {job_id}: {len(uploads)} files", file=sys.stderr)
        status = _progress(service, job_id, len(uploads), args.quiet)
        _write(service.export(job_id, args.format), args.out)
    except StorageFull as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        raise CliError(
            "interrupted: the job stays in the database; `python -m docclass worker` finishes it"
        ) from None
    finally:
        service.stop(wait=False)
    if status != JobStatus.completed:
        raise CliError(f"job {job_id} ended {status}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    service = _service(args, start=False)
    listing = service.list_jobs(statuses=args.status or None, limit=args.limit)
    if args.json:
        print(listing.model_dump_json(indent=2))
        return 0
    print(
        f"{'job_id':32}  {'status':10}  {'files':>5}  {'done':>5}  {'failed':>6}  "
        f"{'progress':>8}  created"
    )
    for j in listing.jobs:
        print(
            f"{j.job_id:32}  {j.status:10}  {j.total_files:>5}  {j.completed:>5}  "
            f"{j.failed:>6}  {j.progress:>7.0f}%  {j.created_at:%Y-%m-%d %H:%M:%S}"
        )
    print(f"{listing.total} jobs", file=sys.stderr)
    return 0


def cmd_workers(args: argparse.Namespace) -> int:
    service = _service(args, start=False)
    print(f"{'worker':40}  {'pid':>7}  {'documents':>9}  last heartbeat")
    for w in service.workers():
        print(f"{w.id:40}  {w.pid:>7}  {w.documents_done:>9}  {w.heartbeat_at:%Y-%m-%d %H:%M:%S}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    job = _service(args, start=False).get_job(args.job_id)
    if job is None:
        raise CliError(f"no job {args.job_id}")
    print(job.model_dump_json(indent=2))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    try:
        data = _service(args, start=False).export(args.job_id, args.format)
    except KeyError as exc:
        raise CliError(f"no job {args.job_id}") from exc
    _write(data, args.out)
    return 0


STOP_CHECK_S = 0.5


def _stop_on_signals() -> None:
    """Ctrl-C (SIGINT) and SIGTERM (a service manager, ``docker stop``) both stop the worker
    cleanly. Set explicitly: a process started in the background by a script inherits an
    ignored SIGINT, and Python then never turns it into KeyboardInterrupt."""

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def cmd_worker(args: argparse.Namespace) -> int:
    if hasattr(signal, "SIGUSR1"):  # `kill -USR1 <pid>`: every thread's stack on stderr
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    _start_readers_early()
    service: Service | None = None
    _stop_on_signals()
    try:  # from here a signal is a clean stop, also one that arrives while the worker starts
        service = _service(args)
        settings = service.settings
        print(
            f"worker {service.worker.id}: {settings.process_workers} reader processes, "
            f"{service.worker.capacity} documents in flight",
            file=sys.stderr,
        )
        if args.exit_when_idle:
            service.wait_idle()
        else:
            # Short sleeps: the kernel may hand a signal to any of the process's threads, and
            # Python then only flags it for the main thread, which sees the flag when it wakes
            # (an hour-long sleep ignored such a Ctrl-C for the hour).
            while True:
                time.sleep(STOP_CHECK_S)
    except KeyboardInterrupt:
        pass
    finally:
        if service is not None:
            service.stop(wait=args.exit_when_idle)
    return 0


def cmd_correct(args: argparse.Namespace) -> int:
    try:
        _service(args, start=False).correct(args.doc_id, args.category, corrected_by=args.by)
    except KeyError as exc:
        raise CliError(f"no document {args.doc_id}") from exc
    print(f"{args.doc_id}: corrected to {args.category}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m docclass", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("classify", help="classify files and folders as one job")
    p.add_argument("paths", nargs="+", help="files or folders (searched recursively)")
    p.add_argument("--taxonomy", help="built-in name (default, sensitivity) or a TOML file")
    p.add_argument("--classifier", choices=["local", "openai", "auto"], default=None)
    p.add_argument("--workers", type=int, help="documents in flight at once (DOCCLASS_WORKERS)")
    p.add_argument("--out", help="write results here instead of stdout")
    p.add_argument("--format", choices=export.FORMATS, default="csv")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("jobs", help="list jobs, newest first")
    p.add_argument("--status", action="append", choices=[s.value for s in JobStatus])
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true", help="print the list_jobs JSON shape")
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser("status", help="print a job's status as JSON")
    p.add_argument("job_id")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("export", help="write a job's results")
    p.add_argument("job_id")
    p.add_argument("--format", choices=export.FORMATS, default="csv")
    p.add_argument("--out")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("correct", help="set a document's category; it becomes an example")
    p.add_argument("doc_id")
    p.add_argument("category")
    p.add_argument("--by", help="who corrected it (stored with the correction)")
    p.set_defaults(func=cmd_correct)

    p = sub.add_parser("workers", help="list running workers (host, pid, heartbeat, documents)")
    p.set_defaults(func=cmd_workers)

    p = sub.add_parser("worker", help="process unfinished jobs in the foreground")
    p.add_argument("--workers", type=int, help="documents in flight at once (DOCCLASS_WORKERS)")
    p.add_argument(
        "--concurrency", type=int, dest="procs", help="reader processes (DOCCLASS_PROCESS_WORKERS)"
    )
    p.add_argument("--exit-when-idle", action="store_true", help="stop when the queue is empty")
    p.set_defaults(func=cmd_worker)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except (CliError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
