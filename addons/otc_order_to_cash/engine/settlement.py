"""Cash application: the amounts of applying one payment, and its currencies.

How it works
------------
A proposal (``matching.Proposal``, from the matcher, a remittance advice, a
person picking invoices or a candidate accepted later) says which open items
a payment settles and how much of each.  Before anything is written the
amounts are *settled* again here, from the items as they stand and the
payment as the bank booked it, never from stored amounts:

* ``settle``: the difference between what the items are settled for and
  what was paid is, in this order, the early-payment discount Odoo's payment
  terms grant for the items paid in full by the payment date (when the
  proposal reads the payment as discounted), then a write-off, which must
  stay within the company's write-off limit (discount and write-off
  together: what the terms grant plus the limit); a payment larger than the
  items leaves the excess as customer credit.  A difference over what the
  terms and the limit allow is refused (``SettlementError``), so that a
  candidate stored long ago, or a typed amount, never books a discount or a
  write-off nobody granted.
* ``statement_amounts``: what the matcher sees of a bank statement line:
  its amount in company currency (the bank's journal item, as booked) and
  at most one other currency, the one the customer paid in;
  ``amount_in_currency`` reads the line's amount in a given currency (a
  remittance advice's) without converting.
* ``Rate``: the payment's two amounts (transaction currency and company
  currency, as on the bank's journal item) convert every amount of the
  proposal, line by line, and ``balance_gap`` gives the cent that rounding
  leaves, which the first counterpart takes.

All amounts are in the proposal's currency; ``digits`` is its precision.
"""

import math
from dataclasses import dataclass

E_OVER_LIMIT = "writeoff_over_limit"  # difference, limit, discount
MESSAGES = {
    E_OVER_LIMIT: "the difference of %(difference).2f exceeds the early-payment "
    "discount granted (%(discount).2f) plus the write-off limit (%(limit).2f)",
}


def round_half_up(value, digits):
    """``value`` rounded to ``digits`` decimals, halves away from zero.

    Odoo's ``float_round`` (what ``res.currency.round`` does): the value is
    nudged by one unit in the last place of a double before rounding, so
    that 2.675 (stored as 2.67499999...) rounds to 2.68 as a person expects.
    """
    normalized = value * 10**digits
    if normalized:
        epsilon = 2 ** (math.log(abs(normalized), 2) - 52)
        normalized += math.copysign(epsilon, normalized)
    return math.copysign(math.floor(abs(normalized) + 0.5), normalized) / 10**digits


class SettlementError(ValueError):
    """A proposal whose amounts cannot be applied; ``code`` and ``args``."""

    def __init__(self, code, **args):
        self.code = code
        self.args_ = args
        super().__init__(MESSAGES[code] % args)


@dataclass(frozen=True)
class Settlement:
    """What applying a payment books besides the items it pays."""

    writeoff: float = 0.0
    discount: float = 0.0
    credit: float = 0.0


def _cents(amount, digits):
    return round(round_half_up(amount or 0.0, digits) * 10**digits)


def settle(
    amount, allocated, granted_discount, writeoff_limit, *, digits=2, discounted=False
):
    """Discount, write-off and credit of a payment of ``amount``.

    ``allocated``: total the items are settled for (their amounts applied,
    discounts and write-offs included); ``granted_discount``: the discount
    Odoo's terms grant on the items paid in full at the payment date;
    ``writeoff_limit``: the largest write-off (0 without a write-off
    account); ``discounted``: the proposal reads the payment as discounted.
    Raises ``SettlementError`` when the difference is more than the terms
    and the limit allow.
    """
    scale = 10**digits
    difference = _cents(allocated, digits) - _cents(amount, digits)
    if difference <= 0:
        return Settlement(credit=-difference / scale)
    discount = min(_cents(granted_discount, digits), difference) if discounted else 0
    writeoff = difference - discount
    if writeoff > _cents(writeoff_limit, digits):
        raise SettlementError(
            E_OVER_LIMIT,
            difference=difference / scale,
            discount=discount / scale,
            limit=writeoff_limit or 0.0,
        )
    return Settlement(writeoff=writeoff / scale, discount=discount / scale)


@dataclass(frozen=True)
class Rate:
    """A payment's amount in its transaction currency and in company currency.

    ``in_transaction``: the proposal's amounts are in the transaction
    currency (else in company currency).  ``convert`` gives (amount in
    transaction currency, balance in company currency) of a proposal amount,
    each rounded to its currency.
    """

    transaction_amount: float
    company_amount: float
    in_transaction: bool = True
    same_currency: bool = True
    transaction_digits: int = 2
    company_digits: int = 2

    @property
    def expected(self):
        """The payment in the proposal's currency."""
        return self.transaction_amount if self.in_transaction else self.company_amount

    def convert(self, amount):
        if self.same_currency:
            return amount, amount
        if self.in_transaction:
            return amount, round_half_up(
                amount * self.company_amount / self.transaction_amount,
                self.company_digits,
            )
        return (
            round_half_up(
                amount * self.transaction_amount / self.company_amount,
                self.transaction_digits,
            ),
            amount,
        )

    def to_proposal_currency(self, company_amount):
        """A company-currency amount (a limit) in the proposal's currency."""
        if self.same_currency or not self.in_transaction or not self.company_amount:
            return company_amount
        return round_half_up(
            company_amount * self.transaction_amount / self.company_amount,
            self.transaction_digits,
        )


def rounding_gap(total, parts, digits):
    """What ``parts`` miss of ``total`` after rounding each (to the cent)."""
    return round_half_up(total - sum(parts), digits)


def at_booking_rate(
    amount,
    residual,
    residual_currency,
    *,
    in_item_currency,
    item_digits=2,
    company_digits=2,
):
    """(amount in the item's currency, its value at the item's booking rate).

    For a foreign-currency item: ``amount`` is what the payment applies to it,
    in the item's currency when ``in_item_currency``, else in company
    currency (converted at the item's own rate, residual over residual in
    currency). Settling the whole residual books the residual itself, so
    that no cent stays open; a part is valued at the item's rate. The
    difference with what the bank credited is the realised exchange
    difference.
    """
    if in_item_currency:
        amount_currency = amount
    else:
        amount_currency = round_half_up(
            amount * residual_currency / residual, item_digits
        )
    if round_half_up(amount_currency - residual_currency, item_digits):
        booked = round_half_up(
            amount_currency * residual / residual_currency, company_digits
        )
    else:
        booked = residual
    return amount_currency, booked


def statement_amounts(
    amount,
    *,
    journal_currency,
    company_currency,
    foreign_currency="",
    amount_foreign=None,
    booked_balance=None,
):
    """(company amount, other amount, other currency) of a bank statement line.

    ``amount`` is the line's amount in its journal's currency; a line may also
    say what the customer paid in a third currency (``foreign_currency``,
    ``amount_foreign``). The matcher compares company-currency amounts and
    tries at most one other currency: the foreign one when there is one (it
    is what the invoice was issued in, most likely), else the journal's when
    that is not the company's. The company amount is what the bank's journal
    item booked (``booked_balance``, the rate of the day Odoo applied), which
    the caller reads or converts when the entry has none yet; in a journal in
    company currency it is ``amount`` itself. Currencies are ISO codes.
    """
    other_amount, other = None, ""
    if foreign_currency and foreign_currency != company_currency:
        other_amount, other = amount_foreign, foreign_currency
    if journal_currency == company_currency:
        return amount, other_amount, other
    if not other:
        other_amount, other = amount, journal_currency
    if booked_balance is None:
        raise ValueError("a journal in another currency needs the booked balance")
    return booked_balance, other_amount, other


def amount_in_currency(
    currency, *, amount, journal_currency, foreign_currency="", amount_foreign=None
):
    """The statement line's amount in ``currency``, or None when it has none.

    A remittance advice is applied in its own currency: the line's foreign
    amount when the customer paid in it, else the line's amount when the
    journal is in it. Nothing is converted: an advice in a third currency
    cannot be checked against the payment.
    """
    if foreign_currency and foreign_currency == currency:
        return amount_foreign
    if journal_currency == currency:
        return amount
    return None
