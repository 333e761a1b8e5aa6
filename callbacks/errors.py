"""What a person sees when a callback fails: a plain message, and nothing on their page changed or lost."""
from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from sqlalchemy.exc import DBAPIError, OperationalError

from layouts import ids

log = logging.getLogger("recoverystat.callbacks")

DATABASE_DOWN = ("The database is not answering right now, so nothing was loaded or saved. Anything you typed is "
                 "still on the page: try again in a minute.")
UNEXPECTED = ("Something went wrong on our side and nothing was changed. Anything you typed is still on the page: "
              "try again, and tell the performance team if it keeps happening.")


def report_callback_error(error: Exception) -> None:
    """Dash's on_error handler: log the error, show a message in the page alert, leave every output as it was."""
    log.exception("callback failed", exc_info=error)
    database = isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated)
    message = DATABASE_DOWN if database else UNEXPECTED
    dash.set_props(ids.APP_ALERT, {"children": dbc.Alert(message, color="danger", dismissable=True, className="mb-3")})
