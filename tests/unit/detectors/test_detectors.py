from docclass.detectors import counts, iban_ok, luhn_ok, run_detectors


def _by_name(text: str, keywords: dict[str, list[str]] | None = None) -> dict:
    return {r.name: r for r in run_detectors(text, keywords)}


def test_personal_data_is_found_and_masked() -> None:
    text = (
        "Write to jane.roe@example.org or call +1 (555) 123-4567. "
        "Card 4111 1111 1111 1111 and IBAN GB82 WEST 1234 5698 7654 32; SSN 123-45-6789."
    )
    found = _by_name(text)
    assert found["email"].count == 1
    assert found["email"].examples == ["j***@example.org"]
    start, end = found["email"].spans[0]
    assert text[start:end] == "jane.roe@example.org"
    assert found["phone"].count == 1 and found["phone"].examples[0].endswith("4567")
    assert "555" not in found["phone"].examples[0]
    assert found["payment_card"].examples == ["**** **** **** 1111"]
    assert found["iban"].count == 1 and found["iban"].examples[0].startswith("GB")
    assert "WEST" not in found["iban"].examples[0]
    assert found["ssn"].examples == ["***-**-6789"]


def test_checksums_reject_lookalikes() -> None:
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE89370400440532013001")
    found = _by_name("Order 4111 1111 1111 1112, ref DE89 3704 0044 0532 0130 01, 000-12-3456")
    assert found["payment_card"].count == 0
    assert found["iban"].count == 0
    assert found["ssn"].count == 0


def test_money_dates_and_keyword_cues() -> None:
    text = "INVOICE\nAmount due: $1,234.56 by 2024-03-01 (or 5 March 2024). Total EUR 99,00."
    found = _by_name(text, {"invoice": ["invoice", "amount due"], "memo": ["memorandum"]})
    assert found["money"].count == 2
    assert found["date"].count == 2
    assert found["keywords:invoice"].count == 2
    assert found["keywords:memo"].count == 0
    assert counts(found.values())["keywords:invoice"] == 2


def test_keyword_cues_match_whole_words_only() -> None:
    found = _by_name("the invoices and reinvoice", {"invoice": ["invoice"]})
    assert found["keywords:invoice"].count == 0


def test_digits_of_an_iban_are_not_a_card_number() -> None:
    found = _by_name("Pay to DE89 3704 0044 0532 0130 00 or card 5555 5555 5555 4444.")
    assert found["iban"].count == 1
    assert found["payment_card"].examples == ["**** **** **** 4444"]
