"""The status engine: where a measure stands, why, how fresh its data is, and where its pace leads.

Pure functions on numbers and dates (standard library only), so the executive view, the public page, the API and the
exports all judge a measure the same way. The rules are those of DESIGN.md, section "Status engine".
"""

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

STATUSES = ("achieved", "on_track", "at_risk", "off_track", "no_data")
FRESHNESS = ("current", "due", "overdue")
STATUS_LABELS = {
    "achieved": "Achieved",
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "no_data": "No data",
}
FRESHNESS_LABELS = {"current": "Up to date", "due": "Due", "overdue": "Overdue"}
# Worst to best, for sorting and comparing; no_data is not a judgement, so it has no rank.
STATUS_RANK = {"off_track": 0, "at_risk": 1, "on_track": 2, "achieved": 3}

DIRECTIONS = ("increase", "decrease")
# A measure within 5% of the change its plan expected is on track, within 15% at risk, unless it sets its own.
DEFAULT_ON_TRACK_TOLERANCE = 0.05
DEFAULT_AT_RISK_TOLERANCE = 0.15
TRAJECTORIES = ("linear", "milestones", "constant")

FORECAST_WINDOW = 6
# A pace that needs more than a century is no forecast worth printing (and would run past date.max).
FORECAST_HORIZON_MONTHS = 1200

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# Ratios are quotients of floats: without a little slack, a value at exactly 95% of plan could land one unit in the
# last place under the on-track line and flip a badge.
_EPS = 1e-9


@dataclass(frozen=True)
class MeasureSpec:
    """What the engine needs to know about a measure: its unit, direction, trajectory and targets."""

    name: str
    unit: str
    decimals: int
    direction: str
    trajectory: str
    baseline_value: float
    baseline_period: date
    target_value: float
    target_period: date
    milestones: tuple[tuple[date, float], ...] = ()
    on_track_tolerance: float = DEFAULT_ON_TRACK_TOLERANCE
    at_risk_tolerance: float = DEFAULT_AT_RISK_TOLERANCE

    def __post_init__(self) -> None:
        """Reject specs the rules cannot judge, and keep milestones sorted by period."""
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, not {self.direction!r}")
        if self.trajectory not in TRAJECTORIES:
            raise ValueError(f"trajectory must be one of {TRAJECTORIES}, not {self.trajectory!r}")
        if not 0 <= self.on_track_tolerance <= self.at_risk_tolerance:
            raise ValueError("tolerances must satisfy 0 <= on_track_tolerance <= at_risk_tolerance")
        if isinstance(self.milestones, (tuple, list)) and not self.milestones:
            # Most measures have none: skip the sorting (a spec is built for every measure on every page view).
            if self.milestones != ():
                object.__setattr__(self, "milestones", ())
            return
        milestones = tuple(sorted((period, float(value)) for period, value in self.milestones))
        if len({_index(period) for period, _ in milestones}) != len(milestones):
            raise ValueError("a measure can have at most one milestone per month")
        # The dataclass is frozen; sorting here makes equal specs compare equal whatever order the caller used.
        object.__setattr__(self, "milestones", milestones)


@dataclass(frozen=True)
class Forecast:
    """Where the recent pace leads: the monthly slope, the month the target is reached, and a sentence saying so."""

    slope_per_month: float | None
    reach_period: date | None
    on_pace: bool
    text: str


@dataclass(frozen=True)
class Evaluation:
    """Everything a badge needs for one measure: status, freshness, the numbers behind them and the reason."""

    status: str
    freshness: str
    progress: float | None
    ratio: float | None
    expected: float | None
    reason: str
    forecast: Forecast | None
    latest_period: date | None
    latest_value: float | None


# --- months -----------------------------------------------------------------------------------------------------


def _index(d: date) -> int:
    """Count months from year 0, so month arithmetic is integer arithmetic."""
    return d.year * 12 + d.month - 1


def month_start(d: date) -> date:
    """Return the first day of d's month."""
    return d.replace(day=1)


def add_months(d: date, n: int) -> date:
    """Return the first day of the month n months after d's month (n may be negative)."""
    index = _index(d) + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(a: date, b: date) -> int:
    """Return the whole months from a's month to b's month, positive when b is later."""
    return _index(b) - _index(a)


def last_complete_month(today: date) -> date:
    """Return the first day of the most recent month that has fully ended by today."""
    return add_months(today, -1)


def format_month(d: date) -> str:
    """Name a month the way the dashboard prints it, e.g. "June 2026"."""
    # Not strftime("%B"): that follows the server's locale, and the public page must not change language with it.
    return f"{_MONTH_NAMES[d.month - 1]} {d.year}"


# --- the rules --------------------------------------------------------------------------------------------------


def expected_value(spec: MeasureSpec, period: date) -> float:
    """Return the value the plan calls for at period (the target itself for constant measures)."""
    if spec.trajectory == "constant":
        return spec.target_value
    month = _index(period)
    start, end = _index(spec.baseline_period), _index(spec.target_period)
    # Checking the target first makes a plan with no months in it (target at or before baseline) expect the target.
    if month >= end:
        return spec.target_value
    if month <= start:
        return spec.baseline_value
    if spec.trajectory != "milestones" or not spec.milestones:
        # One segment from baseline to target: the general case below without building its list of points.
        baseline = spec.baseline_value
        return baseline + (spec.target_value - baseline) * ((month - start) / (end - start))
    # Milestones outside the plan's span cannot bend it; the baseline and final target stay the end points.
    interim = [(_index(p), v) for p, v in spec.milestones if start < _index(p) < end]
    points = [(start, spec.baseline_value), *interim, (end, spec.target_value)]
    (m0, v0), (m1, v1) = next(seg for seg in pairwise(points) if month <= seg[1][0])
    return v0 + (v1 - v0) * ((month - m0) / (m1 - m0))


def _met(spec: MeasureSpec, actual: float) -> bool:
    """Tell whether actual meets the final target in the measure's direction."""
    if spec.direction == "increase":
        return actual >= spec.target_value
    return actual <= spec.target_value


def _constant_ratio(spec: MeasureSpec, actual: float) -> float | None:
    """Return actual against a per-month target (target/actual for decrease), or None where that has no meaning."""
    # The quotient only measures "how much of the target" when both its terms are positive; a zero or negative one
    # would divide by zero or turn the comparison upside down (a tiny negative quotient could even pass as "at risk"
    # under a wide tolerance). Without it the value is judged simply met or not.
    numerator, denominator = (actual, spec.target_value) if spec.direction == "increase" else (spec.target_value, actual)
    return numerator / denominator if numerator > 0 and denominator > 0 else None


def _clamp(x: float) -> float:
    """Clamp x to [0, 1]."""
    return min(1.0, max(0.0, x))


def progress(spec: MeasureSpec, actual: float) -> float | None:
    """Return the share of the way from baseline to target, in [0, 1]; None when it is undefined."""
    if spec.trajectory == "constant":
        ratio = _constant_ratio(spec, actual)
        if ratio is not None:
            return _clamp(ratio)
        # "At most t" with nothing left (actual 0) is as met as a measure gets; "at least t" with nothing done yet
        # has made no progress; for "at least" a target of 0 or less gives no scale to measure the way by.
        if spec.direction == "decrease":
            return 1.0 if _met(spec, actual) else 0.0
        return 0.0 if spec.target_value > 0 else None
    span = spec.target_value - spec.baseline_value
    if span == 0:
        return None
    # For a decrease both differences are negative, so the one formula serves both directions.
    return _clamp((actual - spec.baseline_value) / span)


def performance_ratio(spec: MeasureSpec, actual: float, period: date) -> float | None:
    """Return the change achieved over the change the plan expected by period (unclamped; 1.0 = exactly on plan)."""
    if spec.trajectory == "constant":
        return _constant_ratio(spec, actual)
    return _ratio(spec, actual, expected_value(spec, period))


def _ratio(spec: MeasureSpec, actual: float, expected: float) -> float | None:
    """performance_ratio() for a period whose expected_value() is already known."""
    if spec.trajectory == "constant":
        return _constant_ratio(spec, actual)
    expected_change = expected - spec.baseline_value
    if expected_change == 0:
        # Nothing was expected to change yet, so nothing can be behind plan yet.
        return 1.0
    return (actual - spec.baseline_value) / expected_change


def status(spec: MeasureSpec, actual: float | None, period: date) -> str:
    """Return the status of a value reported for period: one of STATUSES."""
    if actual is None:
        return "no_data"
    if spec.trajectory != "constant" and _met(spec, actual):
        return "achieved"
    return _status(spec, actual, performance_ratio(spec, actual, period))


def _status(spec: MeasureSpec, actual: float, ratio: float | None) -> str:
    """status() of a reported value whose performance ratio is already known."""
    if spec.trajectory != "constant" and _met(spec, actual):
        return "achieved"
    if ratio is None:
        # Only a constant measure whose quotient has no meaning gets here: judge it met or not.
        return "on_track" if _met(spec, actual) else "off_track"
    if ratio >= 1 - spec.on_track_tolerance - _EPS:
        return "on_track"
    if ratio >= 1 - spec.at_risk_tolerance - _EPS:
        return "at_risk"
    return "off_track"


def freshness(latest_period: date | None, today: date, due_day: int = 15) -> str:
    """Return whether a measure's data is current, due (month closed, value not in) or overdue (past the due day)."""
    if not 1 <= due_day <= 31:
        raise ValueError(f"due_day must be a day of the month (1-31), not {due_day}")
    expected = last_complete_month(today)
    if latest_period is not None and _index(latest_period) >= _index(expected):
        return "current"
    missing = expected if latest_period is None else add_months(latest_period, 1)
    return "overdue" if today > due_date(missing, due_day) else "due"


def due_date(period: date, due_day: int = 15) -> date:
    """Return the day a month's figure is due: `due_day` of the following month."""
    due_month = add_months(period, 1)
    # A due day of 31 means the month's last day in months that are shorter.
    last_day = calendar.monthrange(due_month.year, due_month.month)[1]
    return due_month.replace(day=min(due_day, last_day))


def next_figure_due(latest_period: date | None, today: date, due_day: int = 15) -> tuple[date, date]:
    """Return the month whose figure is expected next and the day it is due (past days mean it is late)."""
    missing = add_months(latest_period, 1) if latest_period is not None else last_complete_month(today)
    return missing, due_date(missing, due_day)


def judging_day(as_of: date | None, today: date) -> date:
    """The day freshness is judged on: today for the latest month, else the last day of the month after `as_of`.

    Looking back at June 2025, "overdue" should mean "June's figure was not in by its due date", not "no figure
    since June 2025"; judging on July 31, 2025 gives exactly that.
    """
    if as_of is None or month_start(as_of) >= last_complete_month(today):
        return today
    return add_months(as_of, 2) - timedelta(days=1)


def goal_status(statuses: list[str] | tuple[str, ...]) -> str:
    """A goal's status from its measures': the worst of those with data (achieved only when all of those are).

    A goal is as healthy as its weakest measure: the mayor's office should see "at risk" on a goal as soon as any of
    its measures is. Measures without data do not pull a goal down (freshness flags them); a goal none of whose
    measures has data has no status either.
    """
    judged = [s for s in statuses if s in STATUS_RANK]
    if not judged:
        return "no_data"
    return min(judged, key=STATUS_RANK.__getitem__)


# --- words ------------------------------------------------------------------------------------------------------


def _number(value: float, decimals: int) -> str:
    """Format a number with thousands separators and a fixed count of decimals."""
    # Anything that rounds to zero prints as zero, never as "-0".
    if round(value, decimals) == 0:
        value = 0.0
    return f"{value:,.{decimals}f}"


def _usd(value: float, decimals: int) -> str:
    """Format dollars: exact below a million, "$280.0M" and "$1.01B" above."""
    sign = "-" if round(value, decimals) < 0 else ""
    size = abs(value)
    if round(size, decimals) < 1e6:
        return f"{sign}${_number(size, decimals)}"
    # Recovery budgets run to billions; abbreviated, they read at a glance and still compare.
    millions = size / 1e6
    if round(millions, 1) < 1000:
        return f"{sign}${millions:,.1f}M"
    return f"{sign}${size / 1e9:,.2f}B"


def format_value(value: float, unit: str, decimals: int) -> str:
    """Format a value in its unit, e.g. "12,430", "62.5%", "$1.01B", "45 days"; unknown units read as counts."""
    decimals = max(decimals, 0)
    if unit == "percent":
        return f"{_number(value, decimals)}%"
    if unit == "usd":
        return _usd(value, decimals)
    if unit == "days":
        text = _number(value, decimals)
        return f"{text} day" if text == "1" else f"{text} days"
    return _number(value, decimals)


def _fmt(spec: MeasureSpec, value: float) -> str:
    """Format a value in the measure's unit."""
    return format_value(value, spec.unit, spec.decimals)


def _about(spec: MeasureSpec, amount: float) -> str:
    """Format the size of a gap, rounded to two significant figures."""
    amount = abs(amount)
    # A gap is an order of magnitude to act on, not a figure to audit: "about 1,600", not "1,570".
    if amount > 0:
        amount = round(amount, 1 - math.floor(math.log10(amount)))
    if spec.unit == "percent":
        # A gap between two percentages is in points; "5%" would read as 5% of the value.
        text = _number(amount, max(spec.decimals, 0))
        return f"{text} percentage point" if text == "1" else f"{text} percentage points"
    return _fmt(spec, amount)


def _position(spec: MeasureSpec, actual: float) -> str:
    """Describe where actual stands between baseline and target, e.g. "12,430, up from 0 toward 20,000 (62% ...)"."""
    value, baseline, target = _fmt(spec, actual), _fmt(spec, spec.baseline_value), _fmt(spec, spec.target_value)
    moved = actual - spec.baseline_value
    if moved == 0:
        return f"{value}, no change yet from {baseline} toward {target}"
    word = "up" if moved > 0 else "down"
    toward_target = (moved > 0) == (spec.direction == "increase")
    share = progress(spec, actual)
    if not toward_target or share is None:
        return f"{value}, {word} from {baseline}, away from the target of {target}"
    # Floored, so a measure short of its target never reads "100% of the way".
    return f"{value}, {word} from {baseline} toward {target} ({math.floor(share * 100 + _EPS)}% of the way)"


def _schedule(spec: MeasureSpec, actual: float, period: date, judged: tuple[float, str] | None = None) -> str:
    """Say what the plan expected by period and how far ahead or behind actual is (final target not met).

    `judged` is (expected_value, status) at period when the caller has worked them out already.
    """
    if _index(period) >= _index(spec.target_period):
        short = _about(spec, spec.target_value - actual)
        return f"The target was due by {format_month(spec.target_period)}, and this is about {short} short."
    expected = judged[0] if judged else expected_value(spec, period)
    month = format_month(period)
    if expected == spec.baseline_value:
        plan = f"No change was expected by {month}"
    else:
        # Always the level the plan called for, in the measure's own unit: a share of the way would read as a second
        # kind of percent next to a percent measure's own ("26.7% was expected" must mean one thing everywhere).
        plan = f"{_fmt(spec, expected)} was expected by {month}"
    ahead = (actual - expected) if spec.direction == "increase" else (expected - actual)
    if round(ahead, max(spec.decimals, 0)) == 0:
        return f"{plan}, so this is right on schedule."
    if ahead > 0:
        return f"{plan}, so this is about {_about(spec, ahead)} ahead."
    # Within tolerance a measure can be behind and still on track; say so, or the badge and the words disagree.
    judged_status = judged[1] if judged else status(spec, actual, period)
    still = ", which still counts as on track" if judged_status == "on_track" else ""
    return f"{plan}, so this is about {_about(spec, ahead)} behind{still}."


def reason(spec: MeasureSpec, actual: float | None, period: date | None) -> str:
    """Explain a status in plain language, with formatted numbers, for the sentence beside every badge."""
    if actual is None:
        return "No value reported yet."
    if period is None:
        raise ValueError("a reported value needs the period it was reported for")
    return _reason(spec, actual, period)


def _reason(spec: MeasureSpec, actual: float, period: date, judged: tuple[float, str] | None = None) -> str:
    """reason() of a reported value; `judged` is (expected_value, status) at period when already worked out."""
    name = spec.name.strip().rstrip(".")
    month = format_month(period)
    target = _fmt(spec, spec.target_value)
    if spec.trajectory == "constant":
        bound = "at most" if spec.direction == "decrease" else "at least"
        head = f"{name}: {_fmt(spec, actual)} in {month} against a target of {bound} {target}"
        if _met(spec, actual):
            return f"{head}, so the target is met."
        return f"{head}, about {_about(spec, spec.target_value - actual)} short."
    if _met(spec, actual):
        early = ""
        if _index(period) < _index(spec.target_period):
            early = f", ahead of the {format_month(spec.target_period)} target date"
        # The latest month is when the target is known to be met, not when it was first met: say "in", not "since".
        return f"{name}: {_fmt(spec, actual)} in {month}, so the target of {target} is met{early}."
    return f"{name}: {_position(spec, actual)}. {_schedule(spec, actual, period, judged)}"


# --- anomalies --------------------------------------------------------------------------------------------------

# A new figure is flagged when it breaks a running total (lower than last month's) or when its change from last
# month is more than JUMP_FACTOR times the typical (median) size of the last JUMP_WINDOW monthly changes; at least
# JUMP_MIN_CHANGES earlier changes are needed to know what is typical.
JUMP_FACTOR = 3.0
JUMP_WINDOW = 6
JUMP_MIN_CHANGES = 3
FLAG_FELL = "fell"
FLAG_JUMP = "jump"
FLAG_LABELS = {
    FLAG_FELL: "Running total fell",
    FLAG_JUMP: "Jump far beyond recent changes",
}


def running_total_fell(value: float, last: float | None, cumulative: bool) -> bool:
    """Tell whether a running total (cumulative measure) would fall below last month's figure."""
    return cumulative and last is not None and value < last


def typical_change(history: list[tuple[date, float]]) -> float:
    """The median size of the last JUMP_WINDOW monthly changes in history (0 with fewer than two months)."""
    points = _clean(history)[-(JUMP_WINDOW + 1):]
    changes = sorted(abs(b - a) for (_, a), (_, b) in pairwise(points))
    if not changes:
        return 0.0
    middle = len(changes) // 2
    return changes[middle] if len(changes) % 2 else (changes[middle - 1] + changes[middle]) / 2


def jumped(value: float, history: list[tuple[date, float]]) -> bool:
    """Tell whether value's change from the latest figure in history is far beyond the recent monthly changes."""
    points = _clean(history)[-(JUMP_WINDOW + 1):]
    if len(points) < JUMP_MIN_CHANGES + 1:
        return False
    change = abs(value - points[-1][1])
    return change > JUMP_FACTOR * typical_change(points) + _EPS * max(1.0, abs(value))


def figure_flags(value: float, history: list[tuple[date, float]], cumulative: bool) -> tuple[str, ...]:
    """The anomaly flags (FLAG_FELL, FLAG_JUMP) of a new figure, given the figures of the months before it.

    `history` holds (month, figure) of earlier months; a fall is judged against the latest of them.
    """
    points = _clean(history)
    last = points[-1][1] if points else None
    flags = []
    if running_total_fell(value, last, cumulative):
        flags.append(FLAG_FELL)
    if jumped(value, points):
        flags.append(FLAG_JUMP)
    return tuple(flags)


# --- pace -------------------------------------------------------------------------------------------------------


def _clean(history: list[tuple[date, float]]) -> list[tuple[date, float]]:
    """Sort a history by month, one value a month."""
    by_month: dict[int, tuple[date, float]] = {}
    for point in history:
        period, value = point
        # Values are unique per month in storage; should a caller pass two, the later one wins, as a correction would.
        # (_index and month_start written out, and a point that is already a (first of month, float) tuple kept as
        # it is: this runs for every measure on every page view.)
        if type(point) is not tuple or period.day != 1 or type(value) is not float:
            point = (period if period.day == 1 else period.replace(day=1), float(value))
        by_month[period.year * 12 + period.month - 1] = point
    return [by_month[month] for month in sorted(by_month)]


def _slope(points: list[tuple[date, float]]) -> float:
    """Return the least-squares slope per month through points (at least two distinct months)."""
    first = _index(points[0][0])
    xs = [period.year * 12 + period.month - 1 - first for period, _ in points]
    ys = [value for _, value in points]
    x_mean, y_mean = sum(xs) / len(xs), sum(ys) / len(ys)
    covariance = sum([(x - x_mean) * (y - y_mean) for x, y in zip(xs, ys)])
    variance = sum([(x - x_mean) ** 2 for x in xs])
    return covariance / variance


def pace_forecast(spec: MeasureSpec, history: list[tuple[date, float]]) -> Forecast | None:
    """Project the recent pace (last 6 values) to the month the target is reached; None for constant measures."""
    if spec.trajectory == "constant":
        return None
    return _pace(spec, _clean(history))


def _pace(spec: MeasureSpec, points: list[tuple[date, float]]) -> Forecast | None:
    """pace_forecast() of a history that _clean() has already sorted and made one value a month."""
    if spec.trajectory == "constant":
        return None
    points = points[-FORECAST_WINDOW:]
    if len(points) < 2:
        return Forecast(None, None, False, "Not enough data for a forecast.")
    slope = _slope(points)
    latest_period, latest = points[-1]
    if _met(spec, latest):
        return Forecast(slope, latest_period, True, "The target has already been met.")
    target_month = format_month(spec.target_period)
    not_on_pace = f"Not on pace to reach the target by {target_month}."
    remaining = spec.target_value - latest
    # Flat, or heading away from the target: this pace never gets there.
    if slope * remaining <= 0:
        return Forecast(slope, None, False, not_on_pace)
    months = remaining / slope
    if months > FORECAST_HORIZON_MONTHS:
        return Forecast(slope, None, False, not_on_pace)
    # The slack keeps float noise in an exact multiple (3.0000000000000004) from pushing the month one later.
    reach = add_months(latest_period, max(1, math.ceil(months - _EPS)))
    if _index(reach) <= _index(spec.target_period):
        return Forecast(slope, reach, True, f"At this pace the target is reached by {format_month(reach)}.")
    late = f"Not on pace to reach the target by {target_month}; at this pace it is reached by {format_month(reach)}."
    return Forecast(slope, reach, False, late)


def _months_phrase(n: int) -> str:
    """"1 month", "9 months"."""
    return f"{n} month" if n == 1 else f"{n} months"


def pace_sentence(spec: MeasureSpec, judged_status: str, forecast: Forecast | None) -> Forecast | None:
    """The forecast with a sentence that agrees with the status beside it.

    Status judges where the latest figure stands against the plan; the forecast says where the recent pace leads.
    They can differ (ahead of plan now, but slowing down), and the words must then say both, never one flatly
    contradicting the other: "On track now, but at the recent pace the target is reached in March 2028, 9 months late."
    """
    if forecast is None or forecast.slope_per_month is None or judged_status in ("achieved", "no_data"):
        return forecast
    target_month = format_month(spec.target_period)
    reach = forecast.reach_period
    good_now = judged_status == "on_track"
    if forecast.on_pace and reach is not None:
        if good_now:
            text = f"At this pace the target is reached by {format_month(reach)}."
        else:
            text = (f"Behind plan now, but at the recent pace the target is reached by {format_month(reach)}, "
                    f"in time for the {target_month} target date.")
    elif forecast.on_pace:
        text = forecast.text
    elif reach is not None:
        late = _months_phrase(months_between(spec.target_period, reach))
        lead = "On track now, but at" if good_now else "Not on pace: at"
        text = f"{lead} the recent pace the target is reached in {format_month(reach)}, {late} after {target_month}."
    elif good_now:
        text = f"On track now, but the recent pace would not reach the target by {target_month}."
    else:
        text = f"Not on pace to reach the target by {target_month}: the recent trend is flat or moving away from it."
    return Forecast(forecast.slope_per_month, reach, forecast.on_pace, text)


def evaluate(spec: MeasureSpec, history: list[tuple[date, float]], today: date, due_day: int = 15) -> Evaluation:
    """Judge a measure from its history (any order) as of today: status, freshness, reason and forecast."""
    points = _clean(history)
    forecast = _pace(spec, points)
    if not points:
        return Evaluation(
            status="no_data",
            freshness=freshness(None, today, due_day),
            progress=None,
            ratio=None,
            expected=None,
            reason=reason(spec, None, None),
            forecast=forecast,
            latest_period=None,
            latest_value=None,
        )
    latest_period, latest = points[-1]
    # The plan's value, the ratio and the status are worked out once and shared with the reason.
    expected = expected_value(spec, latest_period)
    ratio = _ratio(spec, latest, expected)
    judged_status = _status(spec, latest, ratio)
    return Evaluation(
        status=judged_status,
        freshness=freshness(latest_period, today, due_day),
        progress=progress(spec, latest),
        ratio=ratio,
        expected=expected,
        reason=_reason(spec, latest, latest_period, (expected, judged_status)),
        forecast=pace_sentence(spec, judged_status, forecast),
        latest_period=latest_period,
        latest_value=latest,
    )
