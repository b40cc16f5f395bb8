"""API the Odoo side relies on: consume, reason codes, the proposal invariant."""

import importlib.util
from datetime import date

import pytest

from conftest import REPO_ROOT, load_engine
from conftest import open_item as item

m = load_engine("otc_order_to_cash", "matching")

D = date(2026, 6, 15)


ITEMS = [
    item(1, "A", "Müller Bau GmbH", 1000.00),
    item(2, "A", "Müller Bau GmbH", 250.40, discount=5.0, discount_date=D),
    item(3, "A", "Müller Bau GmbH", 99.99, order_ref="S00003"),
    item(4, "B", "Rossi Trasporti S.p.A.", 500.00),
    item(
        8,
        "D",
        "Smith Trading Ltd",
        925.93,
        currency="USD",
        residual_currency=1000.00,
    ),
]
ACCOUNT = "DE89370400440532013000"
KNOWN = m.KnownPayers(accounts={ACCOUNT: "A"})


def line(**kw):
    kw.setdefault("date", D)
    return m.StatementLine(**kw)


def item_ids(props):
    return {i for p in props for i in p.item_ids}


# consume --------------------------------------------------------------------------


def test_consume_fully_drops_the_item_from_every_index():
    matcher = m.Matcher(ITEMS, KNOWN)
    by_ref = line(amount=1000.00, label="INV/2026/00001")
    assert matcher.match(by_ref)[0].item_ids == (1,)
    assert matcher.consume(1, 1000.00) == 0.0
    assert matcher.item(1) is None
    # neither by reference, nor by amount, nor among the customer's items
    assert 1 not in item_ids(matcher.match(by_ref))
    assert 1 not in item_ids(matcher.match(line(amount=1000.00)))
    assert 1 not in item_ids(
        matcher.match(line(amount=1000.00 + 99.99, account_number=ACCOUNT))
    )
    # a second consume of the same item is a no-op
    assert matcher.consume(1, 10.0) is None


def test_consume_partly_leaves_the_rest_open():
    matcher = m.Matcher(ITEMS, KNOWN)
    assert matcher.consume(1, 400.00) == pytest.approx(600.00)
    assert matcher.item(1).residual == pytest.approx(600.00)
    p = matcher.match(line(amount=600.00, label="INV/2026/00001"))[0]
    assert p.kind == "exact" and p.allocations == ((1, 600.0),)
    # the old amount is gone from the amount index
    old = matcher.match(line(amount=1000.00, label="Payment"))
    assert all(p.allocations != ((1, 1000.0),) for p in old)
    # the rest now combines with other items
    p = matcher.match(line(amount=600.00 + 99.99, account_number=ACCOUNT))[0]
    assert set(p.item_ids) == {1, 3}


def test_consume_partly_drops_the_early_payment_discount():
    matcher = m.Matcher(ITEMS, KNOWN)
    matcher.consume(2, 100.00)
    assert matcher.item(2).discount == 0.0
    p = matcher.match(line(amount=150.40, label="INV/2026/00002"))[0]
    assert p.kind == "exact"


def test_consume_foreign_currency_item():
    matcher = m.Matcher(ITEMS, KNOWN)
    # company amount only: the foreign residual follows in proportion
    assert matcher.consume(8, 462.965) == pytest.approx(462.97, abs=0.01)
    assert matcher.item(8).residual_currency == pytest.approx(500.00, abs=0.01)
    # foreign amount only: the company residual follows in proportion
    matcher = m.Matcher(ITEMS, KNOWN)
    matcher.consume(8, amount_currency=250.00)
    assert matcher.item(8).residual_currency == pytest.approx(750.00)
    assert matcher.item(8).residual == pytest.approx(694.45, abs=0.01)
    p = matcher.match(
        line(amount=680.0, amount_currency=750.0, currency="USD", label="INV/2026/8")
    )[0]
    assert p.currency == "USD" and p.allocations == ((8, 750.0),)
    matcher.consume(8, 694.45, 750.00)
    assert matcher.item(8) is None


def test_apply_consumes_a_proposal():
    matcher = m.Matcher(ITEMS, KNOWN)
    p = matcher.match(line(amount=1099.99, account_number=ACCOUNT))[0]
    assert set(p.item_ids) == {1, 3}
    matcher.apply(p)
    assert matcher.item(1) is None and matcher.item(3) is None
    assert matcher.item(2) is not None
    # the order reference of item 3 is gone too
    assert 3 not in item_ids(matcher.match(line(amount=99.99, label="S00003")))


def test_consume_needs_an_amount():
    matcher = m.Matcher(ITEMS, KNOWN)
    with pytest.raises(ValueError):
        matcher.consume(1)


# reason codes -----------------------------------------------------------------------


def test_every_reason_has_a_code_and_its_text_is_the_template():
    matcher = m.Matcher(ITEMS, KNOWN)
    lines = [
        line(amount=1000.00, label="INV/2026/00001", account_number=ACCOUNT),
        line(amount=995.50, label="INV 2026 00001", partner_name="MUELLER BAU"),
        line(amount=245.40, label="INV/2026/00002"),
        line(amount=400.00, label="INV/2026/00010"),
        line(amount=1100.00, label="INV/2026/00001"),
        line(amount=1099.99, account_number=ACCOUNT),
        line(amount=500.00, partner_name="Rossi Trasporti"),
    ]
    codes = set()
    for st in lines:
        for p in matcher.match(st):
            for r in p.reasons:
                assert r.code in m.REASON_TEMPLATES, r
                template = m.REASON_TEMPLATES[r.code]
                expected = template % r.args if r.args else template
                assert r.text == expected
                codes.add(r.code)
    assert {"invoice_number", "amount_exact", "payer_account", "fee"} <= codes
    assert {"payer_name_similar", "discount", "overpayment", "subset"} <= codes


def test_reason_defaults_keep_the_old_constructor():
    r = m.Reason("free text", 0.1)
    assert r.code == "" and r.args == ()


# the proposal invariant -----------------------------------------------------------


def _benchmark():
    path = REPO_ROOT / "benchmarks" / "matching_accuracy.py"
    spec = importlib.util.spec_from_file_location("matching_accuracy_api", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_invariant(p, st):
    target = st.amount_currency if p.currency else st.amount
    if p.currency:
        assert p.currency == st.currency
    total = sum(a for _i, a in p.allocations)
    assert round(total - p.writeoff - p.discount + p.credit, 2) == round(target, 2), p
    assert all(a > 0 for _i, a in p.allocations), p
    assert p.writeoff >= 0 and p.discount >= 0 and p.credit >= 0, p


def test_allocations_add_up_to_the_line_amount_on_benchmark_lines():
    bench = _benchmark()
    items, known, lines, truths = bench.build_dataset(500, 5000, seed=3)
    assert len(lines) == len(truths) == 500
    matcher = m.Matcher(items, known)
    by_id = {it.id: it for it in items}
    count = 0
    for st in lines:
        for p in matcher.match(st):
            check_invariant(p, st)
            for item_id, amount in p.allocations:
                it = by_id[item_id]
                residual = it.residual_currency if p.currency else it.residual
                assert amount <= residual + 1e-9
                if p.kind in ("fee", "discount"):
                    assert amount == pytest.approx(residual)
            count += 1
    assert count > 500


def test_build_dataset_is_deterministic():
    bench = _benchmark()
    a = bench.build_dataset(50, 1000, seed=5, with_cases=True)
    b = bench.build_dataset(50, 1000, seed=5, with_cases=True)
    assert a[2] == b[2] and a[3] == b[3] and a[4] == b[4]
    assert [it.id for it in a[0]] == list(range(1, 1001))
