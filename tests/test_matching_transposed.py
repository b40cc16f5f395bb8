"""Transposed digits, the payer named in the label, a mistyped number that is
another open invoice (issue 14, point 3)."""

from datetime import date

from conftest import load_engine
from conftest import open_item as item

m = load_engine("otc_order_to_cash", "matching")
refs = load_engine("otc_order_to_cash", "references")

D = date(2026, 6, 15)


def run(items, **line):
    line.setdefault("date", D)
    return m.Matcher(items).match_and_decide(m.StatementLine(**line))


def codes(proposal):
    return [r.code for r in proposal.reasons]


def ledger():
    # a dense numbering: neighbours of every number exist, of other customers
    items = [
        item(n, "X%d" % (n % 7), "Kunde %d Handel" % (n % 7), 100.0 + n)
        for n in range(12300, 12400)
    ]
    items.append(item(12345, "M", "Müller Bau GmbH", 2290.50))
    items.append(item(12346, "M", "Müller Bau GmbH", 310.00))
    return [i for i in items if not (i.id == 12345 and i.customer_id != "M")]


def test_transpositions_are_the_adjacent_swaps():
    assert refs.transpositions("12345") == {"21345", "13245", "12435", "12354"}
    assert refs.transpositions("1123") == {"1213", "1132"}


def test_label_name_keeps_the_words_that_may_name_the_payer():
    spans = refs.find_numbers("MUELLER BAU GMBH Rechnung INV/2026/12354 EUR")
    assert (
        m.label_name("MUELLER BAU GMBH Rechnung INV/2026/12354 EUR", spans)
        == "muller bau gmbh"
    )
    assert m.label_name("Payment INV/2026/12354 thanks", spans) == ""
    assert m.label_name("", ()) == ""


def test_swapped_digits_with_the_name_in_the_label_reconcile():
    items = [i for i in ledger() if i.id != 12354]
    props, decision = run(
        items, amount=2290.50, label="MUELLER BAU GMBH Rechnung INV/2026/12354"
    )
    assert decision.auto, decision.why
    assert decision.proposal.item_ids == (12345,)
    assert "payer_name_label" in codes(decision.proposal)
    # as sure as the exact number: the reference counts in full
    ref = [r for r in decision.proposal.reasons if r.code == "invoice_number_typo"]
    assert ref and ref[0].contribution == m.W_REFERENCE * m.R_EXACT


def test_swapped_digits_with_the_payer_name_reconcile():
    items = [i for i in ledger() if i.id != 12354]
    _props, decision = run(
        items, amount=2290.50, label="INV/2026/12354", partner_name="MUELLER BAU"
    )
    assert decision.auto and decision.proposal.item_ids == (12345,)
    assert "payer_name_similar" in codes(decision.proposal)


def test_swapped_digits_without_a_name_are_suggested_first():
    items = [i for i in ledger() if i.id != 12354]
    props, decision = run(items, amount=2290.50, label="INV/2026/12354")
    assert props[0].item_ids == (12345,)
    assert "invoice_number_typo" in codes(props[0])
    # a typo and an amount, no one named: left for review
    assert not decision.auto


def test_swap_not_sure_when_the_customer_has_two_items_with_the_amount():
    items = [i for i in ledger() if i.id != 12354]
    items.append(item(12399 + 100, "M", "Müller Bau GmbH", 2290.50))
    _props, decision = run(
        items, amount=2290.50, label="MUELLER BAU Rechnung INV/2026/12354"
    )
    ref = [
        r
        for p in decision.suggestions
        for r in p.reasons
        if r.code == "invoice_number_typo"
    ]
    assert all(r.contribution < m.W_REFERENCE * m.R_EXACT for r in ref)


def test_mistyped_number_that_is_another_invoice_the_amount_wins():
    # 12354 is an open invoice of another customer, 454.00: the swapped
    # number names it exactly, but the amount is Müller's 12345
    items = ledger()
    assert any(i.id == 12354 for i in items)
    for line in (
        dict(label="MUELLER BAU GMBH INV/2026/12354"),
        dict(label="INV/2026/12354", partner_name="Müller Bau GmbH"),
    ):
        props, decision = run(items, amount=2290.50, **line)
        assert decision.auto, (line, decision.why)
        assert decision.proposal.item_ids == (12345,)
        assert decision.proposal.kind == "exact"


def test_a_label_without_a_customer_name_identifies_no_one():
    items = ledger()
    props, decision = run(items, amount=777.77, label="Interest Q2 bank")
    assert not decision.auto
    assert all("payer_name_label" not in codes(p) for p in props)
