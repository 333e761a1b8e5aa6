"""Callbacks of the internal recovery dashboard."""
from __future__ import annotations

import dash
from dash import Input, Output

from callbacks.public import parse_month
from extensions import cached_earliest_period, cached_overview
from layouts import ids
from layouts._components import month_options
from layouts._worklists import dashboard_summary, dashboard_table, goal_options
from models import clock
from models.queries import Overview
from models.worklists import FILTER_ALL, filter_measures, worst_first


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


def update_exec_summary(month: str | None, goal: str | None):
    """Status counts and worklist counts for the chosen month and goal."""
    data = dashboard_overview(month)
    goals = [g for g in data.goals if goal in (None, "", FILTER_ALL) or g.slug == goal]
    return dashboard_summary(filter_measures(data.measures, goal=goal), data.as_of, goals)


def update_exec_table(month: str | None, goal: str | None, status: str | None):
    """Every measure of the chosen goal and status as of the month, worst first."""
    data = dashboard_overview(month)
    chosen = worst_first(filter_measures(data.measures, goal=goal, status=status))
    return dashboard_table(chosen, data.as_of, total=len(data.measures))


def register(app: dash.Dash) -> None:
    """Wire the dashboard's callbacks."""
    app.callback(Output(ids.EXEC_GOAL, "options"), Input(ids.EXEC_MONTH, "value"))(update_exec_goal_options)
    app.callback(Output(ids.EXEC_MONTH, "options"), Input(ids.EXEC_MONTH, "id"))(update_exec_month_options)
    app.callback(Output(ids.EXEC_SUMMARY, "children"), Input(ids.EXEC_MONTH, "value"),
                 Input(ids.EXEC_GOAL, "value"))(update_exec_summary)
    app.callback(Output(ids.EXEC_TABLE, "children"), Input(ids.EXEC_MONTH, "value"), Input(ids.EXEC_GOAL, "value"),
                 Input(ids.EXEC_STATUS, "value"))(update_exec_table)
