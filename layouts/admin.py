"""The administration index: every section the performance team uses to run the program."""
from __future__ import annotations

import dash
from dash import html

from layouts._admin import admin_index

dash.register_page(
    __name__,
    path="/admin",
    name="Admin",
    title="Administration - RecoveryStat",
    description="Every administration section: goals, measures, departments, accounts, events, audit, import.",
    audience="admin",
    order=40,
)


def layout(**_query) -> html.Div:
    """Links to every administration section with what each is for."""
    return admin_index()
