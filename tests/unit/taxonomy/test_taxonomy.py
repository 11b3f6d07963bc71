from pathlib import Path

import pytest

from docclass.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy


def test_default_taxonomy_has_the_documented_categories() -> None:
    tax = load_taxonomy("default")
    assert tax.names == [
        "invoice", "receipt", "contract", "resume", "letter", "email", "memo", "report",
        "scientific paper", "news article", "form", "manual", "presentation", "legal filing",
        "bank statement", "other",
    ]  # fmt: skip
    assert all(c.description for c in tax.categories)
    assert "amount due" in tax.get("invoice").keywords


def test_user_taxonomy_file_with_examples_relative_to_file(tmp_path: Path) -> None:
    (tmp_path / "ex" / "a").mkdir(parents=True)
    path = tmp_path / "mine.toml"
    path.write_text(
        '[[category]]\nname = "a"\ndescription = "First."\nexamples = "ex/a"\n'
        '[[category]]\nname = "b"\ndescription = "Second."\nkeywords = ["Bee"]\n'
    )
    tax = load_taxonomy(path)
    assert tax.names == ["a", "b"]
    assert tax.get("a").examples == tmp_path / "ex" / "a"
    assert tax.get("b").keywords == ("bee",)
    assert tax.source_text == path.read_text()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[category]]\nname = "a"\ndescription = "x"\n\n[[category]]\nname = "a"\n'
            'description = "y"\n',
            "line 6: duplicate category name 'a' (first defined at line 2)",
        ),
        (
            '[[category]]\nname = "a"\ndescription = "x"\n[[category]]\nname = "b"\n'
            'description = "  "\n',
            "line 6: category 'b' has an empty description",
        ),
        ('[[category]]\nname = "a"\ndescription = "x"\n', "at least two categories, found 1"),
        ('name = "nothing"\n', "no [[category]] tables"),
        ('[[category]\nname = "a"', "invalid TOML"),
        (
            '[[category]]\nname = "a"\ndescription = "x"\n[[category]]\nname = "b"\n'
            'description = "y"\nkeywords = "oops"\n',
            "line 7: keywords of 'b' must be a list of strings",
        ),
    ],
)
def test_invalid_taxonomies_name_the_bad_line(text: str, message: str) -> None:
    with pytest.raises(TaxonomyError) as err:
        parse_taxonomy(text)
    assert message in str(err.value)


def test_unknown_taxonomy_spec_is_a_clear_error() -> None:
    with pytest.raises(TaxonomyError, match="neither a built-in"):
        load_taxonomy("no-such-taxonomy")
