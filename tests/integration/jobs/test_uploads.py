"""Storing uploads on a full disk: one line that says what to do, and nothing left behind."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from docclass.jobs.service import Service
from docclass.jobs.uploads import StorageFull, Upload
from tests.harness import make_service


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """The uploads folder on a real 1 MiB filesystem (a tmpfs; CI runs as root)."""
    if os.geteuid() != 0:
        pytest.fail("this test mounts a 1 MiB tmpfs and needs root (CI runs as root)")
    folder = tmp_path / "data" / "uploads"
    folder.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def service(tmp_path: Path, small_disk: Path) -> Iterator[Service]:
    svc = make_service(tmp_path, start=False)
    try:
        yield svc
    finally:
        svc.stop()


def test_a_full_disk_fails_the_submit_in_one_line_and_removes_what_it_stored(
    service: Service, small_disk: Path
) -> None:
    earlier = service.submit([Upload("shared.txt", b"an invoice of 12 EUR\n" * 100)])
    files = [
        Upload("shared.txt", b"an invoice of 12 EUR\n" * 100),  # already stored: kept
        Upload("fits.txt", b"a letter\n" * 20_000),  # stored by this submit: removed
        Upload("too-big.txt", b"x" * (2 * 1024 * 1024)),  # the disk fills here
    ]
    with pytest.raises(StorageFull) as caught:
        service.submit(files)
    message = str(caught.value)
    assert "\n" not in message and "Errno" not in message
    assert str(small_disk) in message and "'too-big.txt'" in message
    assert "DOCCLASS_DATA_DIR" in message and "nothing was submitted" in message
    assert [j.job_id for j in service.list_jobs().jobs] == [earlier]
    left = sorted(p.name for p in small_disk.iterdir())
    kept = service.get_document(service.get_job(earlier).documents[0].id)
    assert left == [kept.sha256]  # no .incoming-*, no orphan
