"""Payment-date prediction for open invoices.

How it works
------------
**A customer's pattern** (:func:`build_profile`) is the distribution of its
*days late* (payment date - due date, negative when early) over its paid
invoices, each payment weighted by its amount and by its recency: a payment
``age`` days before the prediction date weighs ``amount x 0.5 ** (age /
half_life)``, so the customer's recent behaviour counts most.  From those
weights come a weighted mean, a weighted standard deviation and an
*effective number of payments* ``n = (sum w)^2 / sum w^2`` (Kish), which
says how much evidence there is, whatever the amounts.

**Shrinkage** (empirical Bayes, :func:`shrink`): with little history the
customer's own mean is noisy, so it is pulled towards a prior (its segment's
pattern, itself pulled towards the company's)::

    mean = (n x customer mean + k x prior mean) / (n + k)

and the same for the variance; ``k`` (``prior_strength``) is how many
payments the prior is worth.  A customer with no history gets the prior; one
with hundreds of payments gets essentially its own pattern.

**The prediction** (:func:`predict`) for one open invoice, as of a date:

1. a promise to pay replaces everything: the promised date, with no spread;
2. otherwise the expected days late are the profile's mean, plus the
   configured delay per open dispute and per dunning level reached, minus a
   share of the delay when the invoice is already partly paid (the customer
   has started paying);
3. the invoice is still open on the prediction date, so a payment before it
   is impossible: the expectation is the mean of the normal distribution
   *truncated* at the age reached today (``mu + sigma x phi(z) / (1 - Phi(z))``
   with ``z = (age - mu) / sigma``): the same as ``mu`` for a fresh invoice,
   and after today, by an amount that grows with the spread, for an invoice
   already later than its pattern;
4. the interval is ``mean +/- z x sigma`` (z = 1.2816 for 80 %), its low end
   never before the prediction date.

All dates are ``datetime.date``; the result is a :class:`Prediction`, the one
object the model stores (``otc_predicted_date``, low, high, source).
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

Z80 = 1.2815515655446004
SOURCE_PROMISE = "promise"
SOURCE_CUSTOMER = "customer"
SOURCE_PRIOR = "prior"


@dataclass(frozen=True)
class PaidItem:
    """A paid invoice (or paid part) of the history."""

    amount: float
    due_date: date
    paid_date: date


@dataclass(frozen=True)
class Profile:
    """A payment pattern: days late (mean, standard deviation) and its evidence."""

    mean: float
    std: float
    weight: float  # effective number of payments behind it


@dataclass(frozen=True)
class Params:
    """Tunable settings of the prediction (company settings feed them)."""

    half_life: float = 90.0
    prior_strength: float = 1.0
    min_std: float = 2.0
    dispute_days: float = 20.0
    days_per_dunning_level: float = 3.0
    partial_payment_share: float = 0.25
    z: float = Z80


DEFAULT_PARAMS = Params()
# when nothing is known: paid 10 days late, give or take 15
COMPANY_FALLBACK = Profile(mean=10.0, std=15.0, weight=0.0)


@dataclass(frozen=True)
class OpenInvoice:
    """What the prediction needs to know about one open invoice."""

    due_date: date
    promise_date: date | None = None
    disputed: bool = False
    dunning_level: int = 0
    partly_paid: bool = False


@dataclass(frozen=True)
class Prediction:
    """Predicted payment date with an interval, and where it comes from."""

    date: date
    low: date
    high: date
    source: str
    days_late: float = field(default=0.0)


def build_profile(history, as_of, params=DEFAULT_PARAMS):
    """Amount- and recency-weighted pattern of ``history`` (``None`` if empty).

    Payments after ``as_of`` are ignored (they were not known then).
    """
    sum_w = sum_x = sum_x2 = evidence = 0.0
    for item in history:
        if item.amount <= 0 or item.paid_date > as_of:
            continue
        decay = 0.5 ** ((as_of - item.paid_date).days / params.half_life)
        w = item.amount * decay
        x = (item.paid_date - item.due_date).days
        sum_w += w
        sum_x += w * x
        sum_x2 += w * x * x
        evidence += decay
    if not sum_w:
        return None
    mean = sum_x / sum_w
    var = max(0.0, sum_x2 / sum_w - mean * mean)
    return Profile(mean=mean, std=math.sqrt(var), weight=evidence)


def shrink(profile, prior, params=DEFAULT_PARAMS):
    """The customer's profile pulled towards ``prior`` (see the docstring)."""
    if profile is None:
        return prior
    n, k = profile.weight, params.prior_strength
    mean = (n * profile.mean + k * prior.mean) / (n + k)
    var = (n * profile.std**2 + k * prior.std**2) / (n + k)
    return Profile(mean=mean, std=math.sqrt(var), weight=n + prior.weight)


def _phi(z):
    return math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)


def _cdf(z):
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def truncated_mean(mu, sigma, lower):
    """Mean of N(mu, sigma) given that the value exceeds ``lower``."""
    if sigma <= 0:
        return max(mu, lower)
    z = (lower - mu) / sigma
    tail = 1.0 - _cdf(z)
    if tail < 1e-12:
        # far in the tail: the inverse Mills ratio tends to z
        return lower + sigma / max(z, 1.0)
    return mu + sigma * _phi(z) / tail


def predict(invoice, profile, as_of, params=DEFAULT_PARAMS, source=SOURCE_CUSTOMER):
    """The :class:`Prediction` of one open invoice as of ``as_of``."""
    if invoice.promise_date:
        when = max(invoice.promise_date, as_of)
        return Prediction(
            when, when, when, SOURCE_PROMISE, (when - invoice.due_date).days
        )
    mu = profile.mean
    if invoice.disputed:
        mu += params.dispute_days
    mu += params.days_per_dunning_level * max(0, invoice.dunning_level)
    if invoice.partly_paid and mu > 0:
        mu *= 1.0 - params.partial_payment_share
    sigma = max(profile.std, params.min_std)
    # still open today: payment before today is impossible (step 3)
    mu = truncated_mean(mu, sigma, (as_of - invoice.due_date).days)
    when = invoice.due_date + timedelta(days=round(mu))
    low = max(
        as_of, invoice.due_date + timedelta(days=math.floor(mu - params.z * sigma))
    )
    high = invoice.due_date + timedelta(days=math.ceil(mu + params.z * sigma))
    when = max(when, as_of)
    return Prediction(when, min(low, when), max(high, when), source, mu)


def spread_days(prediction, z=Z80):
    """Standard deviation in days behind a :class:`Prediction`'s interval.

    From its upper half: the low end may have been raised to the
    prediction date (step 4), which would narrow a spread read from the
    whole interval. At least one day (none for a promise)."""
    if prediction.source == SOURCE_PROMISE:
        return 0.0
    return max(1.0, (prediction.high - prediction.date).days / z)


def predict_many(invoices, history, as_of, prior, params=DEFAULT_PARAMS):
    """Predictions for the open invoices of ONE customer, in the given order."""
    own = build_profile(history, as_of, params)
    profile = shrink(own, prior, params)
    source = SOURCE_CUSTOMER if own else SOURCE_PRIOR
    return [predict(inv, profile, as_of, params, source) for inv in invoices]
