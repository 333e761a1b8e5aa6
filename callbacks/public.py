"""Callbacks of the public progress page."""
from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output

from extensions import cached_overview
from layouts import ids
from layouts._components import overview_sections


def parse_month(value: object) -> date | None:
    """The month a picker sent ("2026-10-01"), or None for anything else (latest month)."""
    try:
        return date.fromisoformat(str(value)).replace(day=1) if value else None
    except ValueError:
        return None


def update_pub_overview(month: str | None) -> list:
    """Published goals with approved figures as of the chosen month."""
    return overview_sections(cached_overview(public=True, as_of=parse_month(month)))


def register(app: dash.Dash) -> None:
    """Wire the public page's callbacks."""
    app.callback(Output(ids.PUB_OVERVIEW, "children"), Input(ids.PUB_MONTH, "value"))(update_pub_overview)
