"""A payment naming some of the invoices it pays (issue 14, point 4)."""

from datetime import date

from conftest import load_engine
from conftest import open_item as item

m = load_engine("otc_order_to_cash", "matching")

D = date(2026, 6, 15)
NAME = "Velomat Distribution EURL"


def run(items, **line):
    line.setdefault("date", D)
    line.setdefault("partner_name", "VELOMAT DISTRIBUTION")
    return m.Matcher(items).match_and_decide(m.StatementLine(**line))


def codes(proposal):
    return [r.code for r in proposal.reasons]


def customer(n_items=8, base=3000):
    # irregular amounts: no two combinations of a few of them share a sum
    return [
        item(base + k, "V", NAME, 100 + (k * 7919) % 1000 + (k * k * 37 % 100) / 100)
        for k in range(n_items)
    ]


def test_named_invoice_plus_one_other_beats_the_overpayment():
    items = customer()
    named, other = items[5], items[2]
    props, decision = run(
        items, amount=named.residual + other.residual, label=f"Ref {named.number}"
    )
    assert decision.auto, decision.why
    assert set(decision.proposal.item_ids) == {named.id, other.id}
    assert "subset_referenced_more" in codes(decision.proposal)
    # the overpayment of the named invoice is still shown, well behind
    over = [p for p in props if p.kind == "overpayment" and p.item_ids == (named.id,)]
    assert over and decision.proposal.strength - over[0].strength >= 0.3


def test_two_named_invoices_plus_two_others():
    items = customer(12)
    chosen = [items[1], items[9], items[4], items[7]]
    label = "Rechnung %s, %s" % (chosen[0].number, chosen[1].number)
    amount = round(sum(i.residual for i in chosen), 2)
    _props, decision = run(items, amount=amount, label=label)
    assert decision.auto, decision.why
    assert set(decision.proposal.item_ids) == {i.id for i in chosen}


def test_other_items_that_do_not_add_up_leave_the_overpayment():
    items = customer()
    named = items[5]
    _props, decision = run(items, amount=named.residual + 1.37, label=named.number)
    # 1.37 is no open item: a plain overpayment, reconciled as before
    assert decision.auto and decision.proposal.kind == "overpayment"
    assert decision.proposal.item_ids == (named.id,)


def test_two_ways_to_pay_the_rest_are_not_reconciled():
    items = customer()
    named = items[6]
    # the rest is one item's amount, twice
    items.append(item(3999, "V", NAME, items[2].residual))
    props, decision = run(
        items, amount=named.residual + items[2].residual, label=named.number
    )
    assert not decision.auto
    assert props[0].kind == "subset" and named.id in props[0].item_ids


def test_a_search_that_cannot_try_everything_makes_the_overpayment_unsure():
    # a customer with many small items: the rest could be several of them,
    # beyond the oldest the bounded search tries
    items = customer(60, base=5000)
    named = items[59]
    items = items + [item(9000 + k, "V", NAME, 1.0 + k * 0.37) for k in range(40)]
    props, decision = run(items, amount=named.residual + 7777.77, label=named.number)
    over = [p for p in props if p.item_ids == (named.id,)]
    assert over and "overpayment_unsure" in codes(over[0])
    assert not decision.auto
