"""Pure builders for the admin pages of departments, accounts, annotations and the audit log: tables and choices."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import dash_bootstrap_components as dbc
from dash import html

from layouts._worklists import scroll_region, when
from models.admin_people import AccountRow, DepartmentRow, IssuedLink
from models.annotations import AnnotationRow
from models.audit_log import AuditRow
from models.org import DEPARTMENT_KIND_LABELS, DEPARTMENT_KINDS, ROLE_LABELS, ROLES

NEW = "new"
NO_DEPARTMENT = "none"  # (a select shows an empty value as blank, so "no department" has a value of its own)
ANY = "*"  # the audit filters' "everyone" and "every kind" (no person or action is named "*")
KIND_OPTIONS = [{"label": DEPARTMENT_KIND_LABELS[k], "value": k} for k in DEPARTMENT_KINDS]
ROLE_OPTIONS = [{"label": ROLE_LABELS[r], "value": r} for r in ROLES]


def _header(*names: str) -> html.Thead:
    return html.Thead(html.Tr([html.Th(name, scope="col") for name in names]))


def _empty(columns: int, text: str) -> html.Tr:
    return html.Tr(html.Td(text, colSpan=columns))


def department_options(rows: Sequence[DepartmentRow], *, new_label: str | None = None,
                       none_label: str | None = None) -> list[dict[str, str]]:
    """Select options of departments (value: id as text), optionally led by "new" or "no department"."""
    options = [{"label": new_label, "value": NEW}] if new_label else []
    if none_label:
        options.append({"label": none_label, "value": NO_DEPARTMENT})
    return options + [{"label": f"{r.name} ({r.kind_label})", "value": str(r.id)} for r in rows]


def departments_table(rows: Sequence[DepartmentRow]) -> html.Div:
    """Every department and partner agency: name, slug, kind, contact, accounts and measures."""
    body = [html.Tr([html.Th(r.name, scope="row"), html.Td(html.Code(r.slug)), html.Td(r.kind_label),
                     html.Td(r.contact_name or "—"), html.Td(r.contact_email or "—"), html.Td(str(r.accounts)),
                     html.Td(str(r.measures))]) for r in rows] or [_empty(7, "No departments yet.")]
    return html.Div(html.Table([
        html.Caption(f"{len(rows)} departments and partner agencies"),
        _header("Name", "Slug", "Kind", "Contact", "Contact email", "Accounts", "Measures"),
        html.Tbody(body)], className="table table-sm align-middle"), **scroll_region("Departments and agencies"))


def account_options(rows: Sequence[AccountRow]) -> list[dict[str, str]]:
    """Select options of accounts (value: id as text), with their email and state."""
    return [{"label": f"{r.display_name} <{r.email}>{'' if r.state == 'Active' else ' - ' + r.state.lower()}",
             "value": str(r.id)} for r in rows]


def accounts_table(rows: Sequence[AccountRow]) -> html.Div:
    """Every account: name, email, role, department, state and last sign-in (never a password)."""
    def state(r: AccountRow) -> str:
        if r.active and not r.has_password:
            return (f"{r.state}; link valid until {when(r.link_expires_at)}" if r.link_expires_at
                    else f"{r.state}; no valid link: send a new one")
        return r.state
    body = [html.Tr([html.Th(r.display_name, scope="row"), html.Td(r.email), html.Td(r.role_label),
                     html.Td(r.department_name or "—"), html.Td(state(r)),
                     html.Td(when(r.last_login_at) if r.last_login_at else "Never")]) for r in rows] \
        or [_empty(6, "No accounts yet.")]
    return html.Div(html.Table([
        html.Caption(f"{len(rows)} accounts"),
        _header("Name", "Email", "Role", "Department", "State", "Last sign-in"),
        html.Tbody(body)], className="table table-sm align-middle"), **scroll_region("Accounts"))


def account_state(row: AccountRow | None) -> str:
    """One sentence on the chosen account's state."""
    if row is None:
        return "Choose an account to change it."
    text = f"{row.display_name} ({row.email}) is {row.role_label}"
    text += f" in {row.department_name}" if row.department_name else ""
    text += f". State: {row.state}."
    if row.active and not row.has_password and row.link_expires_at:
        text += f" Their link is valid until {when(row.link_expires_at)}."
    return text


def issued_link(link: IssuedLink, url: str, field_id: str, emailed: str | None) -> html.Div:
    """The one-time link just issued, to copy and pass on, with when it expires and whether it was emailed."""
    return html.Div([
        html.Label(f"One-time link for {link.display_name} ({link.email}): copy it and pass it on", htmlFor=field_id,
                   className="form-label fw-semibold"),
        dbc.Input(id=field_id, value=url, readonly=True, type="text", className="font-monospace"),
        html.P([f"It works once and expires on {when(link.expires_at)}. It is not shown again: if it is lost, send "
                "a new one. ", emailed or "Mail is not set up on this server, so it was not emailed."],
               id=f"{field_id}-hint", className="small mt-1 mb-0"),
    ])


def annotation_options(rows: Sequence[AnnotationRow]) -> list[dict[str, str]]:
    """Select options of events (value: id as text), led by "new"."""
    def short(text: str) -> str:
        return text if len(text) <= 70 else text[:69] + "…"
    return [{"label": "New event", "value": NEW}] + [
        {"label": f"{r.event_date.isoformat()}: {short(r.text)}", "value": str(r.id)} for r in rows]


def annotations_table(rows: Sequence[AnnotationRow]) -> html.Div:
    """Every event: date, text, where it is shown and its source, newest first."""
    body = [html.Tr([html.Th(r.event_date.strftime("%d %B %Y").lstrip("0"), scope="row"), html.Td(r.text),
                     html.Td(r.scope_label), html.Td(r.source)]) for r in rows] or [_empty(4, "No events yet.")]
    return html.Div(html.Table([
        html.Caption(f"{len(rows)} events, newest first"),
        _header("Date", "What happened", "Shown on", "Source"),
        html.Tbody(body)], className="table table-sm align-middle"), **scroll_region("Events on charts"))


def _change(row: AuditRow) -> str:
    """Before and after of an event as compact text (only what changed, when both are there)."""
    before, after = row.before or {}, row.after or {}
    if before and after:
        keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]
        return "; ".join(f"{k}: {json.dumps(before.get(k), ensure_ascii=False)} → "
                         f"{json.dumps(after.get(k), ensure_ascii=False)}" for k in keys)
    shown = after or before
    prefix = "was " if before and not after else ""
    return prefix + "; ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in sorted(shown.items()))


def audit_table(rows: Sequence[AuditRow], total: int) -> html.Div:
    """The matching audit events, newest first, with who, when, what and the change."""
    def at(moment: datetime) -> str:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    body = [html.Tr([html.Td(at(r.at)), html.Td(r.person), html.Td(html.Code(r.action)),
                     html.Td(f"{r.entity_type} {r.entity_id}" if r.entity_id else r.entity_type),
                     html.Td(_change(r), className="small text-break")]) for r in rows] \
        or [_empty(5, "No events match these filters.")]
    caption = (f"{total:,} matching events" if len(rows) == total
               else f"{total:,} matching events; the newest {len(rows):,} are shown (download the CSV for all)")
    return html.Div(html.Table([
        html.Caption(caption), _header("When (UTC)", "Who", "Action", "Record", "Change"),
        html.Tbody(body)], className="table table-sm align-middle"), **scroll_region("Audit events"))
