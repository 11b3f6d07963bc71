"""The Settings page: the taxonomy in use, the TOML editor with inline validation, and the
engine settings in effect, never the API key."""

from __future__ import annotations

from pathlib import Path

import pytest

from docclass.taxonomy import available_taxonomies, load_taxonomy
from tests.app.support import (
    SECRET,
    all_text,
    find_table,
    new_app,
    no_exception,
    open_page,
    shown,
)
from webui import nav
from webui.service import shutdown_service


def test_settings_shows_the_taxonomy_and_validates_edits_inline(data_dir: Path) -> None:
    at = open_page(new_app(), nav.PAGE_SETTINGS)
    no_exception(at)
    default = load_taxonomy("default")
    table = find_table(at, "description")
    assert table["name"].tolist() == default.names
    assert table["keywords"].iloc[0] == ", ".join(default.categories[0].keywords)
    editor = at.text_area(key="taxonomy_editor_text")
    assert editor.value == default.source_text
    assert shown(at.success)[0].startswith(f"Valid: {len(default.names)} categories")

    broken = (
        '[[category]]\nname = "a"\ndescription = "first"\n\n'
        '[[category]]\nname = "a"\ndescription = "again"\n'
    )
    editor.set_value(broken).run()
    no_exception(at)
    assert shown(at.error) == ["line 6: duplicate category name 'a' (first defined at line 2)"]
    save = next(b for b in at.button if b.label == "Save taxonomy")
    assert save.disabled

    fixed = broken.replace('name = "a"\ndescription = "again"', 'name = "b"\ndescription = "b"')
    at.text_area(key="taxonomy_editor_text").set_value(fixed)
    at.text_input(key="taxonomy_editor_name").set_value("Team Two").run()
    assert not at.error
    next(b for b in at.button if b.label == "Save taxonomy").click().run()
    no_exception(at)
    saved = data_dir / "taxonomies" / "team-two.toml"
    assert saved.read_text("utf-8") == fixed
    assert str(saved) in available_taxonomies(data_dir)
    assert shown(at.success)[0].startswith(f"Saved as {saved}")
    assert at.selectbox(key="settings_taxonomy").value == str(saved), "the saved one is shown"
    assert find_table(at, "description")["name"].tolist() == ["a", "b"]

    at.file_uploader(key="taxonomy_upload_1").set_value(
        ("mine.toml", b'[[category]]\nname = "x"\n', "application/toml")
    ).run()
    assert at.text_area(key="taxonomy_editor_text").value.startswith("[[category]]")
    assert at.text_input(key="taxonomy_editor_name").value == "mine"
    assert shown(at.error) == ["line 1: category 'x' has an empty description"]


def test_a_loaded_file_fixed_in_the_editor_stays_fixed_after_save(data_dir: Path) -> None:
    """Load a bad TOML, fix it in the box, save: the editor keeps the fix (the uploaded
    file is not loaded again), and TOML errors name the line to fix, every one of them."""
    bad = (
        '[[category]]\nname = "a"\ndescription = "x"\nkeywords = ["one", "two"\n\n'
        '[[category]]\nname = "b"\ndescription = "y"\n'
    )
    at = open_page(new_app(), nav.PAGE_SETTINGS)
    at.file_uploader(key="taxonomy_upload_0").set_value(
        ("team.toml", bad.encode(), "application/toml")
    ).run()
    no_exception(at)
    assert shown(at.error) == [
        "line 4: this array is never closed with ] (the TOML reader stopped at line 6)"
    ]
    assert any("> 4 | keywords" in c.value for c in at.code), "the line is shown, numbered"
    fixed = bad.replace('"two"\n', '"two"]\n')
    at.text_area(key="taxonomy_editor_text").set_value(fixed).run()
    assert not at.error
    next(b for b in at.button if b.label == "Save taxonomy").click().run()
    no_exception(at)
    assert shown(at.success)[0].startswith("Saved as ")
    assert not at.error, "the editor must not reload the bad upload"
    assert at.text_area(key="taxonomy_editor_text").value == fixed
    assert at.file_uploader(key="taxonomy_upload_1").value is None, "the uploader is cleared"
    at.run()
    assert not at.error and at.text_area(key="taxonomy_editor_text").value == fixed

    two = fixed.replace('description = "x"', 'description = ""').replace('name = "b"', 'name = "a"')
    at.text_area(key="taxonomy_editor_text").set_value(two).run()
    assert shown(at.error) == [
        "line 3: category 'a' has an empty description",
        "line 7: duplicate category name 'a' (first defined at line 2)",
    ]


def test_a_built_in_name_cannot_be_taken(data_dir: Path) -> None:
    at = open_page(new_app(), nav.PAGE_SETTINGS)
    assert at.text_input(key="taxonomy_editor_name").value == "my-default"
    at.text_input(key="taxonomy_editor_name").set_value("sensitivity").run()
    next(b for b in at.button if b.label == "Save taxonomy").click().run()
    no_exception(at)
    assert shown(at.error) == ["'sensitivity' is a built-in taxonomy; choose another name"]
    assert not (data_dir / "taxonomies").exists()


def test_settings_show_engine_settings_but_never_the_api_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("DOCCLASS_WORKERS", "3")
    shutdown_service()
    at = new_app()
    for page in (nav.PAGE_SETTINGS, nav.PAGE_CLASSIFY, nav.PAGE_BATCH, nav.PAGE_JOBS):
        open_page(at, page)
        no_exception(at)
        assert SECRET not in all_text(at)
        assert SECRET[:12] not in all_text(at)
    open_page(at, nav.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["OpenAI API key"] == "configured"
    assert engine["Classifier"] == "local"
    assert engine["Worker threads"] == "3"
    open_page(at, nav.PAGE_BATCH)
    assert "openai" in at.selectbox(key="batch_classifier").options

    monkeypatch.delenv("OPENAI_API_KEY")
    shutdown_service()
    at = open_page(new_app(), nav.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["OpenAI API key"] == "not configured"
    open_page(at, nav.PAGE_BATCH)
    assert "openai" not in at.selectbox(key="batch_classifier").options


def test_engine_settings_name_the_data_folder_and_database(data_dir: Path) -> None:
    at = open_page(new_app(), nav.PAGE_SETTINGS)
    engine = find_table(at, "environment variable").set_index("setting")["value"]
    assert engine["Database"] == f"sqlite:///{data_dir / 'docclass.db'}"
    assert engine["Data folder"] == str(data_dir)
