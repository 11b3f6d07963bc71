"""Run a command and sample the resident memory of its whole process tree (Linux /proc).

Two sums: RSS counts a page shared by several processes (a forkserver's imports, inherited
by every reader it forks) once per process; PSS divides it among them, so the tree's PSS is
the memory the tree really holds.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _kib(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mib(root: int, *, pss: bool = True) -> tuple[float, float]:
    """(RSS, PSS) of ``root`` and all its descendants, in MiB (PSS 0 unless ``pss``)."""
    tree, todo, rss_kib, pss_kib = _children(), [root], 0, 0
    while todo:
        pid = todo.pop()
        rss_kib += _kib(f"/proc/{pid}/status", "VmRSS:")
        if pss:
            pss_kib += _kib(f"/proc/{pid}/smaps_rollup", "Pss:")
        todo.extend(tree.get(pid, []))
    return rss_kib / 1024, pss_kib / 1024


@dataclass
class Run:
    seconds: float
    peak_rss_mib: float
    peak_pss_mib: float
    returncode: int
    stdout: str
    stderr: str


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None) -> Run:
    """Wall time and peak tree RSS (sampled every 50 ms) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_rss = peak_pss = 0.0
    done = threading.Event()

    def sample() -> None:
        # PSS walks every process's page tables (smaps_rollup): read it every 4th sample
        # only, so that measuring does not slow what is measured.
        nonlocal peak_rss, peak_pss
        tick = 0
        while not done.is_set():
            rss, pss = tree_mib(proc.pid, pss=tick % 4 == 0)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            tick += 1
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return Run(seconds, peak_rss, peak_pss, proc.returncode, out, err)
