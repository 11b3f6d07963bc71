"""Taxonomies: the categories a document can be classified into, loaded from TOML.

A taxonomy is plain data so it can be snapshotted into a job row (its TOML text) and
re-read identically after a restart.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

BUILTIN = ("default", "sensitivity")


class TaxonomyError(ValueError):
    """A taxonomy file that cannot be used; the message names the line to fix."""


@dataclass(frozen=True)
class Category:
    name: str
    description: str
    keywords: tuple[str, ...] = ()
    examples: Path | None = None
    # Sensitivity ladders: detectors whose hits lift a document to at least this category.
    floor_if: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    name: str
    categories: tuple[Category, ...]
    source_text: str = field(repr=False, default="")
    base_dir: Path | None = None
    # True when the order of categories is a ladder (least to most strict).
    ordered: bool = False

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]

    def get(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise KeyError(name)

    def keywords(self) -> dict[str, tuple[str, ...]]:
        return {c.name: c.keywords for c in self.categories if c.keywords}


def _category_lines(text: str) -> list[int]:
    """1-based line numbers of each ``[[category]]`` header, in order."""
    return [
        i
        for i, line in enumerate(text.splitlines(), start=1)
        if re.match(r"^\s*\[\[\s*category\s*\]\]", line)
    ]


def _key_line(text: str, header: int, key: str) -> int:
    """Line of ``key = ...`` in the category block whose header is on line ``header``."""
    lines = text.splitlines()
    for index in range(header, len(lines)):  # ``header`` is 1-based: this starts below it
        if lines[index].lstrip().startswith("["):
            break
        if re.match(rf"^\s*{re.escape(key)}\s*=", lines[index]):
            return index + 1
    return header


def parse_taxonomy(text: str, *, name: str = "custom", base_dir: Path | None = None) -> Taxonomy:
    """Parse and validate taxonomy TOML; raise :class:`TaxonomyError` naming the bad line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(f"invalid TOML: {exc}") from exc
    raw = data.get("category")
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise TaxonomyError("no [[category]] tables found: a taxonomy needs at least two")
    headers = _category_lines(text)
    seen: dict[str, int] = {}
    categories: list[Category] = []
    for index, item in enumerate(raw):
        line = headers[index] if index < len(headers) else 0
        where = f"line {line}" if line else f"category #{index + 1}"
        cat_name = item.get("name")
        if not isinstance(cat_name, str) or not cat_name.strip():
            raise TaxonomyError(f"{where}: category has no name")
        cat_name = cat_name.strip()
        name_line = _key_line(text, line, "name") if line else 0
        if cat_name in seen:
            raise TaxonomyError(
                f"line {name_line}: duplicate category name {cat_name!r} "
                f"(first defined at line {seen[cat_name]})"
            )
        seen[cat_name] = name_line
        description = item.get("description")
        if not isinstance(description, str) or not description.strip():
            desc_line = _key_line(text, line, "description") if line else 0
            raise TaxonomyError(f"line {desc_line}: category {cat_name!r} has an empty description")
        keywords = item.get("keywords", [])
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            kw_line = _key_line(text, line, "keywords") if line else 0
            raise TaxonomyError(
                f"line {kw_line}: keywords of {cat_name!r} must be a list of strings"
            )
        floor_if = item.get("floor_if", [])
        if not isinstance(floor_if, list) or not all(isinstance(k, str) for k in floor_if):
            fl_line = _key_line(text, line, "floor_if") if line else 0
            raise TaxonomyError(
                f"line {fl_line}: floor_if of {cat_name!r} must be a list of strings"
            )
        examples = item.get("examples")
        examples_path: Path | None = None
        if examples is not None:
            if not isinstance(examples, str) or not examples.strip():
                ex_line = _key_line(text, line, "examples") if line else 0
                raise TaxonomyError(
                    f"line {ex_line}: examples of {cat_name!r} must be a folder path"
                )
            examples_path = Path(examples)
            if not examples_path.is_absolute() and base_dir is not None:
                examples_path = base_dir / examples_path
        categories.append(
            Category(
                name=cat_name,
                description=" ".join(description.split()),
                keywords=tuple(k.strip().lower() for k in keywords if k.strip()),
                examples=examples_path,
                floor_if=tuple(floor_if),
            )
        )
    if len(categories) < 2:
        raise TaxonomyError(f"a taxonomy needs at least two categories, found {len(categories)}")
    title = data.get("name", name)
    return Taxonomy(
        name=str(title),
        categories=tuple(categories),
        source_text=text,
        base_dir=base_dir,
        ordered=bool(data.get("ordered", False)),
    )


def builtin_text(name: str) -> str:
    return resources.files("docclass.taxonomies").joinpath(f"{name}.toml").read_text("utf-8")


def load_taxonomy(spec: str | Path | None = None) -> Taxonomy:
    """Load a built-in taxonomy by name (``default``, ``sensitivity``) or a TOML file by path."""
    spec = "default" if spec is None or str(spec).strip() == "" else spec
    if isinstance(spec, str) and spec in BUILTIN:
        return parse_taxonomy(builtin_text(spec), name=spec)
    path = Path(spec)
    if not path.is_file():
        raise TaxonomyError(
            f"taxonomy {str(spec)!r} is neither a built-in ({', '.join(BUILTIN)}) nor a file"
        )
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaxonomyError(f"cannot read taxonomy file {path}: {exc}") from exc
    return parse_taxonomy(text, name=path.stem, base_dir=path.resolve().parent)


def user_taxonomy_dir(data_dir: Path) -> Path:
    return data_dir / "taxonomies"


def available_taxonomies(data_dir: Path) -> list[str]:
    """Built-in names, then taxonomy files saved from the app (``data/taxonomies/*.toml``)."""
    folder = user_taxonomy_dir(data_dir)
    saved = sorted(str(p) for p in folder.glob("*.toml")) if folder.is_dir() else []
    return [*BUILTIN, *saved]


def save_taxonomy(data_dir: Path, name: str, text: str) -> Path:
    """Validate, then save a taxonomy under ``data/taxonomies/<name>.toml``."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name.strip()).strip("-").lower()
    if not slug:
        raise TaxonomyError("give the taxonomy a name of letters, digits, - or _")
    if slug in BUILTIN:
        raise TaxonomyError(f"{slug!r} is a built-in taxonomy; choose another name")
    folder = user_taxonomy_dir(data_dir)
    parse_taxonomy(text, name=slug, base_dir=folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.toml"
    path.write_text(text, "utf-8")
    return path
