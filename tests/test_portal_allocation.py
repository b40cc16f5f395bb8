"""Plain-Python tests of the portal's payment allocation (no Odoo needed)."""

import random
from datetime import date

import pytest

from conftest import load_engine

allocation = load_engine("otc_portal", "allocation")
validation = load_engine("otc_portal", "validation")
InputError = validation.InputError
INV, CN = allocation.INVOICE, allocation.CREDIT_NOTE


def doc(id_, kind, due, residual):
    return allocation.Document(id_, kind, date(2026, 1, due), residual)


# Three invoices due on the 5th, 10th and 20th and one credit note.
DOCS = [
    doc(1, INV, 10, 30000),
    doc(2, INV, 5, 10000),
    doc(3, INV, 20, 5000),
    doc(4, CN, 8, 2500),
]


def test_full_amounts_oldest_first_with_credit_deducted():
    plan = allocation.allocate(DOCS, {1: None, 2: None, 3: None, 4: None})
    assert [line.id for line in plan.lines] == [2, 4, 1, 3]
    assert plan.amounts() == {1: 30000, 2: 10000, 3: 5000, 4: 2500}
    assert plan.invoice_total == 45000
    assert plan.credit_total == 2500
    assert plan.charge == 42500
    assert all(line.remaining == 0 for line in plan.lines)


def test_any_subset():
    plan = allocation.allocate(DOCS, {3: None})
    assert plan.amounts() == {3: 5000}
    assert plan.charge == 5000


def test_explicit_amount_per_invoice():
    plan = allocation.allocate(DOCS, {1: 12345, 2: None})
    assert plan.amounts() == {1: 12345, 2: 10000}
    assert plan.charge == 22345
    line = {line.id: line for line in plan.lines}[1]
    assert line.explicit and line.remaining == 30000 - 12345


def test_explicit_amount_equal_to_residual_is_not_explicit():
    plan = allocation.allocate(DOCS, {1: 30000, 2: None}, total=35000)
    # Both flexible: the newest (1, due the 10th) is reduced, 2 paid in full.
    assert plan.amounts() == {1: 25000, 2: 10000}


def test_lower_total_goes_to_the_oldest_invoices():
    plan = allocation.allocate(DOCS, {1: None, 2: None, 3: None}, total=20000)
    # 2 (due 5th) in full, then 1 (due 10th) for the rest; 3 (due 20th) dropped.
    assert plan.amounts() == {2: 10000, 1: 10000}
    assert plan.charge == 20000
    assert plan.invoice_total == 20000


def test_lower_total_keeps_explicit_amounts():
    plan = allocation.allocate(DOCS, {1: None, 2: None, 3: 4000}, total=20000)
    assert plan.amounts() == {3: 4000, 2: 10000, 1: 6000}
    assert plan.charge == 20000


def test_lower_total_with_credit_note():
    plan = allocation.allocate(DOCS, {1: None, 2: None, 4: None}, total=10000)
    # invoices must settle 12500 so that 12500 - 2500 = 10000 is charged
    assert plan.amounts() == {2: 10000, 1: 2500, 4: 2500}
    assert plan.charge == 10000


def test_total_equal_to_explicit_amounts_drops_flexible_invoices():
    plan = allocation.allocate(DOCS, {1: 7000, 2: None}, total=7000)
    assert plan.amounts() == {1: 7000}


def test_total_under_explicit_amounts_refused():
    with pytest.raises(InputError) as err:
        allocation.allocate(DOCS, {1: 7000, 2: None}, total=6999)
    assert err.value.code == "total_under_fixed"
    assert err.value.params["minimum"] == 7000


def test_total_over_charge_refused():
    with pytest.raises(InputError) as err:
        allocation.allocate(DOCS, {2: None, 4: None}, total=7501)
    assert err.value.code == "total_over"
    assert err.value.params["maximum"] == 7500


@pytest.mark.parametrize("total", [0, -1])
def test_total_not_positive(total):
    with pytest.raises(InputError) as err:
        allocation.allocate(DOCS, {2: None}, total=total)
    assert err.value.code == "total_not_positive"


@pytest.mark.parametrize(
    ("selection", "code"),
    [
        ({}, "nothing_selected"),
        ({99: None}, "not_open"),
        ({1: None, 99: None}, "not_open"),
        ({1: 0}, "amount_not_positive"),
        ({1: -100}, "amount_not_positive"),
        ({1: 30001}, "amount_over_residual"),
        ({4: None}, "no_invoice"),
        ({3: 2500, 4: None}, "nothing_to_pay"),
        ({3: 2000, 4: None}, "nothing_to_pay"),
    ],
)
def test_refused_selections(selection, code):
    with pytest.raises(InputError) as err:
        allocation.allocate(DOCS, selection)
    assert err.value.code == code


def test_not_open_lists_the_ids():
    with pytest.raises(InputError) as err:
        allocation.allocate(DOCS, {1: None, 77: None, 78: None})
    assert err.value.params["ids"] == [77, 78]


def test_partial_credit_note():
    plan = allocation.allocate(DOCS, {2: None, 4: 1000})
    assert plan.amounts() == {2: 10000, 4: 1000}
    assert plan.charge == 9000


def test_recheck_after_a_payment_in_between():
    plan = allocation.allocate(DOCS, {1: None, 2: None})
    # Invoice 2 was partly paid by bank transfer meanwhile.
    now = [d if d.id != 2 else d._replace(residual=4000) for d in DOCS]
    with pytest.raises(InputError) as err:
        allocation.allocate(now, plan.amounts())
    assert err.value.code == "amount_over_residual"
    # ... or fully paid: it is no longer among the open documents.
    with pytest.raises(InputError) as err:
        allocation.allocate([d for d in DOCS if d.id != 2], plan.amounts())
    assert err.value.code == "not_open"
    # Unchanged documents: the same plan.
    assert allocation.allocate(DOCS, plan.amounts()) == plan


def test_bad_documents_are_programming_errors():
    with pytest.raises(ValueError):
        allocation.allocate([doc(1, "order", 1, 10)], {1: None})
    with pytest.raises(ValueError):
        allocation.allocate([doc(1, INV, 1, 0)], {1: None})


def test_random_plans_are_consistent():
    rng = random.Random(20260101)
    for _ in range(500):
        docs = [
            doc(
                i,
                CN if rng.random() < 0.2 else INV,
                rng.randint(1, 28),
                rng.randint(1, 100000),
            )
            for i in range(1, rng.randint(2, 12))
        ]
        selection = {}
        for d in docs:
            if rng.random() < 0.7:
                selection[d.id] = (
                    rng.randint(1, d.residual) if rng.random() < 0.3 else None
                )
        total = None
        try:
            full = allocation.allocate(docs, selection)
        except InputError:
            continue
        if rng.random() < 0.5:
            total = rng.randint(1, full.charge)
        try:
            plan = allocation.allocate(docs, selection, total)
        except InputError as error:
            assert error.code == "total_under_fixed"
            fixed = sum(
                amount
                for doc_id, amount in selection.items()
                if amount is not None
                and amount != docs[doc_id - 1].residual
                and docs[doc_id - 1].kind == INV
            )
            assert total < fixed - full.credit_total
            continue
        assert plan.charge == (total if total is not None else full.charge)
        assert plan.invoice_total - plan.credit_total == plan.charge
        residuals = {d.id: d.residual for d in docs}
        for line in plan.lines:
            assert 0 < line.amount <= residuals[line.id]
            if selection[line.id] not in (None, residuals[line.id]):
                assert line.amount == selection[line.id]
        # the money goes oldest first: a flexible invoice is cut only when
        # every older flexible invoice is paid in full
        flexible = sorted(
            (
                d
                for d in docs
                if d.kind == INV
                and d.id in selection
                and selection[d.id] in (None, d.residual)
            ),
            key=lambda d: (d.due_date, str(d.id)),
        )
        paid = plan.amounts()
        cut_seen = False
        for d in flexible:
            amount = paid.get(d.id, 0)
            if cut_seen:
                assert amount == 0
            if amount < d.residual:
                cut_seen = True
