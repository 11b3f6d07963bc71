"""Shared test set-up: settings and services on a temporary data folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from docclass.jobs.service import Service
from docclass.settings import Limits, Settings, load_settings


def settings_for(tmp_path: Path, **overrides: object) -> Settings:
    """Settings on ``tmp_path/data``; Limits fields may be overridden by name."""
    limit_names = set(Limits.__dataclass_fields__)
    limits = {k: overrides.pop(k) for k in list(overrides) if k in limit_names}
    return load_settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'data' / 'docclass.db'}",
        classifier="local",
        limits=replace(Limits(), **limits),
        **{"workers": 2, "process_workers": 2, "poll_s": 0.2, **overrides},
    )


def make_service(
    tmp_path: Path, extract_fn: object = None, *, start: bool = True, **overrides: object
) -> Service:
    settings = settings_for(tmp_path, **overrides)
    if extract_fn is None:
        return Service(settings, start=start)
    return Service(settings, extract_fn=extract_fn, start=start)  # type: ignore[arg-type]
