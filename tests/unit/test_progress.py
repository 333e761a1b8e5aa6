"""Unit and property tests of the status engine (models/progress.py)."""

import dataclasses
import statistics
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.progress import (
    FORECAST_HORIZON_MONTHS,
    FRESHNESS,
    FRESHNESS_LABELS,
    STATUS_LABELS,
    STATUS_RANK,
    STATUSES,
    MeasureSpec,
    add_months,
    evaluate,
    expected_value,
    format_month,
    format_value,
    freshness,
    goal_status,
    last_complete_month,
    month_start,
    months_between,
    pace_forecast,
    pace_sentence,
    performance_ratio,
    progress,
    reason,
    status,
)

JAN_2026 = date(2026, 1, 1)
JUN_2026 = date(2026, 6, 1)
NOV_2026 = date(2026, 11, 1)


def spec(**changes) -> MeasureSpec:
    """A linear increase measure from 0 (January 2026) to 1,000 (November 2026): 100 a month, 500 by June."""
    fields = {
        "name": "Homes repaired through Restore Louisiana",
        "unit": "count",
        "decimals": 0,
        "direction": "increase",
        "trajectory": "linear",
        "baseline_value": 0.0,
        "baseline_period": JAN_2026,
        "target_value": 1000.0,
        "target_period": NOV_2026,
    }
    return MeasureSpec(**(fields | changes))


def mirrored(s: MeasureSpec) -> MeasureSpec:
    """The same measure upside down: every value negated and the direction flipped."""
    return dataclasses.replace(
        s,
        direction="decrease" if s.direction == "increase" else "increase",
        baseline_value=-s.baseline_value,
        target_value=-s.target_value,
        milestones=tuple((p, -v) for p, v in s.milestones),
    )


# --- constants and months ---------------------------------------------------------------------------------------


def test_labels_cover_every_status_and_freshness():
    assert set(STATUS_LABELS) == set(STATUSES)
    assert set(FRESHNESS_LABELS) == set(FRESHNESS)
    assert set(STATUS_RANK) == set(STATUSES) - {"no_data"}


def test_month_arithmetic():
    assert month_start(date(2026, 6, 17)) == JUN_2026
    assert add_months(date(2026, 11, 20), 3) == date(2027, 2, 1)
    assert add_months(JAN_2026, -1) == date(2025, 12, 1)
    assert add_months(JUN_2026, 0) == JUN_2026
    assert months_between(date(2025, 11, 30), date(2026, 2, 1)) == 3
    assert months_between(JUN_2026, JAN_2026) == -5
    assert last_complete_month(date(2026, 1, 3)) == date(2025, 12, 1)
    assert format_month(JUN_2026) == "June 2026"


def test_spec_sorts_milestones_and_rejects_nonsense():
    a = spec(trajectory="milestones", milestones=((date(2026, 8, 1), 700.0), (date(2026, 3, 1), 100.0)))
    b = spec(trajectory="milestones", milestones=((date(2026, 3, 1), 100.0), (date(2026, 8, 1), 700.0)))
    assert a.milestones == ((date(2026, 3, 1), 100.0), (date(2026, 8, 1), 700.0))
    assert a == b
    with pytest.raises(ValueError, match="direction"):
        spec(direction="up")
    with pytest.raises(ValueError, match="trajectory"):
        spec(trajectory="curve")
    with pytest.raises(ValueError, match="tolerance"):
        spec(on_track_tolerance=0.2, at_risk_tolerance=0.1)
    with pytest.raises(ValueError, match="one milestone per month"):
        spec(trajectory="milestones", milestones=((date(2026, 3, 1), 1.0), (date(2026, 3, 15), 2.0)))


# --- expected value ---------------------------------------------------------------------------------------------


def test_expected_linear_interpolates_by_whole_months():
    s = spec()
    assert expected_value(s, JAN_2026) == 0
    assert expected_value(s, date(2026, 2, 1)) == pytest.approx(100)
    assert expected_value(s, date(2026, 6, 20)) == pytest.approx(500)
    assert expected_value(s, NOV_2026) == 1000


def test_expected_linear_clamps_outside_the_plan():
    s = spec(baseline_value=200.0)
    assert expected_value(s, date(2025, 3, 1)) == 200
    assert expected_value(s, date(2030, 3, 1)) == 1000


def test_expected_linear_decrease():
    s = spec(direction="decrease", baseline_value=4600.0, target_value=0.0, target_period=date(2026, 11, 1))
    assert expected_value(s, JUN_2026) == pytest.approx(2300)


def test_expected_plan_without_months_expects_the_target():
    s = spec(target_period=JAN_2026)
    assert expected_value(s, JAN_2026) == 1000
    assert expected_value(s, date(2025, 12, 1)) == 0


def test_expected_milestones_piecewise_through_baseline_and_target():
    # 0 (Jan) -> 100 (Mar) -> 700 (Aug) -> 1,000 (Nov), milestones given out of order.
    s = spec(trajectory="milestones", milestones=((date(2026, 8, 1), 700.0), (date(2026, 3, 1), 100.0)))
    assert expected_value(s, date(2026, 2, 1)) == pytest.approx(50)
    assert expected_value(s, date(2026, 3, 1)) == pytest.approx(100)
    assert expected_value(s, JUN_2026) == pytest.approx(100 + 600 * 3 / 5)
    assert expected_value(s, date(2026, 8, 1)) == pytest.approx(700)
    assert expected_value(s, date(2026, 10, 1)) == pytest.approx(900)
    assert expected_value(s, date(2025, 6, 1)) == 0
    assert expected_value(s, date(2027, 6, 1)) == 1000


def test_expected_milestones_outside_the_plan_are_ignored():
    s = spec(trajectory="milestones", milestones=((date(2025, 6, 1), 500.0), (date(2027, 6, 1), 5.0)))
    assert expected_value(s, JUN_2026) == pytest.approx(500)


def test_expected_baseline_and_target_win_over_milestones_in_their_months():
    s = spec(trajectory="milestones", milestones=((JAN_2026, 300.0), (NOV_2026, 2000.0)))
    assert expected_value(s, JUN_2026) == pytest.approx(500)


def test_expected_linear_ignores_milestones():
    s = spec(milestones=((date(2026, 3, 1), 900.0),))
    assert expected_value(s, date(2026, 3, 1)) == pytest.approx(200)


def test_expected_constant_is_the_target_every_month():
    s = spec(trajectory="constant", target_value=70.0)
    assert expected_value(s, date(2017, 1, 1)) == 70
    assert expected_value(s, date(2040, 1, 1)) == 70


# --- progress and ratio -----------------------------------------------------------------------------------------


def test_progress_increase_and_clamping():
    s = spec(baseline_value=200.0)
    assert progress(s, 600) == pytest.approx(0.5)
    assert progress(s, 100) == 0.0
    assert progress(s, 1500) == 1.0


def test_progress_decrease_uses_the_same_formula():
    s = spec(direction="decrease", baseline_value=4600.0, target_value=0.0)
    assert progress(s, 1150) == pytest.approx(0.75)
    assert progress(s, 5000) == 0.0
    assert progress(s, -10) == 1.0


def test_progress_undefined_when_target_equals_baseline():
    assert progress(spec(target_value=0.0), 10) is None


def test_progress_constant():
    at_least = spec(trajectory="constant", unit="percent", target_value=70.0)
    assert progress(at_least, 35) == pytest.approx(0.5)
    assert progress(at_least, 84) == 1.0
    assert progress(dataclasses.replace(at_least, target_value=0.0), 5) is None
    at_most = spec(trajectory="constant", unit="days", direction="decrease", target_value=30.0)
    assert progress(at_most, 60) == pytest.approx(0.5)
    assert progress(at_most, 20) == 1.0
    assert progress(at_most, 0) == 1.0


def test_ratio_linear_and_milestones():
    assert performance_ratio(spec(), 400, JUN_2026) == pytest.approx(0.8)
    assert performance_ratio(spec(), 600, JUN_2026) == pytest.approx(1.2)
    m = spec(trajectory="milestones", milestones=((date(2026, 3, 1), 100.0),))
    assert performance_ratio(m, 50, date(2026, 3, 1)) == pytest.approx(0.5)


def test_ratio_is_one_when_no_change_was_expected_yet():
    assert performance_ratio(spec(), 0, JAN_2026) == 1.0
    assert performance_ratio(spec(), -40, date(2025, 6, 1)) == 1.0
    flat_start = spec(trajectory="milestones", milestones=((date(2026, 4, 1), 0.0),))
    assert performance_ratio(flat_start, 0, date(2026, 3, 1)) == 1.0


def test_ratio_constant_is_unclamped():
    assert performance_ratio(spec(trajectory="constant", target_value=70.0), 84, JUN_2026) == pytest.approx(1.2)
    at_most = spec(trajectory="constant", direction="decrease", target_value=30.0)
    assert performance_ratio(at_most, 20, JUN_2026) == pytest.approx(1.5)
    assert performance_ratio(at_most, 0, JUN_2026) is None


# --- status -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(1000, "achieved"), (999, "on_track"), (500, "on_track"), (475, "on_track"), (474.9, "at_risk"),
     (425, "at_risk"), (424.9, "off_track"), (0, "off_track")],
)  # fmt: skip
def test_status_bands_at_default_tolerances(actual, expected):
    # June 2026 expects 500: on track from 95% of it (475), at risk from 85% (425).
    assert status(spec(), actual, JUN_2026) == expected


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(450, "on_track"), (449.9, "at_risk"), (350, "at_risk"), (349.9, "off_track")],
)
def test_status_bands_at_custom_tolerances(actual, expected):
    s = spec(on_track_tolerance=0.10, at_risk_tolerance=0.30)
    assert status(s, actual, JUN_2026) == expected


@pytest.mark.parametrize(
    ("actual", "expected"),
    [(0, "achieved"), (-5, "achieved"), (1, "on_track"), (2415, "on_track"), (2416, "at_risk"),
     (2645, "at_risk"), (2646, "off_track")],
)  # fmt: skip
def test_status_bands_decrease(actual, expected):
    # 4,600 down to 0 by November: June expects 2,300, i.e. a drop of 2,300; 95% of it leaves 2,415, 85% leaves 2,645.
    s = spec(direction="decrease", baseline_value=4600.0, target_value=0.0)
    assert status(s, actual, JUN_2026) == expected


def test_status_no_data():
    assert status(spec(), None, JUN_2026) == "no_data"


def test_status_achieved_whenever_the_final_target_is_met():
    assert status(spec(), 1000, JAN_2026) == "achieved"
    assert status(spec(), 1200, date(2027, 6, 1)) == "achieved"
    assert status(spec(), 999, date(2027, 6, 1)) == "on_track"
    assert status(spec(), 900, date(2027, 6, 1)) == "at_risk"


def test_status_nothing_expected_yet_is_on_track():
    assert status(spec(), 0, JAN_2026) == "on_track"


def test_status_constant_increase_is_never_achieved():
    s = spec(trajectory="constant", unit="percent", decimals=1, target_value=70.0)
    assert status(s, 90, JUN_2026) == "on_track"
    assert status(s, 66.5, JUN_2026) == "on_track"
    assert status(s, 66.4, JUN_2026) == "at_risk"
    assert status(s, 59.5, JUN_2026) == "at_risk"
    assert status(s, 59.4, JUN_2026) == "off_track"


def test_status_constant_decrease_uses_target_over_actual():
    s = spec(trajectory="constant", unit="days", direction="decrease", target_value=30.0)
    assert status(s, 10, JUN_2026) == "on_track"
    assert status(s, 0, JUN_2026) == "on_track"
    assert status(s, 31.5, JUN_2026) == "on_track"  # 30 / 31.5 = 0.952
    assert status(s, 32, JUN_2026) == "at_risk"  # 0.9375
    assert status(s, 36, JUN_2026) == "off_track"  # 0.833


def test_status_constant_without_a_meaningful_ratio_is_met_or_not():
    s = spec(trajectory="constant", target_value=0.0)
    assert status(s, 0, JUN_2026) == "on_track"
    assert status(s, -1, JUN_2026) == "off_track"


# --- freshness --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latest", "today", "expected"),
    [
        (date(2026, 6, 1), date(2026, 7, 3), "current"),
        (date(2026, 7, 1), date(2026, 7, 3), "current"),
        (date(2026, 5, 1), date(2026, 7, 1), "due"),
        (date(2026, 5, 1), date(2026, 7, 15), "due"),
        (date(2026, 5, 1), date(2026, 7, 16), "overdue"),
        (date(2026, 4, 1), date(2026, 7, 2), "overdue"),
        (date(2026, 11, 1), date(2027, 1, 15), "due"),
        (date(2026, 11, 1), date(2027, 1, 16), "overdue"),
        (date(2026, 12, 1), date(2027, 1, 31), "current"),
        (None, date(2027, 1, 15), "due"),
        (None, date(2027, 1, 16), "overdue"),
    ],
)
def test_freshness_around_the_due_day(latest, today, expected):
    assert freshness(latest, today) == expected


def test_freshness_custom_due_day_and_short_months():
    assert freshness(date(2026, 5, 1), date(2026, 7, 16), due_day=20) == "due"
    assert freshness(date(2026, 5, 1), date(2026, 7, 21), due_day=20) == "overdue"
    # Due on "the 31st" of February is its last day.
    assert freshness(date(2025, 12, 1), date(2026, 2, 28), due_day=31) == "due"
    assert freshness(date(2025, 12, 1), date(2026, 3, 1), due_day=31) == "overdue"
    with pytest.raises(ValueError):
        freshness(None, JUN_2026, due_day=0)


# --- formatting -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [
        (12430, "count", 0, "12,430"),
        (12430.44, "households", 1, "12,430.4"),
        (-0.3, "count", 0, "0"),
        (62.5, "percent", 1, "62.5%"),
        (70, "percent", 0, "70%"),
        (45, "days", 0, "45 days"),
        (1, "days", 0, "1 day"),
        (4.5, "days", 1, "4.5 days"),
        (45210.5, "usd", 2, "$45,210.50"),
        (999_999, "usd", 0, "$999,999"),
        (1_200_000, "usd", 0, "$1.2M"),
        (280_000_000, "usd", 0, "$280.0M"),
        (999_960_000, "usd", 0, "$1.00B"),
        (1_010_631_323, "usd", 0, "$1.01B"),
        (-1_500_000, "usd", 0, "-$1.5M"),
        (-250, "usd", 0, "-$250"),
    ],
)
def test_format_value(value, unit, decimals, text):
    assert format_value(value, unit, decimals) == text


# --- reason -----------------------------------------------------------------------------------------------------


def homes() -> MeasureSpec:
    """The DESIGN.md example: 20,000 homes, 70% of the way expected by June 2026."""
    # 100 months from August 2020 to December 2028; June 2026 is month 70.
    return spec(target_value=20000.0, baseline_period=date(2020, 8, 1), target_period=date(2028, 12, 1))


def test_reason_behind():
    text = reason(homes(), 12430, JUN_2026)
    assert text.startswith("Homes repaired through Restore Louisiana: 12,430")
    assert "62% of the way" in text
    assert "20,000" in text
    assert "14,000 was expected by June 2026" in text
    assert "about 1,600 behind." in text


def test_reason_never_rounds_a_missed_target_up_to_the_whole_way():
    assert "(99% of the way)" in reason(homes(), 19950, JUN_2026)


def test_reason_behind_but_within_tolerance_says_on_track():
    text = reason(homes(), 13700, JUN_2026)
    assert "about 300 behind, which still counts as on track." in text
    assert "still counts" not in reason(homes(), 12430, JUN_2026)


def test_reason_ahead_and_on_schedule():
    assert "about 2,000 ahead." in reason(homes(), 16000, JUN_2026)
    assert "right on schedule." in reason(homes(), 14000, JUN_2026)


def test_reason_achieved():
    text = reason(homes(), 20412, date(2026, 3, 1))
    assert "20,412" in text
    assert "20,412 in March 2026, so the target of 20,000 is met, ahead of the December 2028 target date." in text
    assert "ahead of" not in reason(homes(), 20412, date(2029, 2, 1))


def test_reason_past_the_target_date():
    text = reason(homes(), 19000, date(2029, 2, 1))
    assert "The target was due by December 2028, and this is about 1,000 short." in text


def test_reason_no_data():
    assert reason(homes(), None, None) == "No value reported yet."
    assert reason(homes(), None, JUN_2026) == "No value reported yet."
    with pytest.raises(ValueError):
        reason(homes(), 5, None)


def test_reason_decrease():
    s = spec(name="Households in FEMA manufactured housing units", unit="households", direction="decrease",
             baseline_value=4600.0, target_value=0.0)  # fmt: skip
    text = reason(s, 1150, JUN_2026)
    assert "down from 4,600 toward 0 (75% of the way)" in text
    assert "2,300 was expected by June 2026" in text
    assert "about 1,200 ahead." in text
    worse = reason(s, 4700, JUN_2026)
    assert "up from 4,600, away from the target of 0" in worse
    assert "behind" in worse
    assert "0 in June 2026, so the target of 0 is met" in reason(s, 0, JUN_2026)


def test_reason_decrease_days():
    s = spec(name="Median days to issue a rebuild permit", unit="days", direction="decrease", baseline_value=45.0,
             target_value=15.0)  # fmt: skip
    text = reason(s, 33, JUN_2026)
    assert "33 days, down from 45 days toward 15 days (40% of the way)" in text
    assert "about 3 days behind." in text


def test_reason_percent_gives_the_expected_level_and_points():
    s = spec(name="Share of applicants with a signed grant", unit="percent", decimals=1, baseline_value=40.0,
             target_value=60.0)  # fmt: skip
    text = reason(s, 45.0, JUN_2026)
    assert "50.0% was expected by June 2026" in text
    assert "about 5.0 percentage points behind." in text


def test_reason_nothing_expected_yet():
    assert "No change was expected by January 2026" in reason(spec(), 20, JAN_2026)


def test_reason_constant_both_directions():
    share = spec(name="Share of CDBG-DR funds benefiting low- and moderate-income residents", unit="percent",
                 decimals=1, trajectory="constant", target_value=70.0)  # fmt: skip
    met = reason(share, 72.4, JUN_2026)
    assert met.startswith("Share of CDBG-DR funds benefiting low- and moderate-income residents: 72.4%")
    assert "72.4% in June 2026 against a target of at least 70.0%, so the target is met." in met
    assert "about 5.0 percentage points short." in reason(share, 65.0, JUN_2026)
    permits = spec(name="Median days to issue a rebuild permit", unit="days", trajectory="constant",
                   direction="decrease", target_value=30.0)  # fmt: skip
    assert "against a target of at most 30 days, so the target is met." in reason(permits, 21, JUN_2026)
    assert "about 6 days short." in reason(permits, 36, JUN_2026)


def test_reason_usd():
    s = spec(name="CDBG-DR funds disbursed", unit="usd", target_value=1.2e9)
    text = reason(s, 480e6, JUN_2026)
    assert "$480.0M, up from $0 toward $1.20B (40% of the way)" in text
    assert "about $120.0M behind." in text


# --- forecast ---------------------------------------------------------------------------------------------------


def series(start: date, values: list[float]) -> list[tuple[date, float]]:
    """Monthly values from start on."""
    return [(add_months(start, i), v) for i, v in enumerate(values)]


def test_forecast_reach_month():
    # Up 100 a month to 500 in June 2026; 1,000 is five months later, November 2026, the target month.
    f = pace_forecast(spec(), series(JAN_2026, [0, 100, 200, 300, 400, 500]))
    assert f.slope_per_month == pytest.approx(100)
    assert f.reach_period == NOV_2026
    assert f.on_pace
    assert f.text == "At this pace the target is reached by November 2026."


def test_forecast_uses_the_last_six_values_in_period_order():
    # An early jump outside the window must not count; the input order must not matter.
    history = series(date(2025, 10, 1), [0, 0, 0, 400, 450, 500, 550, 600, 650])
    f = pace_forecast(spec(), list(reversed(history)))
    assert f.slope_per_month == pytest.approx(50)
    assert f.reach_period == date(2027, 1, 1)


def test_forecast_rounds_the_reach_month_up():
    f = pace_forecast(spec(), series(JAN_2026, [0, 300, 600, 900]))
    assert f.reach_period == date(2026, 5, 1)


def test_forecast_too_late():
    f = pace_forecast(spec(), series(JAN_2026, [0, 10, 20, 30]))
    assert not f.on_pace
    assert f.reach_period == add_months(date(2026, 4, 1), 97)
    assert f.text.startswith("Not on pace to reach the target by November 2026")


@pytest.mark.parametrize("values", [[500, 400, 300], [500, 500, 500]])
def test_forecast_wrong_way_or_flat(values):
    f = pace_forecast(spec(), series(JAN_2026, values))
    assert not f.on_pace
    assert f.reach_period is None
    assert f.text == "Not on pace to reach the target by November 2026."


def test_forecast_decrease():
    s = spec(direction="decrease", baseline_value=4600.0, target_value=0.0)
    f = pace_forecast(s, series(JAN_2026, [4600, 4000, 3400]))
    assert f.slope_per_month == pytest.approx(-600)
    assert f.reach_period == date(2026, 9, 1)
    assert f.on_pace
    assert pace_forecast(s, series(JAN_2026, [4600, 4700])).reach_period is None


def test_forecast_target_already_met():
    f = pace_forecast(spec(), series(JAN_2026, [900, 1000, 1100]))
    assert f.on_pace
    assert f.reach_period == date(2026, 3, 1)
    assert "already been met" in f.text


def test_forecast_beyond_the_horizon_is_not_on_pace():
    f = pace_forecast(spec(target_value=1e9), series(JAN_2026, [0, 1]))
    assert not f.on_pace
    assert f.reach_period is None


@pytest.mark.parametrize("values", [[], [500]])
def test_forecast_needs_two_points(values):
    f = pace_forecast(spec(), series(JAN_2026, values))
    assert f.slope_per_month is None
    assert f.reach_period is None
    assert not f.on_pace
    assert f.text == "Not enough data for a forecast."


def test_forecast_none_for_constant():
    assert pace_forecast(spec(trajectory="constant"), series(JAN_2026, [1, 2, 3])) is None


# --- evaluate ---------------------------------------------------------------------------------------------------


def test_evaluate_uses_the_latest_value_of_an_unsorted_history():
    history = [(JUN_2026, 500.0), (date(2026, 4, 1), 250.0), (date(2026, 5, 1), 380.0)]
    e = evaluate(spec(), history, today=date(2026, 7, 20))
    assert e.latest_period == JUN_2026
    assert e.latest_value == 500
    assert e.status == "on_track"
    assert e.freshness == "current"
    assert e.progress == pytest.approx(0.5)
    assert e.ratio == pytest.approx(1.0)
    assert e.expected == pytest.approx(500)
    assert e.reason == reason(spec(), 500, JUN_2026)
    assert e.forecast == pace_forecast(spec(), history)


def test_evaluate_without_data():
    e = evaluate(spec(), [], today=date(2026, 7, 20))
    assert e.status == "no_data"
    assert e.freshness == "overdue"
    assert e.reason == "No value reported yet."
    assert (e.progress, e.ratio, e.expected, e.latest_period, e.latest_value) == (None,) * 5
    assert e.forecast.text == "Not enough data for a forecast."


def test_evaluate_passes_the_due_day_on():
    history = [(date(2026, 5, 1), 400.0)]
    assert evaluate(spec(), history, today=date(2026, 7, 18)).freshness == "overdue"
    assert evaluate(spec(), history, today=date(2026, 7, 18), due_day=20).freshness == "due"


# --- properties -------------------------------------------------------------------------------------------------

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
month_indices = st.integers(min_value=2016 * 12, max_value=2032 * 12)
periods = month_indices.map(lambda i: date(i // 12, i % 12 + 1, 1))


@st.composite
def tolerances(draw) -> tuple[float, float]:
    """An on-track and an at-risk tolerance, on_track <= at_risk."""
    on_track = draw(st.floats(min_value=0, max_value=0.5))
    return on_track, draw(st.floats(min_value=on_track, max_value=1))


@st.composite
def plans(draw, increasing: bool = False, trajectories=("linear", "milestones")) -> MeasureSpec:
    """A measure; with increasing=True a well-formed increase one (target and milestones at or above baseline)."""
    start = draw(st.integers(min_value=2016 * 12, max_value=2026 * 12))
    end = start + draw(st.integers(min_value=1, max_value=120))
    baseline = draw(values)
    above = st.floats(min_value=baseline, max_value=baseline + 1e6, allow_nan=False)
    target = draw(above if increasing else values)
    trajectory = draw(st.sampled_from(trajectories))
    milestones = ()
    if trajectory == "milestones" and end - start > 1:
        months = draw(st.lists(st.integers(start + 1, end - 1), unique=True, max_size=4))
        milestones = tuple((date(m // 12, m % 12 + 1, 1), draw(above if increasing else values)) for m in months)
    on_track, at_risk = draw(tolerances())
    return MeasureSpec(
        name="Measure", unit="count", decimals=0, direction=draw(st.sampled_from(["increase", "decrease"])),
        trajectory=trajectory, baseline_value=baseline, baseline_period=date(start // 12, start % 12 + 1, 1),
        target_value=target, target_period=date(end // 12, end % 12 + 1, 1), milestones=milestones,
        on_track_tolerance=on_track, at_risk_tolerance=at_risk,
    )  # fmt: skip


@settings(deadline=None)
@given(plans(), values, periods)
def test_property_decrease_mirrors_increase(s, actual, period):
    m = mirrored(s)
    assert status(m, -actual, period) == status(s, actual, period)
    assert progress(m, -actual) == progress(s, actual)
    assert performance_ratio(m, -actual, period) == performance_ratio(s, actual, period)
    assert expected_value(m, period) == -expected_value(s, period)


@settings(deadline=None)
@given(plans(trajectories=("constant",)), values, values, periods)
def test_property_constant_decrease_mirrors_increase(s, target, actual, period):
    # For a per-month rate the mirror swaps the roles: "actual at least target" is "target at most actual".
    up = dataclasses.replace(s, direction="increase", target_value=target)
    down = dataclasses.replace(s, direction="decrease", target_value=actual)
    assert status(down, target, period) == status(up, actual, period)
    assert performance_ratio(down, target, period) == performance_ratio(up, actual, period)


@settings(deadline=None)
@given(
    st.one_of(plans(increasing=True), plans(trajectories=("constant",))), values, values, periods, st.booleans()
)
def test_property_a_better_value_never_worsens_status(s, a, b, period, flip):
    s = dataclasses.replace(s, direction="increase")
    if flip and s.trajectory != "constant":
        s = mirrored(s)
    elif flip:
        s = dataclasses.replace(s, direction="decrease")
    low, high = sorted((a, b))
    low_rank, high_rank = STATUS_RANK[status(s, low, period)], STATUS_RANK[status(s, high, period)]
    if s.direction == "increase":
        assert high_rank >= low_rank
    else:
        assert high_rank <= low_rank


@settings(deadline=None)
@given(
    plans(trajectories=("linear", "milestones", "constant")),
    st.floats(allow_nan=False, allow_infinity=False),
)
def test_property_progress_in_unit_interval(s, actual):
    p = progress(s, actual)
    assert p is None or 0 <= p <= 1


@settings(deadline=None)
@given(plans(trajectories=("linear",)), periods)
def test_property_linear_expected_between_baseline_and_target(s, period):
    low, high = sorted((s.baseline_value, s.target_value))
    assert low <= expected_value(s, period) <= high


@settings(deadline=None)
@given(st.one_of(st.none(), periods), periods, st.integers(min_value=0, max_value=400), st.integers(1, 28))
def test_property_freshness_never_improves_with_time(latest, today, days_later, due_day):
    rank = {"current": 0, "due": 1, "overdue": 2}
    later = date.fromordinal(today.toordinal() + days_later)
    assert rank[freshness(latest, later, due_day)] >= rank[freshness(latest, today, due_day)]


@st.composite
def histories(draw) -> list[tuple[date, float]]:
    """Two to eight values in distinct months, in any order."""
    months = draw(st.lists(st.integers(2020 * 12, 2026 * 12), min_size=2, max_size=8, unique=True))
    amounts = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
    return [(date(m // 12, m % 12 + 1, 1), draw(amounts)) for m in months]


@settings(deadline=None)
@given(histories(), st.floats(min_value=-1e5, max_value=1e5, allow_nan=False), periods)
def test_property_forecast_follows_the_slope(history, target, target_period):
    s = spec(trajectory="linear", target_value=target, target_period=target_period)
    window = sorted(history)[-6:]
    latest_period, latest = window[-1]
    assume(latest < target)
    f = pace_forecast(s, history)
    xs = [months_between(window[0][0], p) for p, _ in window]
    oracle = statistics.linear_regression(xs, [v for _, v in window]).slope
    assert f.slope_per_month == pytest.approx(oracle, rel=1e-9, abs=1e-9)
    if f.slope_per_month <= 0:
        assert not f.on_pace
        assert f.reach_period is None
        return
    needed = (target - latest) / f.slope_per_month
    if needed > FORECAST_HORIZON_MONTHS:
        assert f.reach_period is None and not f.on_pace
        return
    months = months_between(latest_period, f.reach_period)
    scale = 1e-9 * max(1.0, abs(target))
    assert months >= 1
    assert latest + f.slope_per_month * months >= target - scale
    # The reach month is the first one that gets there, not merely one that does.
    assert months == 1 or latest + f.slope_per_month * (months - 1) < target + scale
    assert f.on_pace == (f.reach_period <= target_period)


@settings(deadline=None)
@given(histories(), st.floats(min_value=-1e5, max_value=1e5, allow_nan=False), periods)
def test_property_forecast_mirrors_for_decrease(history, target, target_period):
    up = spec(target_value=target, target_period=target_period)
    down = mirrored(up)
    f_up = pace_forecast(up, history)
    f_down = pace_forecast(down, [(p, -v) for p, v in history])
    assert (f_down.reach_period, f_down.on_pace, f_down.text) == (f_up.reach_period, f_up.on_pace, f_up.text)
    assert f_down.slope_per_month == -f_up.slope_per_month



# --- one vocabulary: the status and the forecast sentence never contradict ------------------------------------


GOOD_NOW = "On track now, but"
BEHIND_NOW = "Behind plan now, but"


def contradiction(status_word: str, forecast_text: str | None, on_pace: bool | None) -> str | None:
    """Why a status and a forecast sentence contradict each other, or None when they agree."""
    if forecast_text is None:
        return None
    if status_word == "on_track" and not on_pace and not forecast_text.startswith(GOOD_NOW):
        return "on track, yet the forecast flatly says it is not on pace"
    if status_word in ("at_risk", "off_track") and on_pace and not forecast_text.startswith(BEHIND_NOW):
        return "behind plan, yet the forecast says all is well"
    if status_word == "achieved" and "already been met" not in forecast_text:
        return "achieved, yet the forecast speaks of reaching the target"
    if status_word == "on_track" and forecast_text.startswith("Not on pace"):
        return "on track next to 'Not on pace'"
    return None


def test_on_track_but_too_slow_says_both():
    # On plan in June (500 of 1,000), but the last months crawled: the target is reached only years late.
    e = evaluate(spec(), series(JAN_2026, [0, 480, 490, 495, 498, 500]), today=date(2026, 7, 20))
    assert e.status == "on_track"
    assert not e.forecast.on_pace
    assert e.forecast.text.startswith("On track now, but at the recent pace the target is reached in ")
    assert e.forecast.text.endswith("after November 2026.")
    assert contradiction(e.status, e.forecast.text, e.forecast.on_pace) is None


def test_on_track_but_flat_says_the_pace_would_not_get_there():
    flat = pace_forecast(spec(), series(JAN_2026, [500, 500, 500]))
    text = pace_sentence(spec(), "on_track", flat).text
    assert text == "On track now, but the recent pace would not reach the target by November 2026."


def test_behind_but_catching_up_says_both():
    catching_up = pace_forecast(spec(), series(JAN_2026, [0, 0, 0, 0, 300, 600]))
    assert catching_up.on_pace
    text = pace_sentence(spec(), "off_track", catching_up).text
    assert text.startswith("Behind plan now, but at the recent pace the target is reached by ")
    assert text.endswith("in time for the November 2026 target date.")


def test_behind_and_too_slow_names_how_late():
    slow = pace_forecast(spec(), series(JAN_2026, [0, 10, 20, 30]))
    text = pace_sentence(spec(), "off_track", slow).text
    assert text == f"Not on pace: at the recent pace the target is reached in {format_month(slow.reach_period)}, " \
                   f"{months_between(NOV_2026, slow.reach_period)} months after November 2026."


def test_expected_is_always_the_planned_level_in_the_measure_unit():
    # Count, percent, dollars and days all say the level the plan called for, never a share of the way.
    assert "500 was expected by June 2026" in reason(spec(), 300, JUN_2026)
    percent = spec(unit="percent", decimals=1, baseline_value=20.0, target_value=30.0)
    assert "25.0% was expected by June 2026" in reason(percent, 21.0, JUN_2026)
    dollars = spec(unit="usd", target_value=2e6)
    assert "$1.0M was expected by June 2026" in reason(dollars, 3e5, JUN_2026)
    days = spec(unit="days", direction="decrease", baseline_value=40.0, target_value=20.0)
    assert "30 days was expected by June 2026" in reason(days, 35, JUN_2026)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["on_track", "at_risk", "achieved"], "at_risk"),
        (["on_track", "off_track", "at_risk"], "off_track"),
        (["achieved", "achieved"], "achieved"),
        (["achieved", "on_track"], "on_track"),
        (["on_track", "no_data"], "on_track"),
        (["no_data", "no_data"], "no_data"),
        ([], "no_data"),
    ],
)
def test_goal_status_is_the_worst_of_its_measures_with_data(statuses, expected):
    assert goal_status(statuses) == expected


@settings(deadline=None, max_examples=300)
@given(plans(), histories(), st.integers(2020 * 12, 2031 * 12))
def test_property_status_and_forecast_never_contradict(s, history, today_index):
    today = date(today_index // 12, today_index % 12 + 1, 20)
    e = evaluate(s, history, today=today)
    f = e.forecast
    assert contradiction(e.status, f.text if f else None, f.on_pace if f else None) is None, (e.status, f)
