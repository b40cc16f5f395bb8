"""Rounding helpers shared by the collections engines.

How it works
------------
Every engine works on plain floats in one currency and rounds them with the
currency's rounding (0.01, 0.05, 1.0...), the way Odoo's ``float_round``
does with its default ``HALF-UP`` method:

1. the value is divided by the rounding, so that rounding becomes rounding to
   an integer;
2. the quotient is nudged away from zero by one unit in the last place,
   because a decimal half typed by a user (2.675) is usually stored as a
   binary float just below it (2.67499999...) and must still round up;
3. it is rounded to the nearest integer (halves away from zero) and
   multiplied back by the rounding;
4. the product is rounded to the number of decimals of the rounding, so that
   ``3 * 0.1`` comes back as ``0.3`` and results compare equal with ``==``.

``is_zero`` and ``compare`` compare amounts after rounding, so that amounts
that only differ below the currency precision are equal.
"""

import math
from decimal import Decimal
from functools import lru_cache


@lru_cache(maxsize=64)
def decimals(rounding):
    """Number of decimals of a rounding (0.01 -> 2, 0.05 -> 2, 1.0 -> 0)."""
    if not rounding or rounding <= 0:
        raise ValueError(f"a rounding must be a positive number, not {rounding!r}")
    exponent = Decimal(repr(float(rounding))).normalize().as_tuple().exponent
    return max(0, -exponent)


def round_amount(value, rounding=0.01):
    """Round ``value`` half-up (halves away from zero) to a multiple of ``rounding``."""
    return rounder(rounding)(value)


@lru_cache(maxsize=64)
def rounder(rounding):
    """``round_amount`` bound to one rounding, for loops over many amounts."""
    digits = decimals(rounding)
    floor = math.floor
    copysign = math.copysign
    # one ulp away from zero, as Odoo's float_round: see the module docstring
    nudge = 1.0 + 2.0**-52
    steps = round(1.0 / rounding)
    if steps >= 1 and abs(steps * rounding - 1.0) < 1e-12:
        # k / 100 is the double nearest to the decimal k * 0.01, like
        # round(k * 0.01, 2) but several times cheaper (this runs per item)

        def round_to(value):
            if not value:
                return 0.0
            magnitude = floor(abs(value) / rounding * nudge + 0.5)
            return copysign(magnitude, value) / steps + 0.0

        return round_to

    def round_to(value):
        if not value:
            return 0.0
        magnitude = abs(value) / rounding * nudge
        return round(copysign(floor(magnitude + 0.5) * rounding, value), digits) + 0.0

    return round_to


def is_zero(value, rounding=0.01):
    """True when ``value`` rounds to zero."""
    return round_amount(value, rounding) == 0.0


def compare(a, b, rounding=0.01):
    """-1, 0 or 1 as ``a`` is below, equal to or above ``b`` once rounded."""
    round_to = rounder(rounding)
    diff = round_to(round_to(a) - round_to(b))
    if diff == 0.0:
        return 0
    return 1 if diff > 0 else -1
