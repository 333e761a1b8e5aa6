"""Callbacks of the public progress page."""
from __future__ import annotations

from datetime import date

import dash
from dash import Input, Output

from extensions import cached_overview
from layouts import ids
from layouts._components import overview_sections


def update_pub_overview(month: str | None) -> list:
    """Published goals with approved figures as of the chosen month."""
    as_of = date.fromisoformat(month) if month else None
    return overview_sections(cached_overview(public=True, as_of=as_of))


def register(app: dash.Dash) -> None:
    """Wire the public page's callbacks."""
    app.callback(Output(ids.PUB_OVERVIEW, "children"), Input(ids.PUB_MONTH, "value"))(update_pub_overview)
