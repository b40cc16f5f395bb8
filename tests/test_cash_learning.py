"""Plain tests of the learning engine (what identifies a payer next time)."""

import re

import pytest

from conftest import load_engine

learning = load_engine("otc_order_to_cash", "learning")


def matches(pattern, text):
    return bool(re.search(pattern, text, re.IGNORECASE))


def test_customer_number_after_keyword_is_learned():
    pattern = learning.reference_pattern(
        "Kd-Nr. 104711 Rechnung INV/2025/00012 01.02.2026 1.234,50",
        ["INV/2025/00012"],
    )
    assert pattern
    assert matches(pattern, "KDNR 104711 other invoice")
    assert matches(pattern, "kd nr.0104711")
    assert not matches(pattern, "KD-NR 1047112")  # a longer number is another one
    assert not matches(pattern, "104711")  # the keyword is part of it


@pytest.mark.parametrize(
    "text, documents",
    [
        ("INV/2025/00012", ["INV/2025/00012"]),  # only the paid document
        ("INV202500012 thanks", ["INV/2025/00012"]),  # same, glued
        ("RE 123456", []),  # a document word announces a document
        ("payment 12.03.2026 of 1.234,56", []),  # dates and amounts
        ("Contract 42", []),  # too short to identify anybody
        ("", []),
    ],
)
def test_nothing_to_learn(text, documents):
    assert learning.reference_pattern(text, documents) is None


def test_small_document_numbers_do_not_hide_identifiers():
    pattern = learning.reference_pattern("VIR SEPA Kd-Nr. 88412", ["INV/2026/00002"])
    assert pattern and matches(pattern, "Kd Nr 88412 payment")


def test_long_bare_number_is_learned():
    pattern = learning.reference_pattern("customer 00458812", [])
    assert matches(pattern, "CUSTOMER 458812")
    bare = learning.reference_pattern("4711-0815-99 / 77889900", [])
    assert bare and matches(bare, "ref 77889900")


def test_keys():
    assert (
        learning.account_key("de89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    )
    assert learning.name_key("MÜLLER Bau GmbH") == learning.name_key("bau mueller")
    assert learning.name_key("  ") == ""


def test_conflicts():
    facts = [("a", 1), ("a", 2), ("b", 1), ("b", 1)]
    assert learning.conflicts(facts) == {"a"}
