"""Plain tests of the learning engine (what identifies a payer next time)."""

import re

import pytest

from conftest import load_engine

learning = load_engine("otc_order_to_cash", "learning")
matching = load_engine("otc_order_to_cash", "matching")


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


# payer patterns run on labels the payer writes: only a safe form is used -----------


@pytest.mark.parametrize(
    "pattern",
    [
        r"(a+)+$",  # nested repeat: exponential backtracking
        r"(a|aa)*b",  # alternative inside a repeat
        r"(x+x+)+y",
        r"(\w)\1",  # back-reference
        r"\W*\W*\W*x",  # three open-ended repeats: cubic in the label length
        "A" * 201,
        "[",
        "",
    ],
)
def test_unsafe_patterns_are_refused(pattern):
    assert learning.pattern_problem(pattern)


@pytest.mark.parametrize(
    "pattern",
    [r"KD-?NR\s*\d{6}", r"CUST\s*\d+", r"(?i)contract c-\d{4}", r"\bABC\d{4}\b"],
)
def test_usual_patterns_are_accepted(pattern):
    assert learning.pattern_problem(pattern) == ""


def test_learned_patterns_have_the_safe_form():
    for text in ("KDNR 104711 other invoice", "Kd-Nr. 88412", "ref 99887766"):
        pattern = learning.reference_pattern(text, ["INV/2026/00002"])
        assert pattern
        assert learning.pattern_problem(pattern) == "", pattern


def test_matcher_ignores_an_unsafe_pattern():
    item = matching.OpenItem(id=1, customer_id=7, residual=10.0, number="INV/1")
    known = matching.KnownPayers(
        reference_patterns=((r"(a+)+$", 7), (r"KDNR\s*\d{6}", 8))
    )
    matcher = matching.Matcher([item], known)
    assert [c for _r, c in matcher._patterns] == [8]
    # a label that would take hours with the nested pattern is read at once
    line = matching.StatementLine(amount=10.0, label="a" * 5000 + "!")
    matcher.match(line)
