"""Callback of the submission tracker page (staff: viewers, editors, admins; refused to others by the guard)."""
from __future__ import annotations

import dash
from dash import Input, Output

from extensions import cached_submission_tracker, current_actor
from layouts import ids
from layouts._submissions import submissions_table


def update_exec_submissions(_request: object):
    """The tracker for the signed-in person; editors get the entry-grid link on their own department's row."""
    actor = current_actor()
    return submissions_table(cached_submission_tracker(), role=actor.role if actor else None,
                             department_id=actor.department_id if actor else None)


def register(app: dash.Dash) -> None:
    """Wire the tracker page's callback."""
    app.callback(Output(ids.EXEC_SUBMISSIONS, "children"), Input(ids.EXEC_SUBMISSIONS_REQUEST, "data"))(
        update_exec_submissions)
