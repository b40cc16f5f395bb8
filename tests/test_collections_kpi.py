"""Plain-Python tests of the receivables KPI formulas (hand-computed examples)."""

from datetime import date

import pytest

from conftest import load_engine

kpi = load_engine("otc_collections", "kpi")


def test_dso_standard():
    # 50,000 owed after a quarter of 150,000 credit sales: a month of sales
    assert kpi.dso_standard(50_000, 150_000, 90) == pytest.approx(30.0)
    assert kpi.dso_standard(50_000, 0, 90) is None


def test_dso_countback_runs_out_in_second_month():
    # 250 owed; last month sold 100 (31 days), the one before 200 (30 days):
    # 31 days + 150/200 of 30 days
    result = kpi.dso_countback(250, [(100, 31), (200, 30), (300, 31)])
    assert result.complete
    assert result.days == pytest.approx(53.5)


def test_dso_countback_month_without_sales_counts_fully():
    result = kpi.dso_countback(50, [(0, 30), (100, 31)])
    assert result.days == pytest.approx(30 + 15.5)


def test_dso_countback_exhausted_is_a_lower_bound():
    result = kpi.dso_countback(1000, [(100, 30)])
    assert result == kpi.CountBack(30.0, False)
    assert kpi.dso_countback(0, [(100, 30)]) == kpi.CountBack(0.0, True)
    assert kpi.dso_countback(100, []) is None


def test_best_dso_and_add():
    best = kpi.best_possible_dso(30_000, 150_000, 90)
    assert best == pytest.approx(18.0)
    assert kpi.average_days_delinquent(30.0, best) == pytest.approx(12.0)
    assert kpi.average_days_delinquent(None, best) is None


def test_cei():
    # (100 + 500 - 200) / (100 + 500 - 120) = 400 / 480
    assert kpi.cei(100, 500, 200, 120) == pytest.approx(83.3333, abs=1e-4)
    # everything collected: 100 %
    assert kpi.cei(100, 500, 50, 50) == pytest.approx(100.0)
    assert kpi.cei(0, 0, 0, 0) is None


def test_payment_pattern_is_amount_weighted():
    inv = date(2025, 1, 1)
    due = date(2025, 1, 31)
    payments = [
        kpi.Payment(100.0, inv, due, date(2025, 1, 31)),  # 30 days, on time
        kpi.Payment(300.0, inv, due, date(2025, 3, 2)),  # 60 days, 30 late
        kpi.Payment(-5.0, inv, due, date(2025, 3, 2)),  # ignored
    ]
    pattern = kpi.payment_pattern(payments)
    assert pattern.days_to_pay == pytest.approx((100 * 30 + 300 * 60) / 400)
    assert pattern.days_late == pytest.approx(300 * 30 / 400)
    assert (pattern.amount, pattern.count) == (400.0, 2)
    assert kpi.payment_pattern([]).days_late is None


def test_pattern_from_sums_equals_the_list_version():
    inv, due = date(2025, 1, 1), date(2025, 1, 31)
    payments = [
        kpi.Payment(100.0, inv, due, date(2025, 1, 31)),
        kpi.Payment(300.0, inv, due, date(2025, 3, 2)),
    ]
    sums = (400.0, 100 * 30 + 300 * 60, 300 * 30, 2)
    assert kpi.pattern_from_sums(*sums) == kpi.payment_pattern(payments)
    assert kpi.pattern_from_sums(0, 0, 0, 0).days_to_pay is None


def test_days_late_is_signed():
    inv, due = date(2025, 1, 1), date(2025, 1, 31)
    pattern = kpi.payment_pattern([kpi.Payment(10.0, inv, due, date(2025, 1, 21))])
    assert pattern.days_late == pytest.approx(-10.0)


def test_trend_slope_per_month():
    assert kpi.trend([10, 12, 14]) == pytest.approx(2.0)
    assert kpi.trend([10, None, 14]) == pytest.approx(2.0)
    assert kpi.trend([5, 5, 5]) == pytest.approx(0.0)
    assert kpi.trend([3]) is None


def test_ratio():
    assert kpi.ratio(1, 4) == pytest.approx(25.0)
    assert kpi.ratio(1, 0) is None


def test_fx_exposure_unrealised_gain_and_loss():
    items = [
        kpi.OpenForeign("EUR", 100.0, 110.0),
        kpi.OpenForeign("EUR", 50.0, 54.0),
        kpi.OpenForeign("GBP", 10.0, 13.0),
    ]
    eur, gbp = kpi.fx_exposure(items, {"EUR": 1.2, "GBP": 1.25})
    assert (eur.amount_currency, eur.booked, eur.at_today, eur.unrealised) == (
        150.0,
        164.0,
        180.0,
        16.0,
    )
    assert (gbp.at_today, gbp.unrealised) == (12.5, -0.5)
    with pytest.raises(KeyError):
        kpi.fx_exposure(items, {"EUR": 1.2})


def test_period_kpis():
    fig = kpi.PeriodFigures(
        date_from=date(2025, 1, 1),
        date_to=date(2025, 3, 31),  # 90 days
        opening_ar=40_000.0,
        closing_ar=50_000.0,
        closing_current_ar=30_000.0,
        credit_sales=150_000.0,
        months=((60_000.0, 31), (50_000.0, 28), (40_000.0, 31)),
    )
    k = kpi.period_kpis(fig)
    assert k.dso == pytest.approx(30.0)
    assert k.best_dso == pytest.approx(18.0)
    assert k.add == pytest.approx(12.0)
    # 50,000 > March's 60,000? no: 50,000 / 60,000 of 31 days
    assert k.dso_countback == pytest.approx(50_000 / 60_000 * 31)
    # (40,000 + 150,000 - 50,000) / (40,000 + 150,000 - 30,000)
    assert k.cei == pytest.approx(140_000 / 160_000 * 100)
    assert k.overdue_share == pytest.approx(40.0)
    assert kpi.change(k.dso, 25.0) == pytest.approx(5.0)
    assert kpi.change(None, 25.0) is None
