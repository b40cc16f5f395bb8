"""Plain-Python tests of the credit decision engine (no Odoo needed)."""

from datetime import date

import pytest

from conftest import load_engine

credit = load_engine("otc_order_to_cash", "credit")


def profile(**kw):
    return credit.CreditProfile(**kw)


def test_pass_within_limit_and_at_limit():
    p = profile(limit=1000)
    assert credit.evaluate(p, 400, 500).passed
    assert credit.evaluate(p, 500, 500).passed  # exactly at the limit
    assert credit.evaluate(p, 500, 500.004).passed  # below currency precision


def test_over_limit_uses_policy_and_reports_amounts():
    for policy in credit.POLICIES:
        d = credit.evaluate(profile(policy=policy, limit=1000), 800, 300)
        assert d.action == policy
        assert [r.code for r in d.reasons] == [credit.REASON_LIMIT]
        assert d.reasons[0].value == 1100
        assert d.reasons[0].threshold == 1000
        assert d.exposure_after == 1100
        assert d.limit == 1000


def test_zero_limit_means_no_limit():
    assert credit.evaluate(profile(limit=0), 10**9, 10**9).passed


def test_hold_blocks_even_without_exposure():
    d = credit.evaluate(profile(on_hold=True), 0, 1)
    assert not d.passed
    assert [r.code for r in d.reasons] == [credit.REASON_HOLD]


def test_overdue_days_check_and_disabled():
    d = credit.evaluate(profile(max_overdue_days=30), 0, 10, oldest_overdue_days=31)
    assert [r.code for r in d.reasons] == [credit.REASON_OVERDUE]
    assert (d.reasons[0].value, d.reasons[0].threshold) == (31, 30)
    assert credit.evaluate(
        profile(max_overdue_days=30), 0, 10, oldest_overdue_days=30
    ).passed
    assert credit.evaluate(
        profile(max_overdue_days=None), 0, 10, oldest_overdue_days=999
    ).passed
    # 0 allowed days: any overdue item stops the order
    assert not credit.evaluate(
        profile(max_overdue_days=0), 0, 10, oldest_overdue_days=1
    ).passed


def test_all_reasons_reported_together():
    d = credit.evaluate(
        profile(policy="warn", limit=100, on_hold=True, max_overdue_days=10),
        90,
        20,
        oldest_overdue_days=11,
    )
    assert d.action == "warn"
    assert {r.code for r in d.reasons} == {"hold", "limit", "overdue"}


def test_approval_covers_approved_amount_only():
    p = profile(policy="approval", limit=100, on_hold=True)
    covered = credit.evaluate(p, 500, 800, approved_amount=800)
    assert covered.passed and covered.covered_by_approval
    assert credit.evaluate(p, 500, 700, approved_amount=800).passed
    grown = credit.evaluate(p, 500, 900, approved_amount=800)
    assert grown.action == "approval"
    assert not grown.covered_by_approval


def test_increase_of_confirmed_order_judged_on_increase_against_total_approval():
    p = profile(policy="block", limit=1000)
    # 900 already in the exposure (the order itself), +200 goes over
    d = credit.evaluate(p, 900, 200, order_total=1100)
    assert d.action == "block"
    assert d.exposure_after == 1100
    # approved up to 1200: the grown total is still covered
    assert credit.evaluate(p, 900, 200, approved_amount=1200, order_total=1100).passed


def test_negative_order_amount_counts_as_zero():
    assert credit.evaluate(profile(limit=100), 100, -50).passed


def test_invalid_profiles_rejected():
    with pytest.raises(ValueError):
        credit.CreditProfile(policy="maybe")
    with pytest.raises(ValueError):
        credit.CreditProfile(limit=-1)


@pytest.mark.parametrize(
    "limit,exposure,threshold,expected",
    [
        (0, 10**6, 80, "none"),
        (1000, 0, 80, "none"),
        (1000, 799.99, 80, "none"),
        (1000, 800, 80, "near"),
        (1000, 1000, 80, "near"),
        (1000, 1000.01, 80, "over"),
        (1000, 900, 0, "none"),  # threshold 0: only "over" alerts
        (1000, 1500, 0, "over"),
    ],
)
def test_alert_level(limit, exposure, threshold, expected):
    assert credit.alert_level(limit, exposure, threshold) == expected


def test_level_rises():
    assert credit.level_rises(None, "near")
    assert credit.level_rises("near", "over")
    assert not credit.level_rises("over", "over")
    assert not credit.level_rises("over", "near")
    assert not credit.level_rises("none", "none")


def test_overdue_days():
    today = date(2026, 3, 31)
    assert credit.overdue_days(today, None) == 0
    assert credit.overdue_days(today, date(2026, 3, 31)) == 0
    assert credit.overdue_days(today, date(2026, 4, 2)) == 0
    assert credit.overdue_days(today, date(2026, 3, 1)) == 30
