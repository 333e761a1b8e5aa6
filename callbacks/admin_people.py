"""Callbacks of the admin pages for departments, accounts (with one-time links), events on charts and the audit log.

Thin: each reads the page, calls one service in models/ inside one transaction, and says what happened. On a refused
save nothing typed is touched (the form keeps its values); lists reload only after a change was committed.
"""
from __future__ import annotations

import logging
import smtplib
from typing import Any
from urllib.parse import urlencode

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate
from flask import current_app, request

import mail
from extensions import current_actor, db_session
from layouts import ids
from layouts._admin_people import (
    ANY,
    NEW,
    NO_DEPARTMENT,
    account_options,
    account_state,
    accounts_table,
    annotation_options,
    annotations_table,
    audit_table,
    department_options,
    departments_table,
    issued_link,
)
from layouts._worklists import alert, when
from models.admin_people import (
    IssuedLink,
    account_list,
    change_account,
    create_department,
    department_list,
    force_password_reset,
    invite_user,
    set_account_active,
    update_department,
)
from models.annotations import (
    annotation_list,
    create_annotation,
    delete_annotation,
    scope_choices,
    update_annotation,
)
from models.audit_log import AuditFilter, audit_choices, audit_events
from models.catalog import Annotation
from models.errors import NotFound, PermissionDenied, ValidationError
from models.org import Department, User

log = logging.getLogger("recoverystat.admin")
KEEP = dash.no_update
SIGNED_OUT = "Your session has ended. Sign in again (in another tab, to keep what you typed here), then save."
LINK_FIELD = "admin-issued-link"


def _id(raw: Any) -> int | None:
    """A record id from a select's value ("12"), or None for "new", empty or anything else."""
    text = str(raw or "")
    return int(text) if text.isdigit() else None


def _refused(error: Exception) -> Any:
    message = getattr(error, "message", str(error))
    return alert("error", f"{message} Nothing was saved; what you typed is still in the form.")


# Departments ---------------------------------------------------------------------------------------------------


def update_admin_dept_list(_changed: Any):
    """The table of departments and the choices of the department to change."""
    with db_session() as session:
        rows = department_list(session)
    return departments_table(rows), department_options(rows, new_label="New department or agency")


def update_admin_dept_form(pick: str | None):
    """The form filled with the chosen department (slug fixed), or empty for a new one."""
    department_id = _id(pick)
    if department_id is None:
        return "", False, "", "city-parish", "", ""
    with db_session() as session:
        department = session.get(Department, department_id)
        if department is None:
            return "", False, "", "city-parish", "", ""
        return (department.slug, True, department.name, department.kind, department.contact_name or "",
                department.contact_email or "")


def save_admin_dept(n_clicks: int | None, pick: str | None, slug: str | None, name: str | None, kind: str | None,
                    contact_name: str | None, contact_email: str | None, changed: int | None):
    """Create the department or save the chosen one; on a refusal say why and keep the form."""
    if not n_clicks:
        raise PreventUpdate
    actor = current_actor()
    if actor is None:
        return alert("error", SIGNED_OUT), KEEP, KEEP
    department_id = _id(pick)
    try:
        with db_session() as session:
            if department_id is None:
                department = create_department(session, actor, slug=slug, name=name, kind=kind,
                                               contact_name=contact_name, contact_email=contact_email)
                done = f"Added {department.name} ({department.slug})."
            else:
                department = update_department(session, actor, department_id=department_id, name=name, kind=kind,
                                               contact_name=contact_name, contact_email=contact_email)
                done = f"Saved {department.name}."
            new_id = department.id
    except (ValidationError, NotFound, PermissionDenied) as error:
        return _refused(error), KEEP, KEEP
    return alert("success", done), (changed or 0) + 1, str(new_id)


# Accounts ------------------------------------------------------------------------------------------------------


def update_admin_account_list(_invited: Any, _changed: Any):
    """The table of accounts, the account choices and the department choices of both forms."""
    with db_session() as session:
        accounts = account_list(session)
        departments = department_list(session)
    choices = department_options(departments, none_label="No department")
    return accounts_table(accounts), account_options(accounts), choices, choices


def update_admin_account_form(pick: str | None, _changed: Any):
    """The chosen account's state, role and department, and which buttons apply to it."""
    user_id = _id(pick)
    with db_session() as session:
        row = next((r for r in account_list(session) if r.id == user_id), None) if user_id else None
    if row is None:
        return account_state(None), KEEP, KEEP, "Deactivate", True, True, True
    department = str(row.department_id) if row.department_id else NO_DEPARTMENT
    toggle = "Deactivate" if row.active else "Reactivate"
    return account_state(row), row.role, department, toggle, False, False, not row.active


def _link_message(link: IssuedLink) -> Any:
    """The link to pass on, emailed too when mail is set up (a failed email is said, the link still shown)."""
    url = request.host_url.rstrip("/") + link.path()
    settings = mail.mail_settings_or_none(current_app.config)
    emailed = None
    if settings is not None:
        try:
            mail.send_message(settings, mail.link_message(settings, to=link.email, display_name=link.display_name, link=url,
                                                  purpose=link.purpose, expires=when(link.expires_at)))
            emailed = f"It was also emailed to {link.email}."
        except (OSError, smtplib.SMTPException) as error:
            log.warning("could not email a one-time link to %s: %s", link.email, error)
            emailed = f"Emailing it to {link.email} failed ({error.__class__.__name__}), so pass it on yourself."
    return issued_link(link, url, LINK_FIELD, emailed)


def save_admin_invite(n_clicks: int | None, email: str | None, name: str | None, role: str | None,
                      department: str | None, done: int | None):
    """Create the account and its one-time link; show the link (and email it when mail is set up)."""
    if not n_clicks:
        raise PreventUpdate
    actor = current_actor()
    if actor is None:
        return alert("error", SIGNED_OUT), KEEP, KEEP, KEEP
    try:
        with db_session() as session:
            link = invite_user(session, actor, email=email, display_name=name, role=role,
                               department_id=_id(department))
    except (ValidationError, NotFound, PermissionDenied) as error:
        return _refused(error), KEEP, KEEP, KEEP
    message = alert("success", f"Account created for {link.display_name}. They set their own password with the "
                               "link below, then sign in.", _link_message(link))
    return message, (done or 0) + 1, "", ""


def save_admin_account(_save: int | None, _toggle: int | None, _reset: int | None, pick: str | None,
                       role: str | None, department: str | None, changed: int | None):
    """Save the role and department, deactivate or reactivate, or reset the password of the chosen account."""
    pressed = dash.ctx.triggered_id
    if pressed not in (ids.ADMIN_ACCOUNT_SAVE, ids.ADMIN_ACCOUNT_TOGGLE, ids.ADMIN_ACCOUNT_RESET):
        raise PreventUpdate
    return change_chosen_account(str(pressed), _id(pick), role, department, changed or 0)


def change_chosen_account(action: str, user_id: int | None, role: str | None, department: str | None,
                          changed: int) -> tuple[Any, Any]:
    """The message and the reload trigger after one account action (bumped only when something changed)."""
    actor = current_actor()
    if actor is None:
        return alert("error", SIGNED_OUT), KEEP
    if user_id is None:
        return alert("error", "Choose an account first."), KEEP
    try:
        with db_session() as session:
            if action == ids.ADMIN_ACCOUNT_SAVE:
                user = change_account(session, actor, user_id=user_id, role=role, department_id=_id(department))
                message = alert("success", f"Saved: {user.display_name} is now "
                                           f"{user.role}{' in ' + user.department.name if user.department else ''}.")
            elif action == ids.ADMIN_ACCOUNT_TOGGLE:
                current = session.get(User, user_id)
                if current is None:
                    raise NotFound("That account no longer exists. Reload the page.")
                user = set_account_active(session, actor, user_id=user_id, active=not current.active)
                message = alert("success", f"{user.display_name}'s account is reactivated. If they have no password, "
                                           "send them a new link." if user.active else
                                f"{user.display_name}'s account is deactivated and they are signed out everywhere.")
            else:
                link = force_password_reset(session, actor, user_id=user_id)
                message = None
    except (ValidationError, NotFound, PermissionDenied) as error:
        return alert("error", getattr(error, "message", str(error))), KEEP
    if message is None:
        message = alert("success", f"{link.display_name} is signed out everywhere and their old password no longer "
                                   "works. They set a new one with this link:", _link_message(link))
    return message, changed + 1


# Events on charts ----------------------------------------------------------------------------------------------


def update_admin_note_list(_changed: Any):
    """The table of events, the choices of the event to change and of where an event is shown."""
    with db_session() as session:
        rows = annotation_list(session)
        scopes = scope_choices(session)
    return (annotations_table(rows), annotation_options(rows),
            [{"label": label, "value": value} for value, label in scopes])


def update_admin_note_form(pick: str | None):
    """The form filled with the chosen event, or empty for a new one (delete offered only for an existing one)."""
    annotation_id = _id(pick)
    if annotation_id is not None:
        with db_session() as session:
            note = session.get(Annotation, annotation_id)
            if note is not None:
                scope = (f"measure:{note.measure_id}" if note.measure_id else
                         f"goal:{note.goal_id}" if note.goal_id else "none")
                return note.event_date.isoformat(), note.text, scope, note.citation, False
    return "", "", "none", "", True


def save_admin_note(_save: int | None, _delete: int | None, pick: str | None, event_date: str | None,
                    text: str | None, scope: str | None, source: str | None, changed: int | None):
    """Create, save or delete the chosen event; on a refusal say why and keep the form."""
    pressed = dash.ctx.triggered_id
    if pressed not in (ids.ADMIN_NOTE_SAVE, ids.ADMIN_NOTE_DELETE):
        raise PreventUpdate
    actor = current_actor()
    if actor is None:
        return alert("error", SIGNED_OUT), KEEP, KEEP
    annotation_id = _id(pick)
    try:
        with db_session() as session:
            if pressed == ids.ADMIN_NOTE_DELETE:
                if annotation_id is None:
                    return alert("error", "Choose the event to delete first."), KEEP, KEEP
                gone = delete_annotation(session, actor, annotation_id=annotation_id)
                return (alert("success", f"Deleted the event of {gone['date']}. The audit log keeps what it said."),
                        (changed or 0) + 1, NEW)
            if annotation_id is None:
                note = create_annotation(session, actor, event_date=event_date, text=text, scope=scope,
                                         source=source)
                done = "Added the event; it is on the charts now."
            else:
                note = update_annotation(session, actor, annotation_id=annotation_id, event_date=event_date,
                                         text=text, scope=scope, source=source)
                done = "Saved the event; the charts show it now."
            new_id = note.id
    except (ValidationError, NotFound, PermissionDenied) as error:
        return _refused(error), KEEP, KEEP
    return alert("success", done), (changed or 0) + 1, str(new_id)


# Audit log -----------------------------------------------------------------------------------------------------


def update_admin_audit_choices(_load: Any):
    """The people and kinds of action present in the log, for its filters."""
    actor = current_actor()
    with db_session() as session:
        people, actions = audit_choices(session, actor)
    return ([{"label": "Everyone", "value": ANY}, *({"label": p, "value": p} for p in people)],
            [{"label": "Every kind", "value": ANY}, *({"label": a, "value": a} for a in actions)])


def update_admin_audit(person: str | None, action: str | None, start: str | None, end: str | None):
    """The matching events and the CSV link carrying the same filters."""
    actor = current_actor()
    try:
        chosen = AuditFilter.parse(None if person == ANY else person, None if action == ANY else action, start, end)
    except ValidationError as error:
        return alert("error", error.message), KEEP
    with db_session() as session:
        rows, total = audit_events(session, actor, chosen)
    query = urlencode(chosen.query_args())
    return audit_table(rows, total), "/admin/audit.csv" + (f"?{query}" if query else "")


def register(app: dash.Dash) -> None:
    """Wire the four admin pages."""
    app.callback(Output(ids.ADMIN_DEPT_LIST, "children"), Output(ids.ADMIN_DEPT_PICK, "options"),
                 Input(ids.ADMIN_DEPT_CHANGED, "data"))(update_admin_dept_list)
    app.callback(Output(ids.ADMIN_DEPT_SLUG, "value"), Output(ids.ADMIN_DEPT_SLUG, "disabled"),
                 Output(ids.ADMIN_DEPT_NAME, "value"), Output(ids.ADMIN_DEPT_KIND, "value"),
                 Output(ids.ADMIN_DEPT_CONTACT_NAME, "value"), Output(ids.ADMIN_DEPT_CONTACT_EMAIL, "value"),
                 Input(ids.ADMIN_DEPT_PICK, "value"))(update_admin_dept_form)
    app.callback(
        Output(ids.ADMIN_DEPT_RESULT, "children"), Output(ids.ADMIN_DEPT_CHANGED, "data"),
        Output(ids.ADMIN_DEPT_PICK, "value"),
        Input(ids.ADMIN_DEPT_SAVE, "n_clicks"),
        State(ids.ADMIN_DEPT_PICK, "value"), State(ids.ADMIN_DEPT_SLUG, "value"), State(ids.ADMIN_DEPT_NAME, "value"),
        State(ids.ADMIN_DEPT_KIND, "value"), State(ids.ADMIN_DEPT_CONTACT_NAME, "value"),
        State(ids.ADMIN_DEPT_CONTACT_EMAIL, "value"), State(ids.ADMIN_DEPT_CHANGED, "data"),
        prevent_initial_call=True,
    )(save_admin_dept)

    app.callback(Output(ids.ADMIN_ACCOUNT_LIST, "children"), Output(ids.ADMIN_ACCOUNT_PICK, "options"),
                 Output(ids.ADMIN_INVITE_DEPARTMENT, "options"), Output(ids.ADMIN_ACCOUNT_DEPARTMENT, "options"),
                 Input(ids.ADMIN_INVITE_DONE, "data"), Input(ids.ADMIN_ACCOUNT_CHANGED, "data"))(
        update_admin_account_list)
    app.callback(Output(ids.ADMIN_ACCOUNT_STATE, "children"), Output(ids.ADMIN_ACCOUNT_ROLE, "value"),
                 Output(ids.ADMIN_ACCOUNT_DEPARTMENT, "value"), Output(ids.ADMIN_ACCOUNT_TOGGLE, "children"),
                 Output(ids.ADMIN_ACCOUNT_SAVE, "disabled"), Output(ids.ADMIN_ACCOUNT_TOGGLE, "disabled"),
                 Output(ids.ADMIN_ACCOUNT_RESET, "disabled"),
                 Input(ids.ADMIN_ACCOUNT_PICK, "value"), Input(ids.ADMIN_ACCOUNT_CHANGED, "data"))(
        update_admin_account_form)
    app.callback(
        Output(ids.ADMIN_INVITE_RESULT, "children"), Output(ids.ADMIN_INVITE_DONE, "data"),
        Output(ids.ADMIN_INVITE_EMAIL, "value"), Output(ids.ADMIN_INVITE_NAME, "value"),
        Input(ids.ADMIN_INVITE_SEND, "n_clicks"),
        State(ids.ADMIN_INVITE_EMAIL, "value"), State(ids.ADMIN_INVITE_NAME, "value"),
        State(ids.ADMIN_INVITE_ROLE, "value"), State(ids.ADMIN_INVITE_DEPARTMENT, "value"),
        State(ids.ADMIN_INVITE_DONE, "data"),
        prevent_initial_call=True,
    )(save_admin_invite)
    app.callback(
        Output(ids.ADMIN_ACCOUNT_RESULT, "children"), Output(ids.ADMIN_ACCOUNT_CHANGED, "data"),
        Input(ids.ADMIN_ACCOUNT_SAVE, "n_clicks"), Input(ids.ADMIN_ACCOUNT_TOGGLE, "n_clicks"),
        Input(ids.ADMIN_ACCOUNT_RESET, "n_clicks"),
        State(ids.ADMIN_ACCOUNT_PICK, "value"), State(ids.ADMIN_ACCOUNT_ROLE, "value"),
        State(ids.ADMIN_ACCOUNT_DEPARTMENT, "value"), State(ids.ADMIN_ACCOUNT_CHANGED, "data"),
        prevent_initial_call=True,
    )(save_admin_account)

    app.callback(Output(ids.ADMIN_NOTE_LIST, "children"), Output(ids.ADMIN_NOTE_PICK, "options"),
                 Output(ids.ADMIN_NOTE_SCOPE, "options"), Input(ids.ADMIN_NOTE_CHANGED, "data"))(
        update_admin_note_list)
    app.callback(Output(ids.ADMIN_NOTE_DATE, "value"), Output(ids.ADMIN_NOTE_TEXT, "value"),
                 Output(ids.ADMIN_NOTE_SCOPE, "value"), Output(ids.ADMIN_NOTE_SOURCE, "value"),
                 Output(ids.ADMIN_NOTE_DELETE_BUTTON, "disabled"),
                 Input(ids.ADMIN_NOTE_PICK, "value"))(update_admin_note_form)
    app.callback(
        Output(ids.ADMIN_NOTE_RESULT, "children"), Output(ids.ADMIN_NOTE_CHANGED, "data"),
        Output(ids.ADMIN_NOTE_PICK, "value"),
        Input(ids.ADMIN_NOTE_SAVE, "n_clicks"), Input(ids.ADMIN_NOTE_DELETE, "submit_n_clicks"),
        State(ids.ADMIN_NOTE_PICK, "value"), State(ids.ADMIN_NOTE_DATE, "value"), State(ids.ADMIN_NOTE_TEXT, "value"),
        State(ids.ADMIN_NOTE_SCOPE, "value"), State(ids.ADMIN_NOTE_SOURCE, "value"),
        State(ids.ADMIN_NOTE_CHANGED, "data"),
        prevent_initial_call=True,
    )(save_admin_note)

    app.callback(Output(ids.ADMIN_AUDIT_PERSON, "options"), Output(ids.ADMIN_AUDIT_ACTION, "options"),
                 Input(ids.ADMIN_AUDIT_LOAD, "data"))(update_admin_audit_choices)
    app.callback(Output(ids.ADMIN_AUDIT_LIST, "children"), Output(ids.ADMIN_AUDIT_DOWNLOAD, "href"),
                 Input(ids.ADMIN_AUDIT_PERSON, "value"), Input(ids.ADMIN_AUDIT_ACTION, "value"),
                 Input(ids.ADMIN_AUDIT_FROM, "value"), Input(ids.ADMIN_AUDIT_TO, "value"))(update_admin_audit)
