"""Cues a document gives of its own type: its title, its letter or memo form, its format.

Hand-written documents (none copied from the development sets), each of which the lexicon
used to get wrong or had no cue for: a title naming the type in another language, a report
recognised by its cover page and contents, an electronic bank statement, a memo without the
word "memo", a cover letter about research.
"""

from __future__ import annotations

import pytest

from docclass.classifiers.local import LocalClassifier, structure
from docclass.classifiers.local.concepts import CONCEPTS, Concept
from docclass.classifiers.local.layout import lead
from docclass.taxonomy import load_taxonomy


@pytest.fixture(scope="module")
def clf() -> LocalClassifier:
    return LocalClassifier(load_taxonomy("default"))


def _concept(name: str) -> Concept:
    return next(c for c in CONCEPTS if c.name == name)


def test_only_title_like_first_lines_can_name_the_type() -> None:
    head = "Jahresbericht 2023\nStadtwerke Musterstadt\n\nDer Vorstand legt hiermit vor."
    assert _concept("report").titled(lead(head))
    # A subject line names a topic, and prose wrapped into short lines is not a title.
    email = "Subject: the monthly report\nsince i did the report late, attached is the\nreport"
    assert not _concept("report").titled(lead(email))
    prose = "Please find the report attached.\nThe report covers March."
    assert not _concept("report").titled(lead(prose))


@pytest.mark.parametrize(
    "text",
    [
        "Atelier Dupont SARL\nFACTURE\nN° 2024-031 du 12/03/2024\nClient : Hôtel du Parc\n"
        "Réparation porte 1 180,00 180,00\nPièces 2 35,50 71,00\nTotal HT 251,00\n"
        "TVA 20 % 50,20\nTotal TTC 301,20",
        "Ferretti Srl\nFATTURA\nn. 57 del 12/03/2024\nCliente: Bar Roma\n"
        "Caffè 10 kg 18,00 180,00\nZucchero 5 kg 1,20 6,00\nImponibile 186,00\n"
        "IVA 22% 40,92\nTotale 226,92",
    ],
)
def test_a_title_in_another_language_names_the_type(clf: LocalClassifier, text: str) -> None:
    """Line items and a total fit a receipt as well; the title says it is an invoice."""
    result = clf.classify(text)
    assert result.final_category == "invoice", result.rationale


def test_a_report_is_known_by_its_cover_page_and_contents(clf: LocalClassifier) -> None:
    text = (
        "Network Security Assessment\nMarch 4, 2024\nPrepared for: City Water Board\n"
        "Prepared by: Example Consulting\n\fTable of Contents\n"
        "Executive Summary .................. 3\nScope and Approach .................. 5\n"
        "Findings .................. 8\nRecommendations .................. 14\n\f"
        "We reviewed the board's network between January and February. We found that most "
        "systems were patched, and we describe below the weaknesses that remain and how we "
        "tested them, together with our recommendations for each one."
    )
    s = structure(text)
    assert s["toc"] > 0.5 and s["prepared"] == 1.0
    assert clf.classify(text).final_category == "report"


@pytest.mark.parametrize(
    "text",
    [
        "OFXHEADER:100\nDATA:OFXSGML\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\n"
        "<BANKACCTFROM><ACCTID>0001<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>\n"
        "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20240301<TRNAMT>-12.50<NAME>Bakery</STMTTRN>\n"
        "<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20240302<TRNAMT>900.00<NAME>Salary</STMTTRN>\n"
        "</BANKTRANLIST><LEDGERBAL><BALAMT>887.50</LEDGERBAL></STMTRS></OFX>",
        ":20:STMT0001\n:25:DE89370400440532013000\n:28C:00001/001\n:60F:C240301EUR1000,00\n"
        ":61:2403020302D12,50NTRFNONREF\n:86:Bakery\n:61:2403050305C900,00NTRFNONREF\n"
        ":86:Salary March\n:62F:C240331EUR1887,50",
    ],
)
def test_electronic_bank_statements_are_bank_statements(clf: LocalClassifier, text: str) -> None:
    assert structure(text)["statement_format"] > 0.5
    assert clf.classify(text).final_category == "bank statement"


def test_a_to_from_date_block_is_a_memo_and_an_email_header_is_not() -> None:
    memo = "To: Planning Committee\nFrom: Finance Office\nDate: 5 June 2024\nBudget review\n"
    email = "From: ann@example.org\nTo: bob@example.org\nDate: 5 Jun 2024\nSubject: hi\n"
    outlook = "Von: Anna Weber\nGesendet: Montag\nAn: Team\nBetreff: Termin\n"
    assert structure(memo)["memo_block"] == 1.0
    assert structure(email)["memo_block"] == 0.0
    assert structure(outlook)["memo_block"] == 0.0
    assert structure(outlook)["headers"] > structure("Termin am Montag")["headers"]


def test_a_letter_opening_with_a_salutation_is_a_letter(clf: LocalClassifier) -> None:
    """A long cover letter about research: its closing lies beyond the head, and the head reads
    like the paper it presents; the salutation that opens it decides."""
    text = (
        "Dear Editor,\nPlease find enclosed our manuscript entitled \u201cRiver discharge from "
        "satellite images\u201d, which we submit for consideration as an article in your "
        "journal. We estimate the discharge of rivers from the width of their channels in "
        "satellite images, and we show that the estimate holds across twelve rivers in three "
        "climates, where gauges are scarce. We believe that the work will interest your "
        "readers, since it gives hydrologists a way to monitor rivers that have no gauge. The "
        "manuscript has not been published and is not under consideration elsewhere, and all "
        "authors have approved it. We suggest the following reviewers, who work on remote "
        "sensing of rivers but have not collaborated with us in recent years."
    )
    assert structure(text)["dear_top"] == 1.0
    assert clf.classify(text).final_category == "letter"
    assert structure("Sehr geehrte Frau Weber,\nvielen Dank.")["dear_top"] == 1.0
