"""The chart builders (layouts/figures.py), read through their traces: plain data in, a plotly Figure out."""
from __future__ import annotations

from datetime import date

import plotly.graph_objects as go
import pytest

from layouts import figures
from models.progress import MeasureSpec, add_months, expected_value, format_value, pace_forecast
from models.queries import AnnotationNote, MeasureDetail, MeasureStatus, SeriesPoint

TODAY = date(2026, 11, 20)
AS_OF = date(2026, 10, 1)


def make_detail(*, unit="count", decimals=0, direction="increase", trajectory="linear", baseline=0.0,
                baseline_period=date(2024, 1, 1), target=100.0, target_period=date(2027, 12, 1),
                milestones=(), values=(), annotations=(), on_track_tolerance=0.05) -> MeasureDetail:
    """A MeasureDetail built from plain values, as the read path would return it."""
    spec = MeasureSpec(name="Homes repaired", unit=unit, decimals=decimals, direction=direction,
                       trajectory=trajectory, baseline_value=baseline, baseline_period=baseline_period,
                       target_value=target, target_period=target_period, milestones=tuple(milestones),
                       on_track_tolerance=on_track_tolerance)
    points = tuple(SeriesPoint(p, float(v), s) for p, v, s in values)
    series = [(p.period, p.value) for p in points]
    status = MeasureStatus(
        measure_id=1, slug="homes-repaired", name="Homes repaired", definition="Homes repaired.", unit=unit,
        decimals=decimals, direction=direction, trajectory=trajectory, goal_slug="g", goal_title="G",
        department_slug="d", department_name="D", data_source="s", citation="illustrative", published=True,
        baseline_value=baseline, baseline_period=baseline_period, target_value=target, target_period=target_period,
        latest_period=points[-1].period if points else None, latest_value=points[-1].value if points else None,
        latest_state=points[-1].state if points else None, status="on_track", freshness="current", progress=None,
        expected=None, reason="Reason.", forecast=None, history=tuple(series[-12:]),
    )
    return MeasureDetail(status=status, spec=spec, values=points, milestones=spec.milestones,
                         annotations=tuple(annotations), corrections=(), forecast=pace_forecast(spec, series),
                         as_of=AS_OF, today=TODAY, next_period=date(2026, 11, 1), next_due=date(2026, 12, 15))


def monthly(start: date, values: list[float], state: str = "approved") -> list[tuple[date, float, str]]:
    return [(add_months(start, i), v, state) for i, v in enumerate(values)]


def trace(figure: go.Figure, name: str):
    found = [t for t in figure.data if t.name == name]
    assert len(found) == 1, f"expected one {name!r} trace, found {[t.name for t in figure.data]}"
    return found[0]


def names(figure: go.Figure) -> list[str]:
    return [t.name for t in figure.data]


def iso(d: date) -> str:
    return d.isoformat()


def test_linear_chart_has_actual_plan_band_baseline_target():
    detail = make_detail(values=monthly(date(2024, 1, 1), [0, 3, 5, 9, 12, 14]))
    figure = figures.progress_chart(detail)
    assert isinstance(figure, go.Figure)
    actual = trace(figure, figures.ACTUAL)
    assert list(actual.y) == [0, 3, 5, 9, 12, 14] and actual.x[0] == "2024-01-01"
    path = trace(figure, figures.TARGET_PATH)
    # A straight line needs only its two ends: baseline and target date, on the plan's values.
    assert list(path.x) == ["2024-01-01", "2027-12-01"] and list(path.y) == [0.0, 100.0]
    assert path.line.dash == "dot"
    baseline, target = trace(figure, figures.BASELINE), trace(figure, figures.TARGET)
    assert (baseline.x[0], baseline.y[0]) == ("2024-01-01", 0.0)
    assert (target.x[0], target.y[0]) == ("2027-12-01", 100.0)
    assert baseline.marker.symbol != target.marker.symbol  # told apart by shape, not colour
    assert figures.MILESTONES not in names(figure) and figures.AWAITING not in names(figure)


def test_on_track_band_spans_expected_down_to_the_tolerance_edge():
    detail = make_detail(values=monthly(date(2024, 1, 1), [0, 3]), on_track_tolerance=0.1)
    band = trace(figure := figures.progress_chart(detail), figures.ON_TRACK)
    assert band.fill == "toself"
    # The polygon goes out along the plan and back along the edge: 90% of the expected change.
    assert list(band.y) == [0.0, 100.0, 90.0, 0.0]
    assert list(band.x) == ["2024-01-01", "2027-12-01", "2027-12-01", "2024-01-01"]
    assert band.hoverinfo == "skip" and figure.layout.template.layout.to_plotly_json() == {}


def test_milestones_bend_the_path_and_are_marked():
    milestones = ((date(2025, 1, 1), 50.0), (date(2026, 1, 1), 60.0))
    detail = make_detail(trajectory="milestones", milestones=milestones,
                         values=monthly(date(2024, 1, 1), [0, 10, 20]))
    figure = figures.progress_chart(detail)
    path = trace(figure, figures.TARGET_PATH)
    assert list(path.x) == ["2024-01-01", "2025-01-01", "2026-01-01", "2027-12-01"]
    assert list(path.y) == [0.0, 50.0, 60.0, 100.0]
    assert list(path.y) == [expected_value(detail.spec, date.fromisoformat(x)) for x in path.x]
    marks = trace(figure, figures.MILESTONES)
    assert list(marks.x) == ["2025-01-01", "2026-01-01"] and list(marks.y) == [50.0, 60.0]
    assert "Milestone: 50 by January 2025" in marks.customdata[0]


def test_constant_trajectory_is_a_level_line_with_a_band_on_the_right_side():
    # "At most 30 days" each month: the band runs from 30 up to 30 / (1 - 0.05).
    detail = make_detail(unit="days", direction="decrease", trajectory="constant", baseline=45.0, target=30.0,
                         baseline_period=date(2024, 1, 1), target_period=date(2026, 12, 1),
                         values=monthly(date(2024, 1, 1), [44, 40, 35, 31]))
    figure = figures.progress_chart(detail)
    path = trace(figure, figures.TARGET_PATH)
    assert set(path.y) == {30.0} and path.x[0] == "2024-01-01" and path.x[-1] == "2026-12-01"
    band = trace(figure, figures.ON_TRACK)
    assert min(band.y) == pytest.approx(30.0) and max(band.y) == pytest.approx(30 / 0.95)
    assert figures.FORECAST not in names(figure)  # a per-month rate has no date to reach
    assert "Days" in figure.layout.yaxis.title.text and "lower is better" in figure.layout.yaxis.title.text
    assert all(text.endswith("days") for text in figure.layout.yaxis.ticktext)


def test_decrease_measure_reads_downward_and_its_band_lies_above_the_plan():
    detail = make_detail(direction="decrease", baseline=2400.0, target=600.0, baseline_period=date(2024, 1, 1),
                         target_period=date(2027, 1, 1), values=monthly(date(2024, 1, 1), [2400, 2300, 2150]))
    figure = figures.progress_chart(detail)
    path, band = trace(figure, figures.TARGET_PATH), trace(figure, figures.ON_TRACK)
    assert list(path.y) == [2400.0, 600.0]
    plan_ys, edge_ys = list(band.y[:2]), list(band.y[2:])[::-1]
    # Less is better, so falling short of the plan means staying above it: the on-track edge is above the plan.
    assert all(edge >= plan for edge, plan in zip(edge_ys, plan_ys))
    assert edge_ys[-1] == pytest.approx(2400 + 0.95 * (600 - 2400))
    assert "lower is better" in figure.layout.yaxis.title.text
    assert not figure.layout.yaxis.autorange  # not flipped: up is up, and the title says which way is better
    forecast = trace(figure, figures.FORECAST)
    assert forecast.y[1] == 600.0 and forecast.y[0] == 2150.0  # heading down to the target


def test_forecast_is_dashed_from_latest_value_to_the_reach_month():
    detail = make_detail(values=monthly(date(2024, 1, 1), [0, 10, 20, 30]))  # 10 a month: 100 in 7 more months
    figure = figures.progress_chart(detail)
    forecast = trace(figure, figures.FORECAST)
    assert forecast.line.dash == "dash"
    reach = detail.forecast.reach_period
    assert reach == date(2024, 11, 1) and list(forecast.x) == ["2024-04-01", iso(reach)]
    assert list(forecast.y) == [30.0, 100.0]


@pytest.mark.parametrize("values", [
    [0],  # one figure: no pace yet
    [0, 10, 20, 100],  # target met
    [50, 40, 30, 20],  # heading away from the target
])
def test_no_forecast_line_without_a_pace_toward_an_unmet_target(values):
    detail = make_detail(values=monthly(date(2024, 1, 1), values))
    figure = figures.progress_chart(detail)
    if values == [50, 40, 30, 20]:
        # Going the wrong way: the line still shows where this pace leads by the target date.
        forecast = trace(figure, figures.FORECAST)
        assert forecast.x[-1] == "2027-12-01" and forecast.y[-1] < forecast.y[0]
    else:
        assert figures.FORECAST not in names(figure)


def test_a_very_late_pace_stops_at_the_target_date():
    detail = make_detail(values=monthly(date(2024, 1, 1), [0, 0.1, 0.2, 0.3]))  # ~80 years to go
    forecast = trace(figures.progress_chart(detail), figures.FORECAST)
    assert forecast.x[-1] == "2027-12-01" and forecast.y[-1] < 10


def test_values_awaiting_approval_are_hollow_and_labelled_only_for_staff():
    values = monthly(date(2024, 1, 1), [0, 10, 20]) + [(date(2024, 4, 1), 30.0, "submitted")]
    detail = make_detail(values=values)
    public = figures.progress_chart(detail)
    assert figures.AWAITING not in names(public)
    assert list(trace(public, figures.ACTUAL).y) == [0, 10, 20]  # only approved figures
    assert "circle-open" not in list(trace(public, figures.ACTUAL).marker.symbol)

    staff = figures.progress_chart(detail, staff=True)
    actual = trace(staff, figures.ACTUAL)
    assert list(actual.y) == [0, 10, 20, 30]
    assert list(actual.marker.symbol) == ["circle", "circle", "circle", "circle-open"]
    waiting = trace(staff, figures.AWAITING)
    assert list(waiting.x) == ["2024-04-01"] and waiting.marker.symbol == "circle-open"
    assert list(waiting.text) == ["awaiting approval"] and "awaiting approval" in waiting.customdata[0]


def test_annotations_are_numbered_markers_with_their_text_and_out_of_range_ones_are_left_off():
    notes = [AnnotationNote(date(2016, 8, 12), "The flood begins.", "GIS"),
             AnnotationNote(date(2025, 3, 1), "Program opens (March 2025).", "illustrative")]
    detail = make_detail(values=monthly(date(2024, 1, 1), [0, 10]), annotations=notes)
    events = trace(figures.progress_chart(detail), figures.EVENTS)
    assert list(events.x) == ["2025-03-01"]
    assert list(events.text) == ["2"]  # numbered as in the list under the chart
    assert events.customdata[0] == "2. Program opens (March 2025)."
    assert figures.EVENTS not in names(figures.progress_chart(make_detail(values=monthly(date(2024, 1, 1), [0]))))


@pytest.mark.parametrize(("unit", "value", "text"), [
    ("percent", 62.5, "62.5%"), ("usd", 280_000_000.0, "$280.0M"), ("days", 45.0, "45 days"),
    ("count", 12430.0, "12,430"),
])
def test_hover_and_axis_speak_the_measure_unit(unit, value, text):
    decimals = 1 if unit == "percent" else 0
    detail = make_detail(unit=unit, decimals=decimals, baseline=0.0, target=value * 2,
                         values=[(date(2024, 1, 1), 0.0, "approved"), (date(2024, 2, 1), value, "approved")])
    figure = figures.progress_chart(detail)
    assert trace(figure, figures.ACTUAL).customdata[1] == f"February 2024: {text}"
    ticks = list(figure.layout.yaxis.ticktext)
    assert len(ticks) >= 3
    assert ticks == [format_value(v, unit, 0) for v in figure.layout.yaxis.tickvals]
    ends = {"percent": ("", "%"), "usd": ("$", ""), "days": ("", " days"), "count": ("", "")}[unit]
    assert all(t.startswith(ends[0]) and t.endswith(ends[1]) for t in ticks)


def test_palette_is_okabe_ito_and_every_series_has_its_own_style():
    detail = make_detail(trajectory="milestones", milestones=((date(2025, 1, 1), 40.0),),
                         values=monthly(date(2024, 1, 1), [0, 10, 20, 30]) + [(date(2024, 5, 1), 31.0, "submitted")],
                         annotations=[AnnotationNote(date(2024, 2, 1), "Event.", "x")])
    figure = figures.progress_chart(detail, staff=True)
    okabe_ito = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    styles = set()
    for t in figure.data:
        colour = t.line.color if t.mode == "lines" else t.marker.color
        assert colour in okabe_ito, f"{t.name} uses {colour}"
        styles.add((t.mode, t.line.dash, str(t.marker.symbol), t.fill))
    assert len(styles) == len(figure.data)  # no two series differ by colour alone


def test_sparkline_from_status_history_detail_or_pairs():
    detail = make_detail(values=monthly(date(2025, 1, 1), list(range(0, 150, 10))))
    spark = figures.sparkline(detail)
    line = trace(spark, figures.ACTUAL)
    assert len(line.x) == 12 and line.y[-1] == 140.0  # the last 12 approved months
    assert spark.layout.xaxis.visible is False and spark.layout.showlegend is False
    from_status = figures.sparkline(detail.status)
    assert list(trace(from_status, figures.ACTUAL).y) == [v for _, v in detail.status.history]
    pairs = figures.sparkline([(date(2026, 1, 1), 1.0), (date(2026, 2, 1), 2.0)])
    assert list(trace(pairs, "Latest").y) == [2.0]
    assert figures.sparkline([]).data == ()
    assert figures.sparkline_label(detail) == "Trend: from 30 in April 2025 to 140 in March 2026."


def test_next_figure_due_names_the_next_month_and_its_due_day():
    from models.progress import due_date, next_figure_due

    assert due_date(date(2026, 10, 1)) == date(2026, 11, 15)
    assert due_date(date(2026, 1, 1), 31) == date(2026, 2, 28)  # a due day past the month's end is its last day
    assert next_figure_due(date(2026, 10, 1), TODAY) == (date(2026, 11, 1), date(2026, 12, 15))
    assert next_figure_due(date(2026, 8, 1), TODAY) == (date(2026, 9, 1), date(2026, 10, 15))  # late
    assert next_figure_due(None, TODAY, due_day=10) == (date(2026, 10, 1), date(2026, 11, 10))


def test_sparkline_svg_draws_the_recent_figures_as_a_line_with_the_latest_marked():
    """The card sparkline is a static SVG: one point per month of the same history, highest at the top."""
    import re
    from urllib.parse import unquote

    detail = make_detail(values=monthly(date(2025, 1, 1), list(range(0, 150, 10))))
    svg = figures.sparkline_svg(detail)
    points = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', svg).group(1).split()]
    assert len(points) == len(figures.sparkline(detail).data[0].y) == 12
    xs, ys = [x for x, _ in points], [y for _, y in points]
    assert xs == sorted(xs) and xs[0] == figures.SPARK_PAD and xs[-1] == figures.SPARK_WIDTH - figures.SPARK_PAD
    assert ys == sorted(ys, reverse=True)  # rising figures climb (SVG's y grows downward)
    assert f'd="M{xs[-1]:g} {ys[-1]:g}h0"' in svg  # the latest figure's dot
    assert "<polyline" not in figures.sparkline_svg([(date(2026, 1, 1), 5.0)])  # one figure: the dot alone
    assert figures.sparkline_svg([]).endswith("></svg>")
    uri = figures.sparkline_data_uri(detail)
    assert uri.startswith("data:image/svg+xml,") and unquote(uri.split(",", 1)[1]) == svg
