"""A service in its own process, for the crash-and-restart test: ``submit DIR`` or ``resume``."""

from __future__ import annotations

import sys

from docclass.jobs.service import Service
from docclass.jobs.uploads import expand_paths
from docclass.settings import load_settings
from tests import workers

if __name__ == "__main__":
    mode = sys.argv[1]
    settings = load_settings(workers=2, process_workers=2)
    if mode == "submit":
        service = Service(settings, extract_fn=workers.slow)
        job_id = service.submit(expand_paths([sys.argv[2]]), classifier="local")
        print(job_id, flush=True)
        service.wait_job(job_id, timeout=600)
    else:
        service = Service(settings)
        service.wait_idle(timeout=600)
    service.stop(wait=True)
