"""Callbacks of the public progress page."""
from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output

from extensions import cached_earliest_period, cached_overview
from layouts import ids
from layouts._components import month_options, overview_sections
from models import clock


def parse_month(value: object) -> date | None:
    """The month a picker sent ("2026-10-01"), or None for anything else (latest month)."""
    try:
        return date.fromisoformat(str(value)).replace(day=1) if value else None
    except ValueError:
        return None


def update_pub_month_options(_trigger: object) -> list[dict[str, str]]:
    """Every month from the first published figure to the last complete month."""
    return month_options(clock.today(), cached_earliest_period(public=True))


def update_pub_overview(month: str | None) -> list:
    """Published goals with approved figures as of the chosen month."""
    return overview_sections(cached_overview(public=True, as_of=parse_month(month)))


def register(app: dash.Dash) -> None:
    """Wire the public page's callbacks."""
    app.callback(Output(ids.PUB_OVERVIEW, "children"), Input(ids.PUB_MONTH, "value"))(update_pub_overview)
    app.callback(Output(ids.PUB_MONTH, "options"), Input(ids.PUB_MONTH, "id"))(update_pub_month_options)
