"""Plain-Python tests of the portal's input validation (no Odoo needed)."""

from datetime import date

import pytest

from conftest import load_engine

validation = load_engine("otc_portal", "validation")
InputError = validation.InputError
TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("text", "rounding", "units"),
    [
        ("1234.5", 0.01, 123450),
        ("1234.50", 0.01, 123450),
        ("0.01", 0.01, 1),
        ("12,5", 0.01, 1250),
        (".5", 0.01, 50),
        ("7.", 0.01, 700),
        ("-3", 0.01, -300),
        ("  42 ", 0.01, 4200),
        ("0", 0.01, 0),
        ("1.05", 0.05, 21),
        ("15", 1.0, 15),
        ("1.000", 0.001, 1000),
    ],
)
def test_parse_amount(text, rounding, units):
    assert validation.parse_amount(text, rounding) == units


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "amount_missing"),
        (None, "amount_missing"),
        ("abc", "amount_invalid"),
        ("1e3", "amount_invalid"),
        ("nan", "amount_invalid"),
        ("inf", "amount_invalid"),
        ("1,234.50", "amount_invalid"),
        ("1 234", "amount_invalid"),
        ("--1", "amount_invalid"),
        (".", "amount_invalid"),
        ("0x10", "amount_invalid"),
        ("1.001", "amount_precision"),
        ("1.07", "amount_precision"),  # with a rounding of 0.05
    ],
)
def test_parse_amount_refused(text, code):
    rounding = 0.05 if text == "1.07" else 0.01
    with pytest.raises(InputError) as err:
        validation.parse_amount(text, rounding)
    assert err.value.code == code


def test_units_round_trip():
    assert validation.to_units(2.675, 0.01) == 268
    assert validation.to_units(1234.5, 0.01) == 123450
    assert validation.to_units(1.05, 0.05) == 21
    assert validation.from_units(123450, 0.01) == 1234.5
    assert validation.from_units(21, 0.05) == 1.05
    assert validation.from_units(-1, 0.01) == -0.01
    assert validation.decimals(0.01) == 2
    assert validation.decimals(1.0) == 0


@pytest.mark.parametrize("text", ["2026-03-10", " 2026-12-31 "])
def test_parse_date(text):
    assert validation.parse_date(text) == date.fromisoformat(text.strip())


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "date_missing"),
        (None, "date_missing"),
        ("10/03/2026", "date_invalid"),
        ("2026-02-30", "date_invalid"),
        ("2026-3-1", "date_invalid"),
        ("tomorrow", "date_invalid"),
    ],
)
def test_parse_date_refused(text, code):
    with pytest.raises(InputError) as err:
        validation.parse_date(text)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("text", "value"), [("1", 1), ("42", 42), (" 7 ", 7), (15, 15)]
)
def test_parse_id(text, value):
    assert validation.parse_id(text) == value


@pytest.mark.parametrize(
    "text", ["", "0", "-1", "1.5", "abc", "99999999999", None, True, "1 OR 1=1"]
)
def test_parse_id_refused(text):
    with pytest.raises(InputError) as err:
        validation.parse_id(text)
    assert err.value.code == "id_invalid"


def test_promise_within_horizon():
    validation.check_promise(TODAY, TODAY, 30, 100, 100)
    validation.check_promise(TODAY, date(2026, 4, 9), 30, 1, 100)


@pytest.mark.parametrize(
    ("promise_date", "amount", "due", "code"),
    [
        (date(2026, 3, 9), 100, 100, "date_past"),
        (date(2026, 4, 10), 100, 100, "date_beyond_horizon"),
        (date(2026, 3, 20), 0, 100, "amount_not_positive"),
        (date(2026, 3, 20), -5, 100, "amount_not_positive"),
        (date(2026, 3, 20), 101, 100, "amount_over_due"),
    ],
)
def test_promise_refused(promise_date, amount, due, code):
    with pytest.raises(InputError) as err:
        validation.check_promise(TODAY, promise_date, 30, amount, due)
    assert err.value.code == code


def test_promise_horizon_in_message():
    with pytest.raises(InputError) as err:
        validation.check_promise(TODAY, date(2026, 5, 1), 14, 1, 1)
    assert err.value.params["latest"] == date(2026, 3, 24)
    assert err.value.params["days"] == 14


def test_dispute():
    validation.check_dispute(100, 100)
    validation.check_dispute(40, 100, 60)
    for amount, residual, disputed, code in [
        (0, 100, 0, "amount_not_positive"),
        (-1, 100, 0, "amount_not_positive"),
        (101, 100, 0, "amount_over_disputable"),
        (41, 100, 60, "amount_over_disputable"),
        (1, 100, 100, "already_disputed"),
    ]:
        with pytest.raises(InputError) as err:
            validation.check_dispute(amount, residual, disputed)
        assert err.value.code == code


def test_period():
    validation.check_period(date(2026, 1, 1), TODAY, TODAY)
    validation.check_period(TODAY, TODAY, TODAY)
    for date_from, date_to, code in [
        (date(2026, 3, 2), date(2026, 3, 1), "period_reversed"),
        (date(2026, 3, 1), date(2026, 3, 11), "period_future"),
        (date(2010, 1, 1), TODAY, "period_too_long"),
    ]:
        with pytest.raises(InputError) as err:
            validation.check_period(date_from, date_to, TODAY)
        assert err.value.code == code
