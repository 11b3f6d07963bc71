"""The app's one service: a process-wide singleton shared by every session and the server.

The server's lifespan (``app.py``) starts it when the server starts, so unfinished jobs
resume with no browser open, and stops it on shutdown. Pages get the same object through
:func:`get_service`; a script run before the lifespan (``AppTest``) creates it on first use.

It is keyed on where it keeps its data (database URL, data folder): when those settings
change, the old service is stopped (``wait=False``: queued documents stay queued in the
database for the next worker) and a new one replaces it.

The OpenAI key comes from the environment, or else from Streamlit secrets
(``.streamlit/secrets.toml``, ``OPENAI_API_KEY``); it lives only in the service's settings
(``repr=False``), is never shown, logged or stored.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from docclass.jobs.service import Service
from docclass.settings import Settings, load_settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
_service: Service | None = None
_key: tuple[str, str] | None = None


def secret_api_key() -> str | None:
    """``OPENAI_API_KEY`` from Streamlit secrets, if any (the environment wins elsewhere)."""
    try:
        import streamlit as st

        value = st.secrets.get("OPENAI_API_KEY")
    except Exception:  # no secrets file at all: Streamlit raises rather than returning None
        return None
    return (str(value).strip() or None) if value else None


def app_settings() -> Settings:
    """Settings from the environment, with the key from Streamlit secrets when it has none."""
    settings = load_settings()
    if not settings.openai_api_key and (key := secret_api_key()):
        settings = replace(settings, openai_api_key=key)
    return settings


def service_key(settings: Settings) -> tuple[str, str]:
    return settings.database_url, str(settings.data_dir)


def new_service(settings: Settings) -> Service:
    """How the singleton is built (tests replace this to get a service that is not started)."""
    return Service(settings)


def get_service() -> Service:
    """The process-wide service, created on first use and replaced when its key changes."""
    global _service, _key
    settings = load_settings()
    key = service_key(settings)
    with _lock:
        if _service is not None and _key == key:
            return _service
        old, _service, _key = _service, None, None
        if old is not None:
            log.info("data settings changed: stopping the old service")
            _stop(old)
        service = new_service(app_settings())
        _service, _key = service, key
        return service


def current_service() -> Service | None:
    """The running service, if one was created (never creates one)."""
    return _service


def shutdown_service() -> None:
    """Stop the service (server shutdown, tests); the next :func:`get_service` makes a new one."""
    global _service, _key
    with _lock:
        old, _service, _key = _service, None, None
    if old is not None:
        _stop(old)


def _stop(service: Service) -> None:
    try:
        service.stop(wait=False)
    except Exception:  # a stop that fails must not keep the app from going on
        log.exception("stopping the service failed")
