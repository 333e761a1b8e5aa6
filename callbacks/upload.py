"""Callbacks of the spreadsheet upload page: template links, the preview of an uploaded file, applying it."""
from __future__ import annotations

import base64
import binascii
from typing import Any

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate
from sqlalchemy.exc import IntegrityError

from callbacks.public import parse_month
from extensions import current_actor, db_session
from layouts import ids
from layouts._upload import template_href, upload_preview
from layouts._worklists import alert
from models.importer import ImportResult, apply_import, display_name, preview_import

SIGNED_OUT = "You are no longer signed in. Sign in again in another tab, then upload the file again."


def decode_upload(contents: Any) -> bytes | None:
    """The bytes of a dcc.Upload `contents` data URL ("data:...;base64,..."), or None when it is not one."""
    if not isinstance(contents, str) or "," not in contents:
        return None
    head, data = contents.split(",", 1)
    if not head.startswith("data:") or not head.endswith(";base64"):
        return None
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def update_entry_upload_template_links(month: Any) -> tuple[str, str]:
    """The template links for the chosen month."""
    period = parse_month(month)
    if period is None:
        raise PreventUpdate
    return template_href("csv", period), template_href("xlsx", period)


def _message(result: ImportResult, applied: bool = False):
    """What the preview (or applying) says, announced in the live region."""
    if applied:
        return alert("success", f"Saved. {result.summary()} New and corrected figures now await approval by the "
                                "performance team.")
    if result.problems:
        rejected = result.count("rejected")
        if rejected:
            return alert("error", f"Nothing can be applied yet: {rejected} row{'s' if rejected != 1 else ''} "
                                  f"{'are' if rejected != 1 else 'is'} rejected (see the Problem column). Fix "
                                  f"{'them' if rejected != 1 else 'it'} in your spreadsheet and upload it again.")
        return alert("error", "The file cannot be used: " + " ".join(p.reason for p in result.file_problems))
    if result.count("new") + result.count("correction") == 0:
        return alert("info", f"{result.summary()} Every figure is already stored as in the file: there is nothing "
                             "to apply.")
    return alert("info", f"Checked. {result.summary()} Apply to save them.", announce=True)


def preview_entry_upload(contents: Any, filename: Any):
    """Check the uploaded file and show what applying it would do; Apply is enabled only when no row is rejected."""
    if contents is None:
        raise PreventUpdate
    actor = current_actor()
    if actor is None:
        return dash.no_update, True, None, alert("error", SIGNED_OUT)
    content = decode_upload(contents)
    name = display_name(filename)
    if content is None:
        return (dash.no_update, True, None,
                alert("error", f"{name}: the file did not arrive whole. Choose it again."))
    with db_session() as session:
        result = preview_import(session, actor, name, content)
        session.rollback()
    can_apply = result.can_apply and result.count("new") + result.count("correction") > 0
    checked = {"fingerprint": result.fingerprint, "filename": name} if can_apply else None
    return upload_preview(result), not can_apply, checked, _message(result)


def apply_entry_upload(n_clicks: Any, contents: Any, filename: Any, checked: Any):
    """Apply the previewed file: all rows in one transaction, only while the preview shown still holds."""
    if not n_clicks:
        raise PreventUpdate
    actor = current_actor()
    if actor is None:
        return alert("error", SIGNED_OUT), dash.no_update, dash.no_update, dash.no_update
    content = decode_upload(contents)
    name = display_name(filename)
    if content is None or not isinstance(checked, dict) or checked.get("filename") != name:
        return (alert("error", "Upload a file and check its preview first."), dash.no_update, True, None)
    try:
        with db_session() as session:
            result = apply_import(session, actor, name, content, expected=str(checked.get("fingerprint") or ""))
            if not result.applied:
                session.rollback()
    except IntegrityError:
        return (alert("error", "Someone saved some of these months at the same moment. Nothing was written: upload "
                               "the file again to see the new preview."), dash.no_update, True, None)
    if result.applied:
        return _message(result, applied=True), upload_preview(result), True, None
    changed = alert("warning", "The stored figures changed since this preview (someone saved some of these months). "
                               "Nothing was written: check the new preview below, then apply again.")
    can_apply = result.can_apply and result.count("new") + result.count("correction") > 0
    fresh = {"fingerprint": result.fingerprint, "filename": name} if can_apply else None
    return changed, upload_preview(result), not can_apply, fresh


def register(app: dash.Dash) -> None:
    """Wire the upload page's callbacks."""
    app.callback(
        Output(ids.ENTRY_UPLOAD_TEMPLATE_CSV, "href"), Output(ids.ENTRY_UPLOAD_TEMPLATE_XLSX, "href"),
        Input(ids.ENTRY_UPLOAD_MONTH, "value"), prevent_initial_call=True,
    )(update_entry_upload_template_links)
    app.callback(
        Output(ids.ENTRY_UPLOAD_PREVIEW, "children"), Output(ids.ENTRY_UPLOAD_APPLY, "disabled"),
        Output(ids.ENTRY_UPLOAD_CHECKED, "data"), Output(ids.ENTRY_UPLOAD_RESULT, "children"),
        Input(ids.ENTRY_UPLOAD, "contents"), State(ids.ENTRY_UPLOAD, "filename"),
        prevent_initial_call=True,
    )(preview_entry_upload)
    app.callback(
        Output(ids.ENTRY_UPLOAD_RESULT, "children", allow_duplicate=True),
        Output(ids.ENTRY_UPLOAD_PREVIEW, "children", allow_duplicate=True),
        Output(ids.ENTRY_UPLOAD_APPLY, "disabled", allow_duplicate=True),
        Output(ids.ENTRY_UPLOAD_CHECKED, "data", allow_duplicate=True),
        Input(ids.ENTRY_UPLOAD_APPLY, "n_clicks"), State(ids.ENTRY_UPLOAD, "contents"),
        State(ids.ENTRY_UPLOAD, "filename"), State(ids.ENTRY_UPLOAD_CHECKED, "data"),
        prevent_initial_call=True,
    )(apply_entry_upload)
