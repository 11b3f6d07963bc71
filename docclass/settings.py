"""All settings in one place, read from ``DOCCLASS_*`` environment variables.

The README's settings table documents every field here; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value.strip() == "" else value.strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


# Below this an address-space cap fails ordinary documents (numpy and pdfium map ~400 MB).
MIN_READER_MB = 768
OCR_MODES = ("auto", "off", "force")


@dataclass(frozen=True)
class Limits:
    """What one document may cost and how it is read; enforced by extraction and the runner.

    The OCR fields travel with the limits because they decide what a reader process does
    with a scan: ``ocr`` is ``auto`` (pages without a text layer, and images), ``off`` or
    ``force`` (every page, text layer or not).
    """

    max_file_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    max_chars: int = 200_000
    doc_timeout_s: float = 60.0
    doc_memory_mb: int = 2048
    ocr: str = "auto"
    ocr_max_pages: int = 50
    ocr_dpi: int = 200
    ocr_lang: str = "eng"
    ocr_data: str = ""  # folder of Tesseract's *.traineddata; "" looks in the usual places
    max_image_pixels: int = 80_000_000  # an image (or a page rendered for OCR) above is refused


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    workers: int
    process_workers: int
    limits: Limits
    taxonomy: str
    classifier: str
    openai_base_url: str | None
    openai_model: str
    openai_timeout_s: float
    openai_max_retries: int
    openai_rpm: int
    openai_tpm: int
    cascade_threshold: float
    review_threshold: float
    # The queue: how often an idle worker looks for work from other processes, how often
    # it renews its lease, and how long a silent worker's documents stay reserved.
    poll_s: float = 1.0
    heartbeat_s: float = 5.0
    lease_s: float = 30.0
    # The LLM: ``openai_timeout_s`` bounds one call in total (connect to last byte); the
    # document deadline bounds all its calls, retries and rate-limit waits; an answer is
    # read up to the size cap and refused beyond it.
    openai_doc_deadline_s: float = 120.0
    openai_max_response_kb: int = 1024
    # Never printed or stored: repr=False keeps it out of logs and tracebacks.
    openai_api_key: str | None = field(default=None, repr=False)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (tests, CLI flags)."""
    data_dir = Path(_env("DOCCLASS_DATA_DIR", "data")).expanduser()
    # Enough documents in flight that no reader waits for the main process to claim more
    # (a 3,000-text job on 2 cores: 28 s with 16, 25 s with 32, 23 s with 64).
    workers = _env_int("DOCCLASS_WORKERS", 16 * (os.cpu_count() or 1))
    process_workers = _env_int("DOCCLASS_PROCESS_WORKERS", min(workers, os.cpu_count() or 1))
    # The reader processes share one memory budget: each gets its slice as its cap, so the
    # process tree stays within the budget however many cores the machine has.
    budget_mb = _env_int("DOCCLASS_MEMORY_BUDGET_MB", 3072)
    per_process_mb = max(MIN_READER_MB, budget_mb // max(1, process_workers))
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": _env("DOCCLASS_DATABASE_URL", f"sqlite:///{data_dir / 'docclass.db'}"),
        "workers": workers,
        "process_workers": process_workers,
        "limits": Limits(
            max_file_bytes=_env_int("DOCCLASS_MAX_FILE_MB", 50) * 1024 * 1024,
            max_pages=_env_int("DOCCLASS_MAX_PAGES", 500),
            max_chars=_env_int("DOCCLASS_MAX_CHARS", 200_000),
            doc_timeout_s=_env_float("DOCCLASS_DOC_TIMEOUT", 60.0),
            doc_memory_mb=_env_int("DOCCLASS_DOC_MEMORY_MB", per_process_mb),
            ocr=_env("DOCCLASS_OCR", "auto").lower(),
            ocr_max_pages=_env_int("DOCCLASS_OCR_MAX_PAGES", 50),
            ocr_dpi=_env_int("DOCCLASS_OCR_DPI", 200),
            ocr_lang=_env("DOCCLASS_OCR_LANG", "eng"),
            ocr_data=_env("DOCCLASS_OCR_DATA", ""),
            max_image_pixels=_env_int("DOCCLASS_MAX_IMAGE_MPIX", 80) * 1_000_000,
        ),
        "taxonomy": _env("DOCCLASS_TAXONOMY", "default"),
        "classifier": _env("DOCCLASS_CLASSIFIER", "auto"),
        "openai_api_key": os.environ.get("OPENAI_API_KEY") or None,
        "openai_base_url": os.environ.get("OPENAI_BASE_URL") or None,
        "openai_model": _env("DOCCLASS_OPENAI_MODEL", "gpt-4o-mini"),
        "openai_timeout_s": _env_float("DOCCLASS_OPENAI_TIMEOUT", 30.0),
        "openai_doc_deadline_s": _env_float("DOCCLASS_OPENAI_DOC_DEADLINE", 120.0),
        "openai_max_response_kb": _env_int("DOCCLASS_OPENAI_MAX_RESPONSE_KB", 1024),
        "openai_max_retries": _env_int("DOCCLASS_OPENAI_MAX_RETRIES", 4),
        "openai_rpm": _env_int("DOCCLASS_OPENAI_RPM", 60),
        "openai_tpm": _env_int("DOCCLASS_OPENAI_TPM", 200_000),
        "cascade_threshold": _env_float("DOCCLASS_CASCADE_THRESHOLD", 0.6),
        "review_threshold": _env_float("DOCCLASS_REVIEW_THRESHOLD", 0.5),
        "poll_s": _env_float("DOCCLASS_POLL_S", 1.0),
        "heartbeat_s": _env_float("DOCCLASS_HEARTBEAT_S", 5.0),
        "lease_s": _env_float("DOCCLASS_LEASE_S", 30.0),
    }
    values.update(overrides)
    if int(values["workers"]) < 1:  # type: ignore[arg-type]
        raise ValueError("DOCCLASS_WORKERS must be at least 1")
    if float(values["lease_s"]) < 2 * float(values["heartbeat_s"]):  # type: ignore[arg-type]
        raise ValueError("DOCCLASS_LEASE_S must be at least twice DOCCLASS_HEARTBEAT_S")
    limits: Limits = values["limits"]  # type: ignore[assignment]
    if limits.ocr not in OCR_MODES:
        raise ValueError(f"DOCCLASS_OCR must be one of {', '.join(OCR_MODES)}, got {limits.ocr!r}")
    if not 50 <= limits.ocr_dpi <= 600:
        raise ValueError(f"DOCCLASS_OCR_DPI must be between 50 and 600, got {limits.ocr_dpi}")
    return Settings(**values)  # type: ignore[arg-type]
