"""Validation of what customers type in the portal forms.

How it works
------------
Nothing a browser sends is trusted: amounts, dates and choices are parsed
and checked here again, whatever the page's own checks did.  Each check
returns normally or raises ``InputError`` with a ``code`` (one per distinct
mistake, so the caller can show a translated sentence) and the parameters
that sentence needs.  The checks never touch a database: the caller reads
the documents first (only the customer's own, so that another customer's ids
look exactly like ids that do not exist) and hands plain values in.

**Amounts** are handled as whole numbers of the currency's rounding unit
(cents for a rounding of 0.01, twentieths for 0.05...), so that sums and
comparisons are exact.  ``parse_amount`` accepts plain decimal text as an
``<input type="number">`` sends it (``1234.5``, ``1234.50``, ``-3``; a comma
is accepted as the decimal separator when there is no dot), and refuses
empty text, exponents, ``nan``/``inf``, thousands separators and more
decimals than the currency has: a mistyped amount is pointed out, never
rounded silently into another amount.

**Dates** are ISO dates (``YYYY-MM-DD``, what ``<input type="date">``
sends).  A promise to pay is dated from today (included) to today plus the
company's horizon (included).  A statement period must not end before it
starts, nor after today, and spans at most ``max_days``.

**Disputes** cover a positive amount that, with the invoice's other open
disputes, does not exceed what is still due on it.
"""

import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_AMOUNT_RE = re.compile(r"^[+-]?(\d+)?(?:[.,](\d*))?$")


class InputError(ValueError):
    """A refused input: ``code`` names the mistake, ``params`` fill the message."""

    def __init__(self, code, params=None):
        super().__init__(code, params or {})
        self.code = code
        self.params = params or {}

    def __str__(self):
        return f"{self.code}: {self.params}" if self.params else self.code


def _quantum(rounding):
    quantum = Decimal(repr(float(rounding)))
    if quantum <= 0:
        raise ValueError(f"a rounding must be positive, not {rounding!r}")
    return quantum


def decimals(rounding):
    """Number of decimals of a rounding (0.01 -> 2, 0.05 -> 2, 1.0 -> 0)."""
    return max(0, -_quantum(rounding).normalize().as_tuple().exponent)


def to_units(amount, rounding=0.01):
    """``amount`` (float, Decimal or str) as a whole number of ``rounding``
    units, half-up (amounts read from the database are already rounded)."""
    value = Decimal(amount if isinstance(amount, str) else repr(float(amount)))
    units = (value / _quantum(rounding)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(units)


def from_units(units, rounding=0.01):
    """The float amount of ``units`` units of ``rounding``."""
    quantum = _quantum(rounding)
    return float((Decimal(units) * quantum).quantize(quantum.normalize()))


def parse_amount(text, rounding=0.01):
    """Units of ``rounding`` typed in ``text``; ``InputError`` when malformed.

    The sign is kept: whether a negative or zero amount is acceptable is the
    caller's rule (see ``check_positive``).
    """
    text = (text or "").strip() if isinstance(text, str) else text
    if text is None or text == "":
        raise InputError("amount_missing")
    if not isinstance(text, str):
        text = repr(float(text))
    match = _AMOUNT_RE.match(text)
    if not match or not (match.group(1) or match.group(2)):
        raise InputError("amount_invalid", {"value": text})
    if "," in text and "." in text:
        raise InputError("amount_invalid", {"value": text})
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InputError("amount_invalid", {"value": text}) from None
    quantum = _quantum(rounding)
    units = value / quantum
    if units != units.to_integral_value():
        raise InputError(
            "amount_precision", {"value": text, "decimals": decimals(rounding)}
        )
    return int(units)


def check_positive(units, code="amount_not_positive", **params):
    if units <= 0:
        raise InputError(code, params)


def parse_date(text):
    """The ``date`` of an ISO ``YYYY-MM-DD`` text; ``InputError`` otherwise."""
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise InputError("date_missing")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise InputError("date_invalid", {"value": text})
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("date_invalid", {"value": text}) from None


def parse_id(text):
    """A positive database id from a form value; ``InputError`` otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        text = (text or "").strip() if isinstance(text, str) else ""
        if not text.isdigit():
            raise InputError("id_invalid", {"value": text})
        value = int(text)
    if value <= 0 or value > 2**31 - 1:
        raise InputError("id_invalid", {"value": str(text)})
    return value


def check_promise(today, promise_date, horizon_days, amount_units, due_units):
    """A promise to pay ``amount_units`` on ``promise_date`` for invoices on
    which ``due_units`` are still due."""
    if promise_date < today:
        raise InputError("date_past", {"date": promise_date})
    latest = today + timedelta(days=max(horizon_days, 0))
    if promise_date > latest:
        raise InputError(
            "date_beyond_horizon",
            {"date": promise_date, "latest": latest, "days": horizon_days},
        )
    check_positive(amount_units)
    if amount_units > due_units:
        raise InputError("amount_over_due", {"amount": amount_units, "due": due_units})


def check_dispute(amount_units, residual_units, disputed_units=0):
    """A dispute of ``amount_units`` on an invoice with ``residual_units``
    due, ``disputed_units`` of which are already under open disputes."""
    check_positive(amount_units)
    available = residual_units - disputed_units
    if available <= 0:
        raise InputError("already_disputed")
    if amount_units > available:
        raise InputError(
            "amount_over_disputable", {"amount": amount_units, "available": available}
        )


def check_period(date_from, date_to, today, max_days=3660):
    """A statement period: ordered, not in the future, at most ``max_days``."""
    if date_to < date_from:
        raise InputError(
            "period_reversed", {"date_from": date_from, "date_to": date_to}
        )
    if date_to > today:
        raise InputError("period_future", {"date_to": date_to, "today": today})
    if (date_to - date_from).days > max_days:
        raise InputError("period_too_long", {"days": max_days})
