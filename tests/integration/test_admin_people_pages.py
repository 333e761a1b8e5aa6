"""The admin pages for departments, accounts, events on charts and the audit log, through the callback endpoint and
the routes (SQLite and PostgreSQL): refused on the server for everyone but admins with nothing changed, each change
audited, the one-time link single-use and refused when bad, used, expired or posted from another site, the audit CSV
filtered, neutralised and admin-only."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from test_send_reminders import free_port, smtp  # noqa: F401  (smtp: a real SMTP server fixture)

from conftest import TEST_PASSWORD, TEST_USERS, app_config, login, post_login
from models.audit import AuditEvent
from models.base import make_engine, make_session_factory, utcnow
from models.catalog import Annotation, Measure
from models.org import Department, Invitation, User

UPDATE = "/_dash-update-component"
NEW_PASSWORD = "river-levee-harbour-lantern"


def key(outputs: list[tuple[str, str]]) -> str:
    """The callback_map key of these outputs (a single output is named plainly)."""
    if len(outputs) == 1:
        return f"{outputs[0][0]}.{outputs[0][1]}"
    return "..." .join(f"{i}.{p}" for i, p in outputs).join(("..", ".."))


def call(client, outputs: list[tuple[str, str]], inputs: list[tuple[str, str, object]],
         state: list[tuple[str, str, object]] = (), changed: str | None = None):
    """POST a multi-output callback the way the renderer does."""
    body = {
        "output": key(outputs),
        "outputs": [{"id": i, "property": p} for i, p in outputs] if len(outputs) > 1
        else {"id": outputs[0][0], "property": outputs[0][1]},
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
        "changedPropIds": [changed or f"{inputs[0][0]}.{inputs[0][1]}"],
    }
    return client.post(UPDATE, json=body)


def text_of(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    return json.dumps(response.get_json()["response"])


def save_department(client, pick="new", slug="la-housing", name="Louisiana Housing Corporation", kind="state",
                    contact_name="Lee Contact", contact_email="lee@example.org"):
    return call(client, [("admin-dept-result", "children"), ("admin-dept-changed", "data"), ("admin-dept-pick", "value")],
                [("admin-dept-save", "n_clicks", 1)],
                [("admin-dept-pick", "value", pick), ("admin-dept-slug", "value", slug),
                 ("admin-dept-name", "value", name), ("admin-dept-kind", "value", kind),
                 ("admin-dept-contact-name", "value", contact_name),
                 ("admin-dept-contact-email", "value", contact_email), ("admin-dept-changed", "data", 0)])


def invite(client, email="new.editor@example.org", name="New Editor", role="editor", department=""):
    return call(client, [("admin-invite-result", "children"), ("admin-invite-done", "data"),
                         ("admin-invite-email", "value"), ("admin-invite-name", "value")],
                [("admin-invite-send", "n_clicks", 1)],
                [("admin-invite-email", "value", email), ("admin-invite-name", "value", name),
                 ("admin-invite-role", "value", role), ("admin-invite-department", "value", department),
                 ("admin-invite-done", "data", 0)])


def account_action(client, button, user_id, role="viewer", department=""):
    return call(client, [("admin-account-result", "children"), ("admin-account-changed", "data")],
                [("admin-account-save", "n_clicks", 1 if button == "admin-account-save" else None),
                 ("admin-account-toggle", "n_clicks", 1 if button == "admin-account-toggle" else None),
                 ("admin-account-reset", "n_clicks", 1 if button == "admin-account-reset" else None)],
                [("admin-account-pick", "value", str(user_id)), ("admin-account-role", "value", role),
                 ("admin-account-department", "value", department), ("admin-account-changed", "data", 0)],
                changed=f"{button}.n_clicks")


def save_note(client, button="admin-note-save", pick="new", date="2026-02-03", text="Repair grants reopen.",
              scope="none", source="OCD"):
    return call(client, [("admin-note-result", "children"), ("admin-note-changed", "data"), ("admin-note-pick", "value")],
                [("admin-note-save", "n_clicks", 1 if button == "admin-note-save" else None),
                 ("admin-note-delete", "submit_n_clicks", 1 if button == "admin-note-delete" else None)],
                [("admin-note-pick", "value", pick), ("admin-note-date", "value", date),
                 ("admin-note-text", "value", text), ("admin-note-scope", "value", scope),
                 ("admin-note-source", "value", source), ("admin-note-changed", "data", 0)],
                changed=f"{button}.{'n_clicks' if button == 'admin-note-save' else 'submit_n_clicks'}")


def audit_list(client, person="", action="", start="", end=""):
    return call(client, [("admin-audit-list", "children"), ("admin-audit-download", "href")],
                [("admin-audit-person", "value", person), ("admin-audit-action", "value", action),
                 ("admin-audit-from", "value", start), ("admin-audit-to", "value", end)])


class Db:
    """A second connection to the test database, to check what was committed."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def __enter__(self):
        self.session = self.sessions()
        return self.session

    def __exit__(self, *exc):
        self.session.close()


@pytest.fixture
def db(db_url):
    database = Db(db_url)
    yield database
    database.engine.dispose()


def snapshot(session) -> dict:
    """Everything an admin action could change."""
    def rows(stmt):
        return [tuple(r) for r in session.execute(stmt).all()]
    return {
        "departments": rows(select(Department.id, Department.slug, Department.name, Department.kind,
                                   Department.contact_name, Department.contact_email).order_by(Department.id)),
        "users": rows(select(User.id, User.email, User.role, User.department_id, User.active, User.password_hash,
                             User.session_token).order_by(User.id)),
        "invitations": rows(select(Invitation.id, Invitation.used_at, Invitation.revoked_at).order_by(Invitation.id)),
        "annotations": rows(select(Annotation.id, Annotation.event_date, Annotation.text, Annotation.goal_id,
                                   Annotation.measure_id, Annotation.citation).order_by(Annotation.id)),
        "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
    }


def user_id(session, who: str) -> int:
    return session.scalar(select(User.id).where(User.email == TEST_USERS[who][0]))


# Refused for everyone but admins -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "viewer", "editor"], ids=lambda w: w or "anonymous")
def test_every_admin_action_is_refused_on_the_server_and_changes_nothing(client, db, who):
    with db as session:
        editor = user_id(session, "editor")
        admin = user_id(session, "admin")
        annotation = session.scalar(select(Annotation.id).limit(1))
        ocd = session.scalar(select(Department.id).where(Department.slug == "ocd"))
    if who:
        login(client, who)
    with db as session:
        before = snapshot(session)  # signing in is audited; the refused actions below must add nothing
    expected = 401 if who is None else 403
    attempts = {
        "create department": save_department(client),
        "edit department": save_department(client, pick=str(ocd), name="Renamed"),
        "invite": invite(client, department=str(ocd)),
        "change role": account_action(client, "admin-account-save", editor, role="admin"),
        "deactivate": account_action(client, "admin-account-toggle", admin),
        "reset password": account_action(client, "admin-account-reset", editor),
        "add event": save_note(client),
        "edit event": save_note(client, pick=str(annotation), text="Changed"),
        "delete event": save_note(client, button="admin-note-delete", pick=str(annotation)),
        "read audit log": audit_list(client),
        "list accounts": call(client, [("admin-account-list", "children"), ("admin-account-pick", "options"),
                                       ("admin-invite-department", "options"),
                                       ("admin-account-department", "options")],
                              [("admin-invite-done", "data", 0), ("admin-account-changed", "data", 0)]),
    }
    assert {name: r.status_code for name, r in attempts.items()} == dict.fromkeys(attempts, expected)
    csv_answer = client.get("/admin/audit.csv")
    if who is None:
        assert csv_answer.status_code == 302 and csv_answer.headers["Location"].startswith("/login?next=")
    else:
        assert csv_answer.status_code == 403
    for page in ("/admin/departments", "/admin/accounts", "/admin/annotations", "/admin/audit"):
        assert client.get(page).status_code == (302 if who is None else 403), page
    with db as session:
        assert snapshot(session) == before


# Departments ---------------------------------------------------------------------------------------------------


def test_an_admin_adds_and_edits_a_department_and_a_refused_save_keeps_the_form(client, db):
    login(client, "admin")
    answer = save_department(client, kind="nonprofit")
    assert "Added Louisiana Housing Corporation (la-housing)" in text_of(answer)
    new_id = answer.get_json()["response"]["admin-dept-pick"]["value"]
    with db as session:
        created = session.get(Department, int(new_id))
        assert (created.kind, created.contact_name, created.contact_email) == ("nonprofit", "Lee Contact",
                                                                              "lee@example.org")
    edited = save_department(client, pick=new_id, slug="ignored", name="LHC", kind="state", contact_email="")
    assert "Saved LHC" in text_of(edited)

    refused = save_department(client, slug="ocd")
    body = refused.get_json()["response"]
    assert "exists already" in json.dumps(body) and "Nothing was saved" in json.dumps(body)
    assert set(body) == {"admin-dept-result"}, "nothing typed is replaced on a refused save"
    with db as session:
        assert session.get(Department, int(new_id)).slug == "la-housing", "the slug is fixed once created"
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "department")))
        assert actions == ["department.create", "department.update"]
    listed = call(client, [("admin-dept-list", "children"), ("admin-dept-pick", "options")],
                  [("admin-dept-changed", "data", 1)])
    assert "LHC" in text_of(listed) and "Nonprofit" not in json.dumps(listed.get_json()["response"]["admin-dept-list"])


# Accounts and the one-time link --------------------------------------------------------------------------------


def issued_token(answer) -> str:
    found = re.search(r"/invite/([A-Za-z0-9_-]{40,})", text_of(answer))
    assert found, text_of(answer)[:500]
    return found.group(1)


def test_an_invited_editor_sets_a_password_once_through_the_link_and_signs_in(client, dash_app, db):
    with db as session:
        ocd = session.scalar(select(Department.id).where(Department.slug == "ocd"))
    login(client, "admin")
    missing = invite(client, department="")
    assert "choose their department" in text_of(missing)
    assert set(missing.get_json()["response"]) == {"admin-invite-result"}
    answer = invite(client, department=str(ocd))
    response = answer.get_json()["response"]
    assert response["admin-invite-email"]["value"] == "" and "Mail is not set up" in text_of(answer)
    token = issued_token(answer)
    with db as session:
        stored = session.scalar(select(Invitation))
        assert stored.token_hash != token and token not in json.dumps([e.after for e in session.scalars(
            select(AuditEvent))], default=str)

    person = dash_app.server.test_client()
    form = person.get(f"/invite/{token}")
    assert form.status_code == 200 and "new.editor@example.org" in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store"
    assert '<meta name="referrer" content="same-origin">' in form.get_data(as_text=True), "the token stays here"
    foreign = person.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                          headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert foreign.status_code == 403
    forged = person.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert forged.status_code == 400 and "expired" in forged.get_data(as_text=True), "no form token: nothing set"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
    mismatch = person.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": "something-else-entirely",
                                                     "csrf_token": csrf})
    assert mismatch.status_code == 400 and "not the same" in mismatch.get_data(as_text=True)
    done = person.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD, "csrf_token": csrf})
    assert done.status_code == 302 and done.headers["Location"] == "/login?error=password-set"
    signed_in = post_login(person, {"email": "new.editor@example.org", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/entry"

    again = dash_app.server.test_client().get(f"/invite/{token}")
    assert again.status_code == 410 and "used already" in again.get_data(as_text=True)
    reuse = dash_app.server.test_client().post(f"/invite/{token}", data={"password": "x" * 20, "confirm": "x" * 20})
    assert reuse.status_code == 410 and "used already" in reuse.get_data(as_text=True)
    unknown = dash_app.server.test_client().get("/invite/not-a-real-link")
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_an_expired_link_is_refused_and_a_new_one_replaces_it(client, dash_app, db):
    login(client, "admin")
    token = issued_token(invite(client, email="late@example.org", name="Late", role="viewer"))
    with db as session:
        session.execute(update(Invitation).values(created_at=utcnow() - timedelta(days=9),
                                                  expires_at=utcnow() - timedelta(days=2)))
        session.commit()
        late = session.scalar(select(User.id).where(User.email == "late@example.org"))
    person = dash_app.server.test_client()
    expired = person.get(f"/invite/{token}")
    assert expired.status_code == 410 and "expired" in expired.get_data(as_text=True)
    posted = person.post(f"/invite/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert posted.status_code == 410 and "expired" in posted.get_data(as_text=True)
    newer = issued_token(account_action(client, "admin-account-reset", late))
    assert person.get(f"/invite/{token}").status_code == 410
    assert person.get(f"/invite/{newer}").status_code == 200


def test_role_changes_deactivation_and_forced_reset_end_access_and_the_last_admin_stays(client, dash_app, db):
    with db as session:
        editor, admin = user_id(session, "editor"), user_id(session, "admin")
        permits = session.scalar(select(Department.id).where(Department.slug == "permits"))
    staff = dash_app.server.test_client()
    login(staff, "editor")
    assert staff.get("/entry").status_code == 200
    login(client, "admin")

    moved = account_action(client, "admin-account-save", editor, role="editor", department=str(permits))
    assert "Saved" in text_of(moved) and moved.get_json()["response"]["admin-account-changed"]["data"] == 1
    off = account_action(client, "admin-account-toggle", editor)
    assert "deactivated" in text_of(off)
    assert staff.get("/entry").status_code == 302, "a deactivated person is signed out at once"
    on = account_action(client, "admin-account-toggle", editor)
    assert "reactivated" in text_of(on)

    login(staff, "editor")
    token = issued_token(account_action(client, "admin-account-reset", editor))
    assert staff.get("/entry").status_code == 302, "a forced reset ends the person's sessions"
    old = post_login(dash_app.server.test_client(), {"email": TEST_USERS["editor"][0],
                                                       "password": TEST_PASSWORD})
    assert "error=invalid" in old.headers["Location"], "the old password no longer works"
    assert dash_app.server.test_client().get(f"/invite/{token}").status_code == 200

    with db as session:  # the seed's second admin (the reviewer) has left: this admin is the last one
        session.execute(update(User).where(User.email == TEST_USERS["reviewer"][0]).values(active=False))
        session.commit()
    for button, role in (("admin-account-toggle", "admin"), ("admin-account-save", "viewer")):
        refused = account_action(client, button, admin, role=role)
        assert "last active admin" in text_of(refused)
        assert set(refused.get_json()["response"]) == {"admin-account-result"}
    with db as session:
        assert session.get(User, admin).active and session.get(User, admin).role == "admin"
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("user.%"))
                                       .order_by(AuditEvent.id)))
        assert actions[-4:] == ["user.change", "user.deactivate", "user.reactivate", "user.reset"]


@pytest.mark.services
def test_the_link_is_emailed_when_mail_is_configured_and_still_shown_when_sending_fails(db_url, smtp):  # noqa: F811
    """Through a real SMTP server started by the test; then with the relay gone, the link is still shown."""
    from app import create_app
    from extensions import EXTENSION_KEY

    inbox, port = smtp
    settings = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "MAIL_FROM": "stat@example.org",
                "MAIL_USE_TLS": False}
    app = create_app(app_config(db_url, **settings))
    gone = create_app(app_config(db_url, **{**settings, "MAIL_PORT": str(free_port())}))
    try:
        client = app.server.test_client()
        login(client, "admin")
        answer = invite(client, email="mailed@example.org", name="Mailed Person", role="viewer")
        token = issued_token(answer)
        assert "also emailed to mailed@example.org" in text_of(answer)
        ((recipients, message),) = inbox.messages
        assert (recipients, message["To"], message["From"]) == (["mailed@example.org"], "mailed@example.org",
                                                                "stat@example.org")
        assert f"/invite/{token}" in message.get_content()
        other = gone.server.test_client()
        login(other, "admin")
        failed = invite(other, email="unmailed@example.org", name="Unmailed", role="viewer")
        assert "failed" in text_of(failed) and issued_token(failed)
        assert len(inbox.messages) == 1
    finally:
        for each in (app, gone):
            each.server.extensions[EXTENSION_KEY].engine.dispose()


# Events on charts ----------------------------------------------------------------------------------------------


def test_an_admin_adds_edits_and_deletes_an_event_and_the_measure_page_shows_it(client, db):
    with db as session:
        measure = session.scalar(select(Measure).where(Measure.slug == "ocd-rental-units-repaired"))
        scope = f"measure:{measure.id}"
    login(client, "admin")
    refused = save_note(client, date="", scope=scope)
    assert "Give the date" in text_of(refused) and set(refused.get_json()["response"]) == {"admin-note-result"}
    created = save_note(client, scope=scope, text="Rental repair intake reopens after the pause.")
    assert "Added the event" in text_of(created)
    note_id = created.get_json()["response"]["admin-note-pick"]["value"]
    page = call(client, [("pub-measure-page", "children")], [("pub-measure-slug", "data", measure.slug)])
    assert "Rental repair intake reopens" in text_of(page), "a new event shows at once (the cache is refreshed)"
    assert "Saved the event" in text_of(save_note(client, pick=note_id, scope=scope, text="Intake reopens."))
    deleted = save_note(client, button="admin-note-delete", pick=note_id)
    assert "Deleted the event" in text_of(deleted) and deleted.get_json()["response"]["admin-note-pick"]["value"] == "new"
    with db as session:
        assert session.get(Annotation, int(note_id)) is None
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity_type == "annotation")
                                       .order_by(AuditEvent.id)))
        assert actions == ["annotation.create", "annotation.update", "annotation.delete"]


# Audit log -----------------------------------------------------------------------------------------------------


def test_the_audit_log_and_its_csv_filter_by_person_kind_and_date_and_neutralise_formulas(client, dash_app):
    hostile = "=HYPERLINK(1)@evil.example"
    post_login(dash_app.server.test_client(), {"email": hostile, "password": "wrong"})
    login(client, "admin")
    save_department(client)
    today = utcnow().date().isoformat()

    shown = audit_list(client, person="admin@example.org", action="department.create", start=today, end=today)
    response = shown.get_json()["response"]
    assert "1 matching events" in json.dumps(response["admin-audit-list"])
    href = response["admin-audit-download"]["href"]
    assert href.startswith("/admin/audit.csv?") and "action=department.create" in href
    rows = list(csv.DictReader(io.StringIO(client.get(href).get_data(as_text=True))))
    assert [(r["person"], r["action"]) for r in rows] == [("admin@example.org", "department.create")]
    assert json.loads(rows[0]["after"])["slug"] == "la-housing"

    failed = list(csv.DictReader(io.StringIO(client.get("/admin/audit.csv?action=login.failed").get_data(
        as_text=True))))
    assert [r["person"] for r in failed] == ["'" + hostile.lower()], "a formula-like cell is neutralised"
    everyone = audit_list(client, person="*", action="department.create").get_json()["response"]
    assert everyone["admin-audit-download"]["href"] == "/admin/audit.csv?action=department.create"
    assert client.get("/admin/audit.csv?from=2026-02-30").status_code == 400
    assert "after the 'to' date" in text_of(audit_list(client, start="2026-02-01", end="2026-01-01"))
    nothing = client.get("/admin/audit.csv?to=2000-01-01").get_data(as_text=True)
    assert nothing.strip().splitlines() == [",".join(("id", "at_utc", "person", "action", "entity_type", "entity_id",
                                                      "before", "after"))]
