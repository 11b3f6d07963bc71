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
    """A taxonomy file that cannot be used; the message names the line to fix.

    ``errors`` holds every problem found (one line each, ``line N: …`` first when known);
    the message is all of them, one per line.
    """

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        self.errors = errors or [message]
        super().__init__("\n".join(self.errors))


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


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _open_brackets(text: str) -> list[tuple[str, int]]:
    """Arrays and inline tables left open: (bracket, 1-based line it opened on).

    A small scanner that skips strings, comments and ``[table]`` headers; it lets a TOML
    error name the line where an unclosed ``[`` or ``{`` was opened, not the line where the
    parser gave up (often the next table's header, lines further down).
    """
    stack: list[tuple[str, int]] = []
    quote: str | None = None
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        i = 0
        if quote is None and not stack and line.lstrip().startswith("["):
            continue  # a table header: its brackets close on the same line
        while i < len(line):
            ch = line[i]
            if quote is not None:
                if quote in ('"""', "'''") and line.startswith(quote, i):
                    quote, i = None, i + 3
                    continue
                if quote == '"' and ch == "\\":
                    i += 2
                    continue
                if ch == quote:
                    quote = None
                i += 1
                continue
            if ch == "#":
                break
            if line.startswith('"""', i) or line.startswith("'''", i):
                quote, i = line[i : i + 3], i + 3
                continue
            if ch in "\"'":
                quote = ch
            elif ch in "[{":
                stack.append((ch, number))
            elif ch in "]}" and stack:
                stack.pop()
            i += 1
        if quote in ('"', "'"):
            quote = None  # single-line strings end with their line (tomllib says so)
    return stack


def _toml_error(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """tomllib's message, led by the line to fix: where an unclosed bracket opened, else
    where the parser stopped."""
    message = str(exc)
    found = _TOML_AT.search(message)
    where = _TOML_AT.sub("", message).strip()
    opened = _open_brackets(text)
    if opened:
        bracket, line = opened[0]
        kind, closer = ("array", "]") if bracket == "[" else ("inline table", "}")
        stopped = f" (the TOML reader stopped at line {found.group(1)})" if found else ""
        return f"line {line}: this {kind} is never closed with {closer}{stopped}"
    if found:
        return f"line {found.group(1)}, column {found.group(2)}: invalid TOML: {where}"
    return f"invalid TOML: {message}"


def _check_category(
    text: str, item: dict, index: int, line: int, seen: dict[str, int], base_dir: Path | None
) -> tuple[Category | None, list[str]]:
    """One ``[[category]]`` table checked: the category, or every problem with it."""
    where = f"line {line}" if line else f"category #{index + 1}"
    cat_name = item.get("name")
    if not isinstance(cat_name, str) or not cat_name.strip():
        return None, [f"{where}: category has no name"]
    cat_name = cat_name.strip()
    errors: list[str] = []
    name_line = _key_line(text, line, "name") if line else 0
    if cat_name in seen:
        errors.append(
            f"line {name_line}: duplicate category name {cat_name!r} "
            f"(first defined at line {seen[cat_name]})"
        )
    else:
        seen[cat_name] = name_line
    description = item.get("description")
    if not isinstance(description, str) or not description.strip():
        desc_line = _key_line(text, line, "description") if line else 0
        errors.append(f"line {desc_line}: category {cat_name!r} has an empty description")
    keywords = item.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        kw_line = _key_line(text, line, "keywords") if line else 0
        errors.append(f"line {kw_line}: keywords of {cat_name!r} must be a list of strings")
        keywords = []
    floor_if = item.get("floor_if", [])
    if not isinstance(floor_if, list) or not all(isinstance(k, str) for k in floor_if):
        fl_line = _key_line(text, line, "floor_if") if line else 0
        errors.append(f"line {fl_line}: floor_if of {cat_name!r} must be a list of strings")
        floor_if = []
    examples = item.get("examples")
    examples_path: Path | None = None
    if examples is not None:
        if not isinstance(examples, str) or not examples.strip():
            ex_line = _key_line(text, line, "examples") if line else 0
            errors.append(f"line {ex_line}: examples of {cat_name!r} must be a folder path")
        else:
            examples_path = Path(examples)
            if not examples_path.is_absolute() and base_dir is not None:
                examples_path = base_dir / examples_path
    if errors:
        return None, errors
    return (
        Category(
            name=cat_name,
            description=" ".join(str(description).split()),
            keywords=tuple(k.strip().lower() for k in keywords if k.strip()),
            examples=examples_path,
            floor_if=tuple(floor_if),
        ),
        [],
    )


def parse_taxonomy(text: str, *, name: str = "custom", base_dir: Path | None = None) -> Taxonomy:
    """Parse and validate taxonomy TOML; raise :class:`TaxonomyError` naming every bad line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaxonomyError(_toml_error(text, exc)) from exc
    raw = data.get("category")
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise TaxonomyError("no [[category]] tables found: a taxonomy needs at least two")
    headers = _category_lines(text)
    seen: dict[str, int] = {}
    categories: list[Category] = []
    errors: list[str] = []
    for index, item in enumerate(raw):
        line = headers[index] if index < len(headers) else 0
        category, problems = _check_category(text, item, index, line, seen, base_dir)
        errors += problems
        if category is not None:
            categories.append(category)
    if not errors and len(categories) < 2:
        errors.append(f"a taxonomy needs at least two categories, found {len(categories)}")
    if errors:
        raise TaxonomyError(errors[0], errors)
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
