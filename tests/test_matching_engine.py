"""Amount logic, scoring and decisions of the cash-application matcher."""

from datetime import date

import pytest

from conftest import load_engine
from conftest import open_item as item

m = load_engine("otc_order_to_cash", "matching")
refs = load_engine("otc_order_to_cash", "references")

D = date(2026, 6, 15)


ITEMS = [
    item(1, "A", "Müller Bau GmbH", 1000.00),
    item(2, "A", "Müller Bau GmbH", 250.40),
    item(3, "A", "Müller Bau GmbH", 99.99),
    item(4, "B", "Rossi Trasporti S.p.A.", 500.00, discount=10.0, discount_date=D),
    item(5, "B", "Rossi Trasporti S.p.A.", 731.15),
    item(6, "C", "Dupont SARL", 1000.00),
    item(7, "C", "Dupont SARL", 412.00, rf_ref=refs.rf_encode("C0007")),
    item(
        8,
        "D",
        "Smith Trading Ltd",
        925.93,
        currency="USD",
        residual_currency=1000.00,
    ),
    item(9, "E", "Van Dijk BV", 300.00),
    item(10, "E", "Van Dijk BV", 300.00),
    item(42, "F", "Garcia SL", 4200.00),
    item(24, "G", "Other Corp", 777.00),
]
KNOWN = m.KnownPayers(accounts={"DE89 3704 0044 0532 0130 00": "A"})


@pytest.fixture(name="matcher")
def _matcher():
    return m.Matcher(ITEMS, KNOWN)


def best(matcher, **kw):
    kw.setdefault("date", D)
    props, decision = matcher.match_and_decide(m.StatementLine(**kw))
    assert props, "no proposal"
    return props[0], decision


def reasons(p):
    return [r.text for r in p.reasons]


def test_exact_reference_and_amount_is_auto(matcher):
    p, d = best(matcher, amount=4200.00, label="Payment INV/2026/00042")
    assert d.auto and d.proposal is p
    assert p.allocations == ((42, 4200.0),) and p.customer_id == "F"
    assert "invoice number found" in reasons(p) and "amount exact" in reasons(p)
    assert p.score == pytest.approx(sum(r.contribution for r in p.reasons))


def test_typo_reference_found_by_amount(matcher):
    # 00024 exists too (another customer, another amount): amount decides
    p, _d = best(matcher, amount=4200.00, label="INV/2026/00024", partner_name="GARCIA")
    assert p.allocations == ((42, 4200.0),)
    assert "invoice number found (1 typo)" in reasons(p)


def test_bank_fee_within_tolerance_is_written_off(matcher):
    p, _d = best(matcher, amount=995.50, label="INV/2026/00006")
    assert p.kind == "fee" and p.allocations == ((6, 1000.0),)
    assert p.writeoff == pytest.approx(4.5)


def test_write_off_limit_turns_fee_into_partial():
    cfg = m.MatchConfig(writeoff_limit=2.0)
    matcher = m.Matcher(ITEMS, KNOWN, cfg)
    p, _d = best(matcher, amount=995.50, label="INV/2026/00006")
    assert p.kind == "partial" and p.allocations == ((6, 995.5),)
    assert p.writeoff == 0


def test_early_discount_only_before_deadline(matcher):
    p, _d = best(matcher, amount=490.00, label="INV/2026/00004")
    assert p.kind == "discount" and p.discount == pytest.approx(10.0)
    assert p.allocations == ((4, 500.0),)
    late = date(2026, 6, 16)
    p, _d = best(matcher, amount=490.00, label="INV/2026/00004", date=late)
    assert p.kind == "partial" and p.allocations == ((4, 490.0),)


def test_partial_and_overpayment(matcher):
    p, d = best(
        matcher,
        amount=400.00,
        label="INV/2026/00001",
        account_number="DE89370400440532013000",
    )
    assert p.kind == "partial" and p.allocations == ((1, 400.0),)
    assert "partial payment (600.00 stays open)" in reasons(p)
    assert d.auto  # reference + known account
    p, _d = best(matcher, amount=1100.00, label="INV/2026/00001")
    assert p.kind == "overpayment" and p.allocations == ((1, 1000.0),)
    assert p.credit == pytest.approx(100.0)


def test_several_invoices_without_reference(matcher):
    p, _d = best(
        matcher,
        amount=1000.00 + 99.99,
        account_number="DE89370400440532013000",
        partner_name="Müller Bau",
    )
    assert p.kind == "subset" and set(p.item_ids) == {1, 3}
    assert "several invoices add up to the amount" in reasons(p)


def test_several_invoices_listed(matcher):
    p, d = best(matcher, amount=1231.15, label="INV/2026/00004 + INV/2026/00005")
    assert set(p.item_ids) == {4, 5} and d.auto


def test_rf_reference_and_rf_typo(matcher):
    rf = refs.rf_format(refs.rf_encode("C0007"))
    p, d = best(matcher, amount=412.00, label=rf)
    assert p.allocations == ((7, 412.0),) and d.auto
    assert "RF reference found" in reasons(p)


def test_foreign_currency_compared_in_line_currency(matcher):
    p, _d = best(
        matcher,
        amount=900.00,  # company amount at today's rate: off by far
        amount_currency=1000.00,
        currency="USD",
        label="INV/2026/00008",
    )
    assert p.kind == "exact" and p.currency == "USD"
    assert p.allocations == ((8, 1000.0),)


def test_ambiguous_amounts_are_not_auto(matcher):
    props, d = matcher.match_and_decide(
        m.StatementLine(amount=300.00, date=D, partner_name="VAN DIJK")
    )
    assert not d.auto
    assert {p.item_ids for p in d.suggestions[:2]} == {(9,), (10,)}
    assert d.why == "best score below the threshold" or "close" in d.why


def test_amount_alone_is_never_auto(matcher):
    _p, d = best(matcher, amount=777.00, label="Transfer")
    assert not d.auto and d.suggestions[0].item_ids == (24,)


def test_learned_name_beats_resemblance():
    known = m.KnownPayers(names={"Dupont SARL": "A"})  # learned: pays for A
    matcher = m.Matcher(ITEMS, known)
    p, _d = best(matcher, amount=1000.00, partner_name="DUPONT S.A.R.L.")
    assert p.customer_id == "A" and "payer name learned" in reasons(p)
    plain = m.Matcher(ITEMS)
    p, _d = best(plain, amount=1000.00, partner_name="DUPONT S.A.R.L.")
    assert p.customer_id == "C"


def test_learned_reference_pattern():
    known = m.KnownPayers(reference_patterns=((r"CONTRACT\s*77-", "B"),))
    matcher = m.Matcher(ITEMS, known)
    p, _d = best(matcher, amount=731.15, label="contract 77-1 monthly")
    assert p.customer_id == "B" and "reference pattern learned" in reasons(p)


def test_outgoing_or_zero_lines_give_nothing(matcher):
    assert matcher.match(m.StatementLine(amount=-50.0, label="INV/2026/00001")) == []
    assert m.decide([]).auto is False
