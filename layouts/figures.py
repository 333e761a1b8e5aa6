"""Chart builders: plain data in, `plotly.graph_objects.Figure` out. No database, no Dash, no plotly.express.

Every chart reads the same way for every audience: the actual figures, the plan (target path through any
milestones), the on-track range around the plan, the baseline and final target as marked points, the pace forecast
as a dashed line, and dated events as numbered markers. Colours are the Okabe-Ito palette (safe for the common
kinds of colour blindness), and nothing is told by colour alone: each series also has its own line style or marker
shape, a legend entry and hover text in words, and the page beside every chart repeats it in a sentence and a table.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from urllib.parse import quote

import plotly.graph_objects as go

from models.progress import (
    MeasureSpec,
    add_months,
    expected_value,
    format_month,
    format_value,
    months_between,
)
from models.queries import MeasureDetail, MeasureStatus

# Okabe-Ito: distinguishable with protanopia, deuteranopia and tritanopia.
BLUE = "#0072B2"  # the actual figures
VERMILLION = "#D55E00"  # the pace forecast
GREEN = "#009E73"  # the on-track range
PURPLE = "#CC79A7"  # events
BLACK = "#000000"  # the plan: target path, baseline, milestones, final target
BAND_FILL = "rgba(0, 158, 115, 0.16)"
TEXT = "#212529"  # Bootstrap's body colour, so chart text matches the page
GRID = "#dee2e6"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

# Trace names: the legend shows them, and tests read figures by them.
ACTUAL = "Actual"
AWAITING = "Awaiting approval"
TARGET_PATH = "Target path"
ON_TRACK = "On-track range"
MILESTONES = "Milestones"
BASELINE = "Baseline"
TARGET = "Target"
FORECAST = "Pace forecast"
EVENTS = "Events"

# A pace that lands years after the target would squash the chart into its left edge; beyond this many months past
# the target date the forecast line stops at the target date and the sentence beside the chart says the rest.
FORECAST_OVERRUN_MONTHS = 36
# An empty template: the default one adds several kilobytes to every figure sent to the browser.
_NO_TEMPLATE = go.layout.Template()


def _iso(period: date) -> str:
    """A month as plotly's date axis reads it."""
    return period.isoformat()


def _fmt(spec: MeasureSpec, value: float) -> str:
    """A value in the measure's unit."""
    return format_value(value, spec.unit, spec.decimals)


def plan_months(spec: MeasureSpec) -> list[date]:
    """The months where the plan bends: baseline, interim milestones (milestones trajectory) and target date.

    Between these the plan, and so the on-track range, is a straight line, so drawing these points draws it exactly.
    """
    months = [spec.baseline_period]
    if spec.trajectory == "milestones":
        start, end = spec.baseline_period, spec.target_period
        months += [period for period, _ in spec.milestones if start < period < end]
    if spec.target_period != spec.baseline_period:
        months.append(spec.target_period)
    return months


def on_track_edge(spec: MeasureSpec, period: date) -> float:
    """The value at which a figure for `period` stops counting as on track (the status engine's tolerance).

    linear / milestones: the performance ratio (actual - baseline) / (expected - baseline) must be at least
    1 - tolerance, so the edge is baseline + (1 - tolerance) * (expected - baseline), for either direction.
    constant: actual / target >= 1 - tolerance when more is better, target / actual >= 1 - tolerance when less is.
    """
    keep = 1 - spec.on_track_tolerance
    if spec.trajectory == "constant":
        if spec.direction == "increase":
            return spec.target_value * keep
        return spec.target_value / keep if keep > 0 else spec.target_value
    expected = expected_value(spec, period)
    return spec.baseline_value + keep * (expected - spec.baseline_value)


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` ticks over span."""
    raw = span / max(ticks, 1)
    power = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * power:
            return multiple * power
    return 10 * power


def value_axis(spec: MeasureSpec, values: Sequence[float]) -> dict:
    """A y axis over `values` whose tick labels are formatted in the measure's unit (format_value)."""
    low, high = min(values), max(values)
    if low == high:
        low, high = low - (abs(low) or 1) * 0.1, high + (abs(high) or 1) * 0.1
    step = _nice_step(high - low)
    first = math.floor(low / step) * step
    ticks = []
    tick = first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    ticks.append(round(tick, 10))
    # Enough decimals to tell neighbouring ticks apart, never fewer than the measure's own.
    decimals = max(spec.decimals if step < 1 else 0, -math.floor(math.log10(step)) if step < 1 else 0)
    pad = (high - low) * 0.06
    return {
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [format_value(t, spec.unit, decimals) for t in ticks],
        "range": [low - pad, high + pad],
        "gridcolor": GRID,
        "zeroline": False,
        "fixedrange": True,
        "automargin": True,
    }


def axis_title(spec: MeasureSpec) -> str:
    """The value axis title: the unit in words and which way is better."""
    unit = {"percent": "Percent", "usd": "Dollars", "days": "Days", "households": "Households"}.get(spec.unit, "Count")
    better = "higher is better" if spec.direction == "increase" else "lower is better"
    return f"{unit} ({better})"


def _base_layout(**extra) -> dict:
    """Layout shared by every chart: page font and colours, no plotly template, no drag-zoom."""
    layout = {
        "template": _NO_TEMPLATE,
        "font": {"family": FONT, "size": 13, "color": TEXT},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "dragmode": False,
    }
    layout.update(extra)
    return layout


def _forecast_line(detail: MeasureDetail) -> tuple[list[date], list[float]] | None:
    """The pace forecast from the latest figure to the month the target is reached, or None when there is none.

    None for constant measures (no path to the target), too little data, a target already met, or a pace that
    goes nowhere near the target date. A pace that reaches the target far too late stops at the target date, so
    the line still shows how short it falls.
    """
    forecast = detail.forecast
    if forecast is None or forecast.slope_per_month is None or not detail.values:
        return None
    spec = detail.spec
    latest = detail.values[-1]  # the forecast's own last month
    reached = (latest.value >= spec.target_value) if spec.direction == "increase" else (latest.value <= spec.target_value)
    if reached:
        return None
    end = forecast.reach_period
    if end is None or months_between(spec.target_period, end) > FORECAST_OVERRUN_MONTHS:
        end = spec.target_period
    months = months_between(latest.period, end)
    if months <= 0:
        return None
    end_value = spec.target_value if end == forecast.reach_period else latest.value + forecast.slope_per_month * months
    return [latest.period, end], [latest.value, end_value]


def progress_chart(detail: MeasureDetail, *, staff: bool = False, height: int = 380) -> go.Figure:
    """A measure's progress chart: actual, target path, on-track range, baseline, target, forecast and events.

    `staff=True` also draws figures awaiting approval, hollow and labelled; otherwise only approved figures appear.
    """
    spec = detail.spec
    approved = [p for p in detail.values if p.state == "approved"]
    waiting = [p for p in detail.values if p.state != "approved"] if staff else []
    traces: list[go.Scatter] = []
    all_x: list[date] = [spec.baseline_period, spec.target_period]
    all_y: list[float] = [spec.baseline_value, spec.target_value]

    # The plan and its on-track range, from the baseline to the target date.
    if spec.trajectory == "constant":
        last_month = max([spec.target_period, *(p.period for p in detail.values)])
        plan_x = [spec.baseline_period, last_month]
    else:
        plan_x = plan_months(spec)
    plan_y = [expected_value(spec, m) for m in plan_x]
    edge_y = [on_track_edge(spec, m) for m in plan_x]
    all_x += plan_x
    all_y += plan_y + edge_y
    traces.append(go.Scatter(
        name=ON_TRACK, x=[_iso(m) for m in plan_x + plan_x[::-1]], y=plan_y + edge_y[::-1],
        fill="toself", fillcolor=BAND_FILL, line={"width": 0, "color": GREEN}, mode="lines", hoverinfo="skip",
        legendrank=1,
    ))
    traces.append(go.Scatter(
        name=TARGET_PATH, x=[_iso(m) for m in plan_x], y=plan_y, mode="lines",
        line={"color": BLACK, "width": 2, "dash": "dot"},
        customdata=[f"Plan for {format_month(m)}: {_fmt(spec, v)}" for m, v in zip(plan_x, plan_y)],
        hovertemplate="%{customdata}<extra></extra>", legendrank=2,
    ))
    if spec.trajectory == "milestones" and detail.milestones:
        traces.append(go.Scatter(
            name=MILESTONES, x=[_iso(m) for m, _ in detail.milestones], y=[v for _, v in detail.milestones],
            mode="markers", marker={"symbol": "triangle-up", "size": 10, "color": BLACK},
            customdata=[f"Milestone: {_fmt(spec, v)} by {format_month(m)}" for m, v in detail.milestones],
            hovertemplate="%{customdata}<extra></extra>", legendrank=3,
        ))
        all_y += [v for _, v in detail.milestones]
    traces.append(go.Scatter(
        name=BASELINE, x=[_iso(spec.baseline_period)], y=[spec.baseline_value], mode="markers",
        marker={"symbol": "diamond", "size": 11, "color": BLACK},
        customdata=[f"Baseline: {_fmt(spec, spec.baseline_value)} in {format_month(spec.baseline_period)}"],
        hovertemplate="%{customdata}<extra></extra>", legendrank=4,
    ))
    traces.append(go.Scatter(
        name=TARGET, x=[_iso(spec.target_period)], y=[spec.target_value], mode="markers",
        marker={"symbol": "star", "size": 15, "color": BLACK},
        customdata=[f"Target: {_fmt(spec, spec.target_value)} by {format_month(spec.target_period)}"],
        hovertemplate="%{customdata}<extra></extra>", legendrank=5,
    ))

    # The figures. Staff see figures awaiting approval in the same line, drawn hollow and labelled.
    shown = list(detail.values) if staff else approved
    if shown:
        traces.append(go.Scatter(
            name=ACTUAL, x=[_iso(p.period) for p in shown], y=[p.value for p in shown], mode="lines+markers",
            line={"color": BLUE, "width": 2.5},
            # Years of monthly dots would blur into a thick line; the table under the chart has every month.
            marker={"color": BLUE, "size": 6 if len(shown) <= 36 else 4,
                    "symbol": ["circle" if p.state == "approved" else "circle-open" for p in shown]},
            customdata=[f"{format_month(p.period)}: {_fmt(spec, p.value)}"
                        + ("" if p.state == "approved" else " (awaiting approval)") for p in shown],
            hovertemplate="%{customdata}<extra></extra>", legendrank=6,
        ))
        all_x += [p.period for p in shown]
        all_y += [p.value for p in shown]
    if waiting:
        traces.append(go.Scatter(
            name=AWAITING, x=[_iso(p.period) for p in waiting], y=[p.value for p in waiting], mode="markers+text",
            marker={"symbol": "circle-open", "size": 13, "color": BLUE, "line": {"width": 2}},
            text=["awaiting approval"] * len(waiting), textposition="top center",
            textfont={"color": TEXT, "size": 11},
            customdata=[f"{format_month(p.period)}: {_fmt(spec, p.value)}, awaiting approval" for p in waiting],
            hovertemplate="%{customdata}<extra></extra>", legendrank=7,
        ))

    line = _forecast_line(detail)
    if line is not None:
        months, values = line
        traces.append(go.Scatter(
            name=FORECAST, x=[_iso(m) for m in months], y=values, mode="lines",
            line={"color": VERMILLION, "width": 2.5, "dash": "dash"},
            customdata=[f"Latest: {_fmt(spec, values[0])} in {format_month(months[0])}",
                        f"At this pace: {_fmt(spec, values[1])} by {format_month(months[1])}"],
            hovertemplate="%{customdata}<extra></extra>", legendrank=8,
        ))
        all_x += months
        all_y += values

    yaxis = value_axis(spec, all_y)
    start, end = min(all_x), max(all_x)
    events = [(i, note) for i, note in enumerate(detail.annotations, start=1)
              if start <= note.event_date.replace(day=1) <= end]
    if events:
        # Along the bottom of the plot, numbered; the list under the chart gives each event in full.
        floor = yaxis["range"][0] + (yaxis["range"][1] - yaxis["range"][0]) * 0.04
        traces.append(go.Scatter(
            name=EVENTS, x=[note.event_date.isoformat() for _, note in events], y=[floor] * len(events),
            mode="markers+text", marker={"symbol": "triangle-down", "size": 12, "color": PURPLE,
                                         "line": {"color": BLACK, "width": 1}},
            text=[str(i) for i, _ in events], textposition="top center", textfont={"color": TEXT, "size": 11},
            customdata=[f"{i}. {note.text}" for i, note in events],
            hovertemplate="%{customdata}<extra></extra>", legendrank=9,
        ))

    figure = go.Figure(data=traces, layout=_base_layout(
        height=height,
        margin={"l": 8, "r": 12, "t": 8, "b": 8},
        showlegend=True,
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0,
                "font": {"size": 12}},
        hovermode="closest",
        xaxis={"type": "date", "gridcolor": GRID, "fixedrange": True, "automargin": True,
               "range": [_iso(add_months(start, -2)), _iso(add_months(end, 2))]},
        yaxis={**yaxis, "title": {"text": axis_title(spec), "font": {"size": 12}}},
    ))
    return figure


def _history_of(data: MeasureDetail | MeasureStatus | Sequence[tuple[date, float]]) -> list[tuple[date, float]]:
    """The months a sparkline draws: a detail's approved figures of the last 12 months, or a status's history."""
    if isinstance(data, MeasureDetail):
        approved = [(p.period, p.value) for p in data.values if p.state == "approved"]
        return approved[-12:]
    if isinstance(data, MeasureStatus):
        return list(data.history)
    return list(data)


def sparkline(data: MeasureDetail | MeasureStatus | Sequence[tuple[date, float]], *, height: int = 44,
              unit: str | None = None, decimals: int | None = None) -> go.Figure:
    """A small static trend line for a card: the recent figures, the latest one marked; no axes, no legend.

    Accepts a MeasureDetail, a MeasureStatus (its recent history) or plain (month, value) pairs.
    """
    history = _history_of(data)
    if isinstance(data, (MeasureDetail, MeasureStatus)):
        status = data.status if isinstance(data, MeasureDetail) else data
        unit, decimals = status.unit, status.decimals
    unit, decimals = unit or "count", decimals or 0
    traces = []
    if history:
        traces.append(go.Scatter(
            name=ACTUAL, x=[_iso(m) for m, _ in history], y=[v for _, v in history], mode="lines",
            line={"color": BLUE, "width": 2}, hoverinfo="skip",
        ))
        last_month, last_value = history[-1]
        traces.append(go.Scatter(
            name="Latest", x=[_iso(last_month)], y=[last_value], mode="markers",
            marker={"color": BLUE, "size": 6}, hoverinfo="skip",
        ))
    hidden = {"visible": False, "fixedrange": True}
    return go.Figure(data=traces, layout=_base_layout(
        height=height, margin={"l": 4, "r": 6, "t": 4, "b": 4}, showlegend=False, xaxis=hidden, yaxis=hidden,
        plot_bgcolor="rgba(0,0,0,0)",
    ))


def sparkline_label(data: MeasureDetail | MeasureStatus) -> str:
    """The sparkline in words, for its text alternative, e.g. "Trend: from 9,900 in November 2025 to 12,430 in ..."."""
    history = _history_of(data)
    status = data.status if isinstance(data, MeasureDetail) else data
    if not history:
        return "Trend: no figures yet."
    (first_month, first), (last_month, last) = history[0], history[-1]
    if len(history) == 1:
        return f"Trend: one figure so far, {format_value(last, status.unit, status.decimals)} in {format_month(last_month)}."
    return (f"Trend: from {format_value(first, status.unit, status.decimals)} in {format_month(first_month)} "
            f"to {format_value(last, status.unit, status.decimals)} in {format_month(last_month)}.")


# The card sparkline as a small static SVG: drawn by the browser as an image, with no chart library and no script.
SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 240, 44, 4


def sparkline_svg(data: MeasureDetail | MeasureStatus | Sequence[tuple[date, float]]) -> str:
    """The sparkline as an SVG document: the recent figures as a line, the latest one marked; empty without figures.

    Months are spaced by calendar distance (a missing month leaves a gap in spacing, as on a date axis).
    """
    history = _history_of(data)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SPARK_WIDTH} {SPARK_HEIGHT}" '
           f'width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" preserveAspectRatio="none">')
    if not history:
        return svg + "</svg>"
    first_month = history[0][0]
    span_x = max(months_between(first_month, history[-1][0]), 1)
    values = [v for _, v in history]
    low, high = min(values), max(values)
    span_y = (high - low) or 1.0
    inner_w, inner_h = SPARK_WIDTH - 2 * SPARK_PAD, SPARK_HEIGHT - 2 * SPARK_PAD

    def point(month: date, value: float) -> tuple[float, float]:
        x = SPARK_PAD + inner_w * (months_between(first_month, month) / span_x if len(history) > 1 else 1.0)
        y = SPARK_PAD + inner_h * ((high - value) / span_y if high != low else 0.5)
        return round(x, 1), round(y, 1)

    points = [point(m, v) for m, v in history]
    last_x, last_y = points[-1]
    if len(points) > 1:
        line = " ".join(f"{x:g},{y:g}" for x, y in points)
        svg += (f'<polyline points="{line}" fill="none" stroke="{BLUE}" stroke-width="2" '
                'stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>')
    # The latest figure: a zero-length stroke with round caps stays a round dot however the image is stretched.
    return svg + (f'<path d="M{last_x:g} {last_y:g}h0" stroke="{BLUE}" stroke-width="6" stroke-linecap="round" '
                  'vector-effect="non-scaling-stroke"/></svg>')


def sparkline_data_uri(data: MeasureDetail | MeasureStatus | Sequence[tuple[date, float]]) -> str:
    """The sparkline SVG as a `data:` URI for an <img> (the page's content security policy allows data: images)."""
    return "data:image/svg+xml," + quote(sparkline_svg(data), safe=" =:/,\"'")
