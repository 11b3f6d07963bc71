"""Shared test set-up: a runner on a temporary data folder."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from docclass.runner import Runner
from docclass.settings import Limits, load_settings


def make_runner(tmp_path: Path, extract_fn: Callable | None = None, **overrides: object) -> Runner:
    """A runner on a temporary data folder; Limits fields may be overridden by name."""
    limit_names = set(Limits.__dataclass_fields__)
    limits = {k: overrides.pop(k) for k in list(overrides) if k in limit_names}
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'data' / 'docclass.db'}",
        classifier="local",
        limits=replace(Limits(), **limits),
        **{"workers": 2, "process_workers": 2, **overrides},
    )
    return Runner(settings) if extract_fn is None else Runner(settings, extract_fn=extract_fn)
