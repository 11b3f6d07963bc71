"""A runner in its own process, for the crash-and-restart test: ``submit DIR`` or ``resume``."""

from __future__ import annotations

import sys

from docclass.runner import Runner, expand_paths
from docclass.settings import load_settings
from tests import workers

if __name__ == "__main__":
    mode = sys.argv[1]
    settings = load_settings(workers=2, process_workers=2)
    if mode == "submit":
        runner = Runner(settings, extract_fn=workers.slow)
        job_id = runner.submit(expand_paths([sys.argv[2]]), classifier="local")
        print(job_id, flush=True)
        runner.wait_job(job_id, timeout=600)
    else:
        runner = Runner(settings)
        runner.wait_idle(timeout=600)
    runner.shutdown(wait=True)
