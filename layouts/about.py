"""How the figures are worked out: status, progress, freshness and the pace forecast, in plain words."""
from __future__ import annotations

import dash
from dash import dcc, html

from models.progress import FORECAST_WINDOW

dash.register_page(
    __name__,
    path="/about",
    name="About the figures",
    title="How the figures are worked out - RecoveryStat",
    description="How RecoveryStat works out each measure's status, progress and pace forecast.",
    audience="pub",
    order=5,
)


def layout(**_query) -> html.Div:
    """Plain-language rules of the status engine (models/progress.py), the same for every audience."""
    return html.Div(
        [
            html.H1("How the figures are worked out", className="h3"),
            html.P("Every measure has a baseline (where it started), a target (where it should be, and by when) "
                   "and a figure for each month, reported by the department or partner that owns it and approved "
                   "by the City-Parish performance team before it appears here. The same rules judge every "
                   "measure, on this site, in the mayor's office and in the data downloads.", className="lead fs-6"),
            html.H2("The plan", className="h5 mt-4"),
            html.P("For most measures the plan is a straight line from the baseline to the target: halfway through "
                   "the time, half of the change is expected. Some measures plan through interim milestones "
                   "instead, and the line bends at each one. A few measures set a standard for every month "
                   "(for example, paying invoices in at most 30 days): for them the plan is that level, every month."),
            html.H2("Status", className="h5 mt-4"),
            html.P("The latest approved figure is compared with the change the plan expected by that month."),
            html.Ul([
                html.Li([html.Strong("Achieved"), ": the final target has been met."]),
                html.Li([html.Strong("On track"), ": at least 95% of the expected change has been made (each "
                         "measure page gives that measure's own margin)."]),
                html.Li([html.Strong("At risk"), ": between 85% and 95% of the expected change."]),
                html.Li([html.Strong("Off track"), ": less than 85% of the expected change."]),
                html.Li([html.Strong("No data"), ": no figure has been reported yet."]),
            ]),
            html.P("A goal's status is that of its weakest measure with figures: a goal is at risk as soon as any "
                   "of its measures is, and achieved only when all of them are. Measures with no figures yet do not "
                   "pull a goal down; their freshness flags them instead."),
            html.P("For a monthly standard, the month's figure is compared with the standard itself in the same "
                   "way. Where fewer is better (homes still empty, days to issue a permit) the rules are mirrored "
                   "exactly: falling is progress. Status is always written out in words with an icon, never shown "
                   "by colour alone, and every status comes with one sentence that says why."),
            html.H2("Progress", className="h5 mt-4"),
            html.P("Progress is the share of the way from the baseline to the target, between 0% and 100%. For a "
                   "monthly standard it is the month's figure as a share of the standard."),
            html.H2("Freshness", className="h5 mt-4"),
            html.P("A month's figure is due once the month has ended and late after the 15th of the following "
                   "month (some measures allow a different day). Freshness is shown beside the status, never "
                   "instead of it."),
            html.H2("Pace forecast", className="h5 mt-4"),
            html.P(f"The forecast draws a straight line through the last {FORECAST_WINDOW} monthly figures "
                   "(a least-squares fit) and follows it to the month the target would be reached at that pace. "
                   "When the line points the wrong way, or reaches the target only after the target date, the "
                   "measure is not on pace. On the charts it is the dashed line. Monthly standards have no "
                   "forecast."),
            html.P("Status and forecast answer two questions: where the latest figure stands against the plan, and "
                   "where the recent pace leads. When they differ, the sentence says both, for example \u201cOn "
                   "track now, but at the recent pace the target is reached in March 2028, 9 months after June "
                   "2027\u201d, or \u201cBehind plan now, but at the recent pace the target is reached by May 2027, "
                   "in time\u201d. \u201cExpected\u201d always means the level the plan called for by that month, "
                   "in the measure's own unit (\u201c14,000 was expected by June 2026\u201d)."),
            html.H2("Corrections", className="h5 mt-4"),
            html.P("A published figure can be corrected, with a reason, by the department that reports it. Until "
                   "the performance team approves the correction, this site keeps showing the approved figure; once "
                   "approved, the new figure replaces it and the measure's page lists the correction: old value, "
                   "new value, date and reason."),
            html.H2("Reading a chart", className="h5 mt-4"),
            html.Ul([
                html.Li("Solid blue line with dots: the approved figures."),
                html.Li("Dotted black line: the plan, from the baseline (diamond) to the target (star), through "
                        "any milestones (triangles)."),
                html.Li("Shaded green band: the on-track range, between the plan and the point where a figure "
                        "stops counting as on track."),
                html.Li("Dashed orange line: the pace forecast."),
                html.Li("Numbered purple markers: events listed under the chart."),
            ]),
            html.P("Every chart has a table of the same figures under it, and every measure page lists the "
                   "corrections made to figures after they were first published, with the reason."),
            html.H2("Corrections", className="h5 mt-4"),
            html.P("Figures are sometimes corrected after they are published, when a source revises its count. "
                   "A corrected figure appears here once the performance team has approved it again, and the "
                   "measure's page keeps the old figure, the new one, the date and the reason."),
            html.P(dcc.Link("Back to the progress page", href="/")),
        ],
        className="about-page",
    )
