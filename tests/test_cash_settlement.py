"""Settling a payment's amounts again before applying it (no stored amount trusted)."""

import pytest

from conftest import load_engine

settlement = load_engine("otc_order_to_cash", "settlement")


def test_exact_and_overpayment():
    assert settlement.settle(100.0, 100.0, 0.0, 10.0) == settlement.Settlement()
    assert settlement.settle(120.0, 100.0, 0.0, 10.0).credit == 20.0


def test_discount_is_what_the_terms_grant():
    # paid 98 on 100 with a 2 % discount granted
    result = settlement.settle(98.0, 100.0, 2.0, 10.0, discounted=True)
    assert (result.discount, result.writeoff) == (2.0, 0.0)
    # a discount the terms no longer grant (paid late) is not booked: the
    # difference is a write-off, within the limit here
    result = settlement.settle(98.0, 100.0, 0.0, 10.0, discounted=True)
    assert (result.discount, result.writeoff) == (0.0, 2.0)


def test_discount_and_writeoff_together_within_the_limit():
    # 2.00 discount + a 3.50 bank fee: the fee is written off
    result = settlement.settle(94.5, 100.0, 2.0, 5.0, discounted=True)
    assert (result.discount, result.writeoff) == (2.0, 3.5)
    with pytest.raises(settlement.SettlementError) as caught:
        settlement.settle(90.0, 100.0, 2.0, 5.0, discounted=True)
    assert caught.value.code == settlement.E_OVER_LIMIT
    assert caught.value.args_ == {"difference": 10.0, "discount": 2.0, "limit": 5.0}


def test_the_issue_case_a_tiny_receipt_never_closes_a_large_invoice():
    # a 96.67 receipt stored as closing a 41,750.00 invoice with a "discount"
    with pytest.raises(settlement.SettlementError):
        settlement.settle(96.67, 41750.0, 835.0, 10.0, discounted=True)
    with pytest.raises(settlement.SettlementError):
        settlement.settle(96.67, 41750.0, 0.0, 10.0)


def test_writeoff_limit():
    assert settlement.settle(95.0, 100.0, 0.0, 5.0).writeoff == 5.0
    with pytest.raises(settlement.SettlementError):
        settlement.settle(94.99, 100.0, 0.0, 5.0)
    # no write-off account: limit 0
    with pytest.raises(settlement.SettlementError):
        settlement.settle(99.99, 100.0, 0.0, 0.0)


def test_rate_conversions():
    rate = settlement.Rate(111.0, 100.0, in_transaction=True, same_currency=False)
    assert rate.expected == 111.0
    assert rate.convert(55.5) == (55.5, 50.0)
    assert rate.to_proposal_currency(10.0) == 11.1
    company = settlement.Rate(111.0, 100.0, in_transaction=False, same_currency=False)
    assert company.expected == 100.0
    assert company.convert(50.0) == (55.5, 50.0)
    assert company.to_proposal_currency(10.0) == 10.0
    same = settlement.Rate(100.0, 100.0)
    assert same.convert(12.345) == (12.345, 12.345)
    assert settlement.rounding_gap(100.0, [33.33, 33.33, 33.33], 2) == 0.01


def test_foreign_item_at_its_booking_rate():
    # an invoice of 1,080.00 USD booked at 1,000.00 EUR
    whole = settlement.at_booking_rate(1080.0, 1000.0, 1080.0, in_item_currency=True)
    assert whole == (1080.0, 1000.0)
    half = settlement.at_booking_rate(540.0, 1000.0, 1080.0, in_item_currency=True)
    assert half == (540.0, 500.0)
    # the amount in company currency, converted at the item's own rate
    assert settlement.at_booking_rate(
        500.0, 1000.0, 1080.0, in_item_currency=False
    ) == (540.0, 500.0)
    # a third: rounded to the cent, the whole residual when it is all of it
    assert settlement.at_booking_rate(
        333.33, 1000.0, 1000.01, in_item_currency=True
    ) == (333.33, 333.33)


def test_rounding_is_odoos_half_up():
    assert settlement.round_half_up(2.675, 2) == 2.68
    assert settlement.round_half_up(-2.675, 2) == -2.68
    assert settlement.round_half_up(0.125, 2) == 0.13
    assert settlement.round_half_up(1.0, 2) == 1.0
    assert settlement.round_half_up(0.0, 2) == 0.0


def test_statement_amounts_in_company_currency_journal():
    # EUR company, EUR journal, paid in EUR: one currency only
    assert settlement.statement_amounts(
        250.0, journal_currency="EUR", company_currency="EUR"
    ) == (250.0, None, "")
    # paid in USD into the EUR account: the matcher also tries the USD amount
    assert settlement.statement_amounts(
        250.0,
        journal_currency="EUR",
        company_currency="EUR",
        foreign_currency="USD",
        amount_foreign=270.0,
    ) == (250.0, 270.0, "USD")
    # a foreign amount "in" the company currency is no other currency
    assert settlement.statement_amounts(
        250.0,
        journal_currency="EUR",
        company_currency="EUR",
        foreign_currency="EUR",
        amount_foreign=250.0,
    ) == (250.0, None, "")


def test_statement_amounts_in_foreign_journal_use_the_booked_balance():
    # USD journal of an EUR company: the company amount is what the bank's
    # journal item booked, not a conversion at another rate
    assert settlement.statement_amounts(
        108.0, journal_currency="USD", company_currency="EUR", booked_balance=100.0
    ) == (100.0, 108.0, "USD")
    # paid in GBP into the USD journal: GBP is the other currency tried
    assert settlement.statement_amounts(
        108.0,
        journal_currency="USD",
        company_currency="EUR",
        foreign_currency="GBP",
        amount_foreign=86.0,
        booked_balance=100.0,
    ) == (100.0, 86.0, "GBP")
    with pytest.raises(ValueError):
        settlement.statement_amounts(
            108.0, journal_currency="USD", company_currency="EUR"
        )


def test_amount_in_currency_never_converts():
    line = dict(amount=108.0, journal_currency="USD")
    assert settlement.amount_in_currency("USD", **line) == 108.0
    assert settlement.amount_in_currency("EUR", **line) is None
    paid_in_gbp = dict(line, foreign_currency="GBP", amount_foreign=86.0)
    assert settlement.amount_in_currency("GBP", **paid_in_gbp) == 86.0
    assert settlement.amount_in_currency("USD", **paid_in_gbp) == 108.0
