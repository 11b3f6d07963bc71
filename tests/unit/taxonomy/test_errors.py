"""Taxonomy errors name the line to fix, every one of them at once."""

from __future__ import annotations

import pytest

from docclass.taxonomy import TaxonomyError, parse_taxonomy

TWO = '[[category]]\nname = "b"\ndescription = "y"\n'


def errors(text: str) -> list[str]:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text)
    return caught.value.errors


def test_an_unclosed_array_is_named_where_it_opens() -> None:
    text = '[[category]]\nname = "a"\ndescription = "x"\nkeywords = ["a", "b"\n\n' + TWO
    assert errors(text) == [
        "line 4: this array is never closed with ] (the TOML reader stopped at line 6)"
    ]


def test_brackets_in_strings_and_comments_do_not_count() -> None:
    text = 'x = [1, "]", # ]\n 2]\ny = { a = "{" }\n[[category]]\nname = "a"\ndescription = "[x"\n'
    assert parse_taxonomy(text + TWO).names == ["a", "b"]


def test_other_toml_errors_keep_the_parsers_line() -> None:
    assert errors('name = "unterminated\n' + TWO) == [
        "line 1, column 21: invalid TOML: Illegal character '\\n'"
    ]


def test_every_problem_is_listed_with_its_line() -> None:
    text = (
        '[[category]]\nname = "a"\ndescription = ""\nkeywords = "x"\n\n'
        '[[category]]\nname = "a"\ndescription = "y"\n'
    )
    found = errors(text)
    assert found == [
        "line 3: category 'a' has an empty description",
        "line 4: keywords of 'a' must be a list of strings",
        "line 7: duplicate category name 'a' (first defined at line 2)",
    ]
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(text)
    assert str(caught.value) == "\n".join(found), "the message is every error, one per line"
