"""Callbacks of /admin/import: preview an uploaded workbook, then apply it (admins only, checked again here)."""
from __future__ import annotations

import base64
import binascii

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from extensions import current_actor, db_session
from layouts import ids
from layouts._workbook import applied, preview
from layouts._worklists import alert
from models.workbook import MAX_UPLOAD_BYTES, WorkbookData, import_workbook, read_upload

NOT_ADMIN = "Only the performance team (admins) may import a workbook. Sign in with an admin account."


def _decode(contents: str, filename: str | None) -> WorkbookData | str:
    """The uploaded file read as a workbook, or a message saying why it cannot be read."""
    _, _, payload = contents.partition(",")
    if len(payload) * 3 // 4 > MAX_UPLOAD_BYTES + 3:
        return f"The file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB; split it or remove old values."
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return "The upload arrived damaged. Choose the file again."
    return read_upload(filename or "upload", data)


def update_admin_import_preview(contents: str | None, filename: str | None):
    """Preview of the uploaded workbook, and whether Apply is allowed (only with no rejected row and something to do)."""
    if not contents:
        return None, True
    actor = current_actor()
    if actor is None or actor.role != "admin":
        return alert("error", NOT_ADMIN), True
    book = _decode(contents, filename)
    if isinstance(book, str):
        return alert("error", book), True
    with db_session() as session:
        report = import_workbook(session, book, apply=False, actor=actor.email, user_id=actor.id)
    return preview(report), not (report.ok and report.touched)


def save_admin_import(n_clicks: int | None, contents: str | None, filename: str | None):
    """Check the workbook again and write it all (or nothing); on success clear the upload."""
    if not n_clicks:
        raise PreventUpdate
    keep = dash.no_update
    actor = current_actor()
    if actor is None or actor.role != "admin":
        return alert("error", NOT_ADMIN), keep
    if not contents:
        return alert("error", "Choose a workbook first."), keep
    book = _decode(contents, filename)
    if isinstance(book, str):
        return alert("error", book), keep
    with db_session() as session:
        report = import_workbook(session, book, apply=True, actor=actor.email, user_id=actor.id)
    if report.issues:
        count = len(report.issues)
        return alert("error", f"Nothing was imported: the workbook has {count:,} problem{'s' if count != 1 else ''} "
                              "(see the preview). Fix the cells listed and upload it again."), keep
    return applied(report), None


def register(app: dash.Dash) -> None:
    """Wire the upload preview and the Apply button."""
    app.callback(Output(ids.ADMIN_IMPORT_PREVIEW, "children"), Output(ids.ADMIN_IMPORT_APPLY, "disabled"),
                 Input(ids.ADMIN_IMPORT_UPLOAD, "contents"), State(ids.ADMIN_IMPORT_UPLOAD, "filename"))(
        update_admin_import_preview)
    app.callback(Output(ids.ADMIN_IMPORT_RESULT, "children"), Output(ids.ADMIN_IMPORT_UPLOAD, "contents"),
                 Input(ids.ADMIN_IMPORT_APPLY, "n_clicks"), State(ids.ADMIN_IMPORT_UPLOAD, "contents"),
                 State(ids.ADMIN_IMPORT_UPLOAD, "filename"), prevent_initial_call=True)(save_admin_import)
