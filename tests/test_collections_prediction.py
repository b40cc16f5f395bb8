"""Plain-Python tests of the payment-date prediction and the cash-in forecast."""

import sys
from datetime import date, timedelta

import pytest

from conftest import REPO_ROOT, load_engine

prediction = load_engine("otc_collections", "prediction")
forecast = load_engine("otc_collections", "forecast")

AS_OF = date(2026, 3, 1)
PRIOR = prediction.Profile(mean=10.0, std=15.0, weight=0.0)


def paid(days_late, days_ago=30, amount=100.0):
    paid_on = AS_OF - timedelta(days=days_ago)
    return prediction.PaidItem(amount, paid_on - timedelta(days=days_late), paid_on)


def test_profile_is_amount_weighted():
    profile = prediction.build_profile(
        [paid(0, amount=100.0), paid(30, amount=300.0)], AS_OF
    )
    assert profile.mean == pytest.approx(22.5)
    # weighted variance: (100 * 22.5^2 + 300 * 7.5^2) / 400
    assert profile.std == pytest.approx((168.75) ** 0.5)
    assert prediction.build_profile([], AS_OF) is None


def test_recent_payments_weigh_more():
    params = prediction.Params(half_life=90.0)
    # same amounts: 0 days late a half-life ago, 20 days late today
    profile = prediction.build_profile(
        [paid(0, days_ago=90), paid(20, days_ago=0)], AS_OF, params
    )
    assert profile.mean == pytest.approx(20 * 1 / 1.5)
    # payments after the prediction date are unknown then
    future = prediction.PaidItem(100.0, AS_OF, AS_OF + timedelta(days=5))
    assert prediction.build_profile([future], AS_OF) is None


def test_shrinkage_towards_prior():
    params = prediction.Params(prior_strength=2.0)
    own = prediction.Profile(mean=40.0, std=5.0, weight=2.0)
    shrunk = prediction.shrink(own, PRIOR, params)
    assert shrunk.mean == pytest.approx(25.0)  # (2 x 40 + 2 x 10) / 4
    assert prediction.shrink(None, PRIOR, params) is PRIOR
    strong = prediction.Profile(mean=40.0, std=5.0, weight=1000.0)
    assert prediction.shrink(strong, PRIOR, params).mean == pytest.approx(40.0, abs=0.1)


def test_promise_replaces_the_prediction():
    inv = prediction.OpenInvoice(
        due_date=date(2026, 2, 1), promise_date=date(2026, 3, 20)
    )
    pred = prediction.predict(inv, PRIOR, AS_OF)
    assert (pred.date, pred.low, pred.high, pred.source) == (
        date(2026, 3, 20),
        date(2026, 3, 20),
        date(2026, 3, 20),
        prediction.SOURCE_PROMISE,
    )


def test_fresh_invoice_is_due_date_plus_pattern():
    profile = prediction.Profile(mean=10.0, std=3.0, weight=20.0)
    inv = prediction.OpenInvoice(due_date=date(2026, 3, 31))
    pred = prediction.predict(inv, profile, AS_OF)
    assert pred.date == date(2026, 4, 10)
    assert pred.low < pred.date < pred.high
    assert pred.low >= AS_OF


def test_invoice_later_than_its_pattern_is_predicted_after_today():
    profile = prediction.Profile(mean=5.0, std=3.0, weight=20.0)
    inv = prediction.OpenInvoice(due_date=date(2026, 1, 1))  # 59 days overdue
    pred = prediction.predict(inv, profile, AS_OF)
    assert pred.date >= AS_OF
    assert pred.low >= AS_OF


def test_dispute_dunning_and_partial_payment_adjust_the_delay():
    params = prediction.Params(dispute_days=20.0, days_per_dunning_level=3.0)
    profile = prediction.Profile(mean=10.0, std=2.0, weight=20.0)
    due = date(2026, 4, 1)
    base = prediction.predict(prediction.OpenInvoice(due), profile, AS_OF, params)
    disputed = prediction.predict(
        prediction.OpenInvoice(due, disputed=True), profile, AS_OF, params
    )
    dunned = prediction.predict(
        prediction.OpenInvoice(due, dunning_level=2), profile, AS_OF, params
    )
    partial = prediction.predict(
        prediction.OpenInvoice(due, partly_paid=True), profile, AS_OF, params
    )
    assert (disputed.date - base.date).days == 20
    assert (dunned.date - base.date).days == 6
    assert partial.date < base.date


def test_predict_many_uses_prior_without_history():
    (pred,) = prediction.predict_many(
        [prediction.OpenInvoice(date(2026, 4, 1))], [], AS_OF, PRIOR
    )
    assert pred.source == prediction.SOURCE_PRIOR


def test_forecast_puts_amounts_in_their_week():
    start = date(2026, 3, 2)  # a Monday
    items = [
        forecast.Expected(100.0, date(2026, 3, 4)),  # week 0
        forecast.Expected(50.0, date(2026, 3, 9)),  # week 1
        forecast.Expected(30.0, date(2026, 2, 1)),  # overdue: expected now
        forecast.Expected(20.0, date(2026, 9, 1)),  # after 13 weeks
    ]
    fc = forecast.forecast(items, start)
    assert len(fc.weeks) == 13
    assert fc.weeks[0].expected == pytest.approx(130.0)
    assert fc.weeks[1].expected == pytest.approx(50.0)
    assert fc.beyond == pytest.approx(20.0)
    # certain receipts: no band
    assert fc.weeks[0].low == fc.weeks[0].high == pytest.approx(130.0)


def test_forecast_spreads_uncertain_receipts_and_keeps_the_total():
    start = date(2026, 3, 2)
    fc = forecast.forecast([forecast.Expected(1000.0, date(2026, 4, 1), 10.0)], start)
    total = sum(w.expected for w in fc.weeks) + fc.beyond
    assert total == pytest.approx(1000.0)
    peak = max(fc.weeks, key=lambda w: w.expected)
    assert peak.start <= date(2026, 4, 1) < peak.start + timedelta(days=7)
    assert all(w.low <= w.expected <= w.high for w in fc.weeks)


def test_wape():
    assert forecast.wape([90.0, 110.0], [100.0, 100.0]) == pytest.approx(10.0)
    assert forecast.wape([1.0], [0.0]) is None


def test_backtest_small_instance_beats_both_baselines():
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    try:
        import backtest_prediction
    finally:
        sys.path.pop(0)
    result = backtest_prediction.run(
        customers=200, months=24, seed=3, out=lambda *a: None
    )
    assert result["gain"] >= 30.0
    assert result["mae"]["engine"] < result["mae"]["plain average"]
    assert result["wape_engine"] < result["wape_due"]


def test_correlated_band_by_hand():
    # one receipt of 100 on day 10 (week 1), spread 7, all of it common:
    # with 2 nodes the common factor is -0.674 or +0.674 (quartiles), so the
    # receipt lands on day 5.3 (week 0) or 14.7 (week 2), half the time each
    start = date(2026, 3, 2)
    item = forecast.Expected(100.0, start + timedelta(days=10), 7.0)
    fc = forecast.forecast([item], start, correlation=1.0, nodes=2)
    assert fc.weeks[0].expected == pytest.approx(50.0)
    assert fc.weeks[1].expected == pytest.approx(0.0)
    assert fc.weeks[2].expected == pytest.approx(50.0)
    # variance across the two cases: (50^2 + 50^2) / 2 = 2,500
    assert fc.weeks[0].high == pytest.approx(50.0 + forecast.Z80 * 50.0)
    assert fc.weeks[0].low == 0.0


def test_correlation_widens_the_band_and_keeps_the_total():
    start = date(2026, 3, 2)
    items = [forecast.Expected(10.0, date(2026, 3, 25), 5.0) for _ in range(100)]
    independent = forecast.forecast(items, start)
    correlated = forecast.forecast(items, start, correlation=0.5)
    week = 3  # 23-29 March: the week of the mean
    assert correlated.weeks[week].high - correlated.weeks[week].low > 3 * (
        independent.weeks[week].high - independent.weeks[week].low
    )
    total = sum(w.expected for w in correlated.weeks) + correlated.beyond
    assert total == pytest.approx(1000.0)
    # same-date items are summed first: one item of 1,000 with the same
    # spread has the same expectation, a wider independent band
    single = forecast.forecast(
        [forecast.Expected(1000.0, date(2026, 3, 25), 5.0)], start
    )
    assert single.weeks[week].expected == pytest.approx(
        independent.weeks[week].expected
    )


def test_calibrate_correlation_takes_the_smallest_that_holds():
    start = date(2026, 3, 2)
    items = [forecast.Expected(10.0, date(2026, 3, 25), 5.0) for _ in range(100)]
    expected = [w.expected for w in forecast.forecast(items, start, weeks=4).weeks]
    # the past went as expected: no correlation needed
    assert forecast.calibrate_correlation([(items, start, expected)]) == 0.0
    # everything came a week later than expected: only a wide band held it
    late = [0.0, *expected[:3]]
    rho = forecast.calibrate_correlation([(items, start, late)], target=0.75)
    assert rho > 0.0
    fc = forecast.forecast(items, start, weeks=4, correlation=rho)
    assert forecast.coverage(fc.weeks, late) >= 3
    lower = forecast.forecast(items, start, weeks=4, correlation=rho - 0.1)
    assert forecast.coverage(lower.weeks, late) < 3


def test_spread_days_reads_the_upper_half():
    pred = prediction.Prediction(
        date(2026, 4, 10), date(2026, 4, 10), date(2026, 4, 23), "customer"
    )
    # the low end was raised to the prediction date: 13 days above / z
    assert prediction.spread_days(pred) == pytest.approx(13 / prediction.Z80)
    promise = prediction.Prediction(
        date(2026, 4, 10), date(2026, 4, 10), date(2026, 4, 10), "promise"
    )
    assert prediction.spread_days(promise) == 0.0
