"""What a job asks for, in a form a reader process can rebuild its classifier from.

A :class:`JobSpec` is small and picklable: it crosses into the reader processes with every
document. Each process keeps the classifiers it built, keyed on everything that shapes them
(taxonomy text, example folders, the corrections version), so a job's classifier is built
once per process and rebuilt only when analysts add corrections.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from docclass.classifiers.factory import uses_llm, uses_local
from docclass.settings import Settings
from docclass.store.corrections import correction_examples
from docclass.store.db import Database
from docclass.store.tables import Job
from docclass.taxonomy import Taxonomy, parse_taxonomy

if TYPE_CHECKING:  # heavy (numpy, scipy): imported where a classifier is built
    from docclass.classifiers.local import LocalClassifier


@dataclass(frozen=True)
class JobSpec:
    taxonomy_name: str
    taxonomy_toml: str
    taxonomy_base_dir: str | None
    local: bool  # the local classifier runs in the reader process (local, auto)
    llm: bool  # the LLM decides, alone or when local is unsure (openai, auto with a key)
    corrections_version: int
    database_url: str
    review_threshold: float

    def with_corrections(self, version: int) -> JobSpec:
        return replace(self, corrections_version=version)

    @property
    def taxonomy(self) -> Taxonomy:
        return _taxonomy(self.taxonomy_toml, self.taxonomy_name, self.taxonomy_base_dir)

    def local_classifier(self) -> LocalClassifier:
        """This process's classifier for the job (reader processes only)."""
        return _local_classifier(
            self.taxonomy_toml,
            self.taxonomy_name,
            self.taxonomy_base_dir,
            self.corrections_version,
            self.database_url,
        )


@lru_cache(maxsize=16)
def _taxonomy(toml: str, name: str, base_dir: str | None) -> Taxonomy:
    return parse_taxonomy(toml, name=name, base_dir=Path(base_dir) if base_dir else None)


@lru_cache(maxsize=8)
def _local_classifier(
    toml: str, name: str, base_dir: str | None, corrections_version: int, database_url: str
) -> LocalClassifier:
    from docclass.classifiers.local import LocalClassifier

    taxonomy = _taxonomy(toml, name, base_dir)
    examples = _folder_examples(toml, name, base_dir)
    if corrections_version:
        db = _database(database_url)
        examples = [*examples, *correction_examples(db=db, taxonomy_name=name)]
    return LocalClassifier(taxonomy, examples)


@lru_cache(maxsize=8)
def _folder_examples(toml: str, name: str, base_dir: str | None) -> list[tuple[str, str]]:
    from docclass.classifiers.examples import folder_examples

    return folder_examples(_taxonomy(toml, name, base_dir))


@lru_cache(maxsize=4)
def _database(url: str) -> Database:
    """This process's connection to the job store (reader processes write progress)."""
    return Database(url, create=False)


def process_database(url: str) -> Database:
    return _database(url)


def taxonomy_of(job: Job) -> Taxonomy:
    """The taxonomy a job was submitted with (its TOML is kept on the job row)."""
    return _taxonomy(job.taxonomy_toml, job.taxonomy_name, job.taxonomy_base_dir)


def spec_of(job: Job, settings: Settings, *, corrections_version: int) -> JobSpec:
    """What reader processes need to run this job's documents."""
    return spec_for(
        job.taxonomy_name,
        job.taxonomy_toml,
        job.taxonomy_base_dir,
        job.classifier,
        settings,
        corrections_version=corrections_version,
    )


def spec_for(
    taxonomy_name: str,
    taxonomy_toml: str,
    taxonomy_base_dir: str | None,
    kind: str,
    settings: Settings,
    *,
    corrections_version: int,
) -> JobSpec:
    """A spec for a taxonomy and classifier kind (a job row's, or a one-off answer's)."""
    return JobSpec(
        taxonomy_name=taxonomy_name,
        taxonomy_toml=taxonomy_toml,
        taxonomy_base_dir=taxonomy_base_dir,
        local=uses_local(kind),
        llm=uses_llm(kind, settings),
        corrections_version=corrections_version,
        database_url=settings.database_url,
        review_threshold=settings.review_threshold,
    )
