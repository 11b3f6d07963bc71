"""docclass in the browser: the server entry point.

Run with ``streamlit run app.py`` (or ``python app.py``). Streamlit finds the ``st.App``
below and serves ``webui/router.py``, which routes every URL to a page in ``pages/``.

The lifespan starts the app's one service when the server starts, so jobs left unfinished
by a restart resume within seconds with no browser open, and stops it on shutdown (queued
documents stay queued in the database for the next start).

Every reader process the service starts may import the main module again as
``__mp_main__`` (``python app.py``): the guard keeps such a child from building a second
app, or importing Streamlit at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROUTER = Path(__file__).resolve().parent / "webui" / "router.py"

log = logging.getLogger("docclass.app")


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Start the service with the server (the worker resumes queued jobs); stop it after."""
    from webui.service import get_service, shutdown_service

    try:
        await asyncio.to_thread(get_service)
    except Exception:  # bad settings: the pages say which; the server still starts
        log.exception("docclass could not start its service")
    try:
        yield
    finally:
        await asyncio.to_thread(shutdown_service)


if __name__ != "__mp_main__":
    import streamlit as st

    app = st.App(str(ROUTER), lifespan=lifespan)

    if __name__ == "__main__":
        app.run()
