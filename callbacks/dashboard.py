"""Callbacks of the internal recovery dashboard: filters kept in the address, Needs attention, What changed, the
status summary and the table of every measure."""
from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Input, Output

from callbacks.public import parse_month
from extensions import cached_earliest_period, cached_month_changes, cached_overview
from layouts import ids
from layouts._components import month_options
from layouts._stat import attention_list, what_changed
from layouts._worklists import dashboard_summary, dashboard_table, goal_options
from models import clock
from models.progress import last_complete_month
from models.queries import MeasureStatus, Overview
from models.stat import needs_attention, status_moves
from models.worklists import FILTER_ALL, filter_measures, month_before, worst_first


def dashboard_overview(month: str | None) -> Overview:
    """Everything (unpublished and unapproved too) as of the chosen month, freshness judged for that month."""
    as_of = parse_month(month)
    return cached_overview(public=False, as_of=as_of)


def update_exec_month_options(_trigger: object) -> list[dict[str, str]]:
    """Every month from the first figure (any state) to the last complete month."""
    return month_options(clock.today(), cached_earliest_period(public=False))


def update_exec_goal_options(month: str | None) -> list[dict[str, str]]:
    """"All goals" plus every goal, published or not."""
    return goal_options(dashboard_overview(month).measures)


def update_exec_department_options(month: str | None) -> list[dict[str, str]]:
    """"All departments" plus every department owning a measure, by name."""
    names = {m.department_slug: m.department_name for m in dashboard_overview(month).measures}
    return [{"label": "All departments", "value": FILTER_ALL},
            *({"label": name, "value": slug} for slug, name in sorted(names.items(), key=lambda item: item[1]))]


def update_exec_summary(month: str | None, goal: str | None, department: str | None = None):
    """Status counts and worklist counts for the chosen month, goal and department."""
    data = dashboard_overview(month)
    goals = [g for g in data.goals if goal in (None, "", FILTER_ALL) or g.slug == goal]
    return dashboard_summary(filter_measures(data.measures, goal=goal, department=department), data.as_of, goals)


def update_exec_table(month: str | None, goal: str | None, status: str | None, department: str | None = None):
    """Every measure of the chosen goal, department and status as of the month, worst first."""
    data = dashboard_overview(month)
    chosen = worst_first(filter_measures(data.measures, goal=goal, status=status, department=department))
    return dashboard_table(chosen, data.as_of, total=len(data.measures))


def filter_search(month: str | None, department: str | None, goal: str | None, status: str | None) -> str:
    """The address query for the filters ("?month=2026-10&goal=..."); "all" filters are left out."""
    query = {}
    as_of = parse_month(month)
    if as_of is not None:
        query["month"] = as_of.strftime("%Y-%m")
    for name, value in (("department", department), ("goal", goal), ("status", status)):
        if value and value != FILTER_ALL:
            query[name] = value
    return f"?{urlencode(query)}" if query else ""


def update_exec_url(month: str | None, department: str | None, goal: str | None, status: str | None) -> str:
    """Write the filters into the address (no reload), so a copied link reproduces the view."""
    return filter_search(month, department, goal, status)


def _chosen(data: Overview, goal: str | None, department: str | None) -> list[MeasureStatus]:
    return filter_measures(data.measures, goal=goal, department=department)


def update_exec_attention(month: str | None, department: str | None, goal: str | None, status: str | None):
    """Needs attention: off-track, at-risk and overdue measures of the chosen filters, worst first."""
    data = dashboard_overview(month)
    chosen = filter_measures(_chosen(data, goal, department), status=status)
    return attention_list(needs_attention(chosen), data.as_of)


def update_exec_changes(month: str | None, department: str | None, goal: str | None):
    """What changed since the month before: status moves, new figures, corrections, departments not in."""
    data = dashboard_overview(month)
    as_of = parse_month(month) or last_complete_month(clock.today())
    previous_month = month_before(as_of)
    if previous_month is None:  # January of year 1 (a stray stored row): there is no month before to compare
        moves = []
        previous_month = as_of
    else:
        moves = status_moves(data, cached_overview(public=False, as_of=previous_month))
    chosen = {m.slug: m for m in _chosen(data, goal, department)}
    return what_changed(cached_month_changes(as_of), moves, previous_month, chosen)


def register(app: dash.Dash) -> None:
    """Wire the dashboard's callbacks."""
    filters = [Input(ids.EXEC_MONTH, "value"), Input(ids.EXEC_DEPARTMENT, "value"), Input(ids.EXEC_GOAL, "value"),
               Input(ids.EXEC_STATUS, "value")]
    app.callback(Output(ids.EXEC_GOAL, "options"), Input(ids.EXEC_MONTH, "value"))(update_exec_goal_options)
    app.callback(Output(ids.EXEC_DEPARTMENT, "options"), Input(ids.EXEC_MONTH, "value"))(
        update_exec_department_options)
    app.callback(Output(ids.EXEC_MONTH, "options"), Input(ids.EXEC_MONTH, "id"))(update_exec_month_options)
    app.callback(Output(ids.EXEC_SUMMARY, "children"), Input(ids.EXEC_MONTH, "value"),
                 Input(ids.EXEC_GOAL, "value"), Input(ids.EXEC_DEPARTMENT, "value"))(update_exec_summary)
    app.callback(Output(ids.EXEC_TABLE, "children"), Input(ids.EXEC_MONTH, "value"), Input(ids.EXEC_GOAL, "value"),
                 Input(ids.EXEC_STATUS, "value"), Input(ids.EXEC_DEPARTMENT, "value"))(update_exec_table)
    app.callback(Output(ids.EXEC_URL, "search"), *filters)(update_exec_url)
    app.callback(Output(ids.EXEC_ATTENTION, "children"), *filters)(update_exec_attention)
    app.callback(Output(ids.EXEC_CHANGES, "children"), *filters[:3])(update_exec_changes)
