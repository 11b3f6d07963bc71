"""The text preview: cited evidence found again and highlighted, the text kept literal."""

from __future__ import annotations

from webui.format import md_plain
from webui.preview import evidence_spans, highlighted_markdown


def test_evidence_is_found_again_in_the_text_and_merged() -> None:
    text = "Invoice 42\nPay to IBAN GB82 WEST 1234 5698 7654 32 by card.\nInvoice total"
    evidence = [
        {"detector": "iban", "text": "GB82 **** **** **** **** 32", "page": 1},
        {"detector": "keywords:invoice", "text": "invoice", "page": 1},
    ]
    spans = evidence_spans(text, evidence)
    found = [text[a:b] for a, b in spans]
    assert found == ["Invoice", "GB82 WEST 1234 5698 7654 32", "Invoice"]
    assert evidence_spans(text, None) == []


def test_highlighted_markdown_keeps_lines_and_leaves_no_markup_active() -> None:
    text = "# not a heading\n[link](javascript:x) **bold**\nSSN here"
    markdown = highlighted_markdown(text, [(text.index("SSN"), text.index("SSN") + 3)])
    lines = markdown.split("  \n")
    assert len(lines) == 3, "line breaks are kept"
    assert lines[2].startswith(":orange-background[SSN]")
    assert md_plain(lines[0]) == "# not a heading" and lines[0].startswith("\\#")
    assert "\\[link\\]\\(javascript\\:" in lines[1] and "\\*\\*bold\\*\\*" in lines[1]
    # a highlight across a line break is split, one marker per line
    spanning = highlighted_markdown("ab\ncd", [(1, 4)])
    assert spanning.split("  \n") == ["a:orange-background[b]", ":orange-background[c]d"]
