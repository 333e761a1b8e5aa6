"""The dashboard, entry and approvals callbacks, posted to /_dash-update-component exactly as the browser posts them."""
from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import TEST_USERS, login, post_callback, post_logout
from extensions import EXTENSION_KEY
from models import clock
from models.audit import current_data_version
from models.catalog import Measure
from models.measurements import Measurement, Revision
from models.org import Department, User
from models.progress import last_complete_month, month_start
from models.services import Actor, correct_value

UPDATE = "/_dash-update-component"
ENTRY_SAVE_OUTPUTS = ["entry-feedback.children", "entry-saved.data", "entry-reason.value", "entry-value.value",
                      "entry-note.value", "entry-confirm-drop.value"]
ENTRY_PANEL_OUTPUTS = ["entry-current.children", "entry-version.data", "entry-reason-group.hidden",
                       "entry-save.children", "entry-drop-group.hidden"]
ADMIN_DECISION_OUTPUTS = ["admin-feedback.children", "admin-done.data"]
THIS_MONTH = month_start(clock.today())
LAST_MONTH = last_complete_month(clock.today())


# --- building requests the way Dash's renderer does ---------------------------------------------------------------


def _stringify(component_id: Any) -> str:
    """The id string Dash uses in changedPropIds (sorted keys, compact JSON)."""
    if isinstance(component_id, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(component_id[k])}" for k in sorted(component_id)) + "}"
    return component_id


def multi_body(outputs: list[str], inputs: list, state: list | None = None, changed: list[str] | None = None) -> dict:
    """The JSON of a multi-output callback request ("..a.prop...b.prop..")."""
    return {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in outputs],
        "inputs": inputs,
        "state": state or [],
        "changedPropIds": changed or [],
    }


def prop(component_id: Any, name: str, value: Any = None) -> dict:
    """One input/state entry; a value of None is sent without "value", as the browser does."""
    entry = {"id": component_id, "property": name}
    if value is not None:
        entry["value"] = value
    return entry


def text_of(node: Any) -> str:
    """All the text a rendered component tree shows."""
    if isinstance(node, str):
        return node
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return str(node)
    if isinstance(node, list):
        return " ".join(text_of(n) for n in node)
    if isinstance(node, dict) and "props" in node:
        props = node["props"]
        if node.get("type") == "HtmlBlock":  # cards and long tables: the text of their HTML
            return html.unescape(re.sub(r"<[^>]+>", " ", props.get("html", "")))
        return text_of(props.get("children"))
    return ""


def find_ids(node: Any, type_: str) -> list[dict]:
    """Every pattern-matching id of a given type in a rendered component tree."""
    found = []
    if isinstance(node, list):
        for n in node:
            found += find_ids(n, type_)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), dict) and props["id"].get("type") == type_:
            found.append(props["id"])
        found += find_ids(props.get("children"), type_)
    return found


def entry_panel(client, measure: int | str | None, period: date | None, saved: int = 0):
    """Ask for the stored-value panel of a measure and month; returns the parsed response."""
    body = multi_body(ENTRY_PANEL_OUTPUTS, [
        prop("entry-measure", "value", str(measure) if measure is not None else None),
        prop("entry-period", "value", period.isoformat() if period else None),
        prop("entry-saved", "data", saved),
    ], changed=["entry-measure.value"])
    response = client.post(UPDATE, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]


def save_entry(client, measure: int | str, period: date, value: Any, *, note: str | None = None,
               reason: str | None = None, version: dict | None = None, saved: int = 0, confirm_drop: bool = False):
    """Press "Save" on the entry page; returns the Flask response."""
    body = multi_body(ENTRY_SAVE_OUTPUTS, [
        prop("entry-save", "n_clicks", 1), prop("entry-value", "n_submit"),
    ], [
        prop("entry-measure", "value", str(measure)), prop("entry-period", "value", period.isoformat()),
        prop("entry-value", "value", value), prop("entry-note", "value", note),
        prop("entry-reason", "value", reason), prop("entry-version", "data", version),
        prop("entry-saved", "data", saved), prop("entry-confirm-drop", "value", confirm_drop),
    ], changed=["entry-save.n_clicks"])
    return client.post(UPDATE, json=body)


def feedback_text(response) -> str:
    """The text of the entry page's feedback alert."""
    assert response.status_code == 200, response.get_data(as_text=True)
    return text_of(response.get_json()["response"]["entry-feedback"]["children"])


def queue(client, department: str = "all", month: str = "all") -> Any:
    """The rendered approvals queue (of one department and/or month when given)."""
    response = post_callback(client, "admin-queue.children",
                             [prop("admin-refresh", "n_clicks", 0), prop("admin-done", "data", 0),
                              prop("admin-filter-department", "value", department),
                              prop("admin-filter-month", "value", month)])
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["response"]["admin-queue"]["children"]


def decide(client, rendered_queue: Any, measurement_id: int, op: str, reasons: dict[int, str] | None = None):
    """Press Approve or Return on one row of a rendered queue, sending every row as the browser does."""
    actions = find_ids(rendered_queue, "admin-action")
    pressed = next(a for a in actions if a["id"] == measurement_id and a["op"] == op)
    reason_ids = find_ids(rendered_queue, "admin-return-reason")
    body = multi_body(
        ADMIN_DECISION_OUTPUTS,
        [[prop(a, "n_clicks", 1 if a == pressed else 0) for a in actions]],
        [[prop(r, "value", (reasons or {}).get(r["id"])) for r in reason_ids], prop("admin-done", "data", 0)],
        changed=[_stringify(pressed) + ".n_clicks"],
    )
    return client.post(UPDATE, json=body)


# --- reading the database the app writes to -----------------------------------------------------------------------


def db(dash_app):
    """A fresh session on the app's database."""
    return dash_app.server.extensions[EXTENSION_KEY].sessions()


def measure_id(dash_app, slug: str) -> int:
    """The id of a measure by slug."""
    with db(dash_app) as session:
        return session.scalar(select(Measure.id).where(Measure.slug == slug))


def row(dash_app, measure: int, period: date) -> Measurement | None:
    """The stored measurement of a measure and month, read fresh."""
    with db(dash_app) as session:
        return session.scalar(select(Measurement).where(Measurement.measure_id == measure,
                                                        Measurement.period == period))


def counts(dash_app) -> tuple[int, int, int]:
    """Measurements, revisions and the data version: what any write would change."""
    with db(dash_app) as session:
        return (session.scalar(select(func.count()).select_from(Measurement)),
                session.scalar(select(func.count()).select_from(Revision)), current_data_version(session))


@pytest.fixture
def rental(dash_app) -> int:
    """An Office of Community Development measure (the editor's department)."""
    return measure_id(dash_app, "ocd-rental-units-repaired")


# --- entry -------------------------------------------------------------------------------------------------------


def test_measure_options_offer_only_the_editors_department(client, dash_app):
    """The measure select of an editor lists only their department's measures."""
    login(client, "editor")
    response = post_callback(client, "entry-measure.options", [prop("entry-measure", "id", "entry-measure")])
    assert response.status_code == 200
    offered = {int(o["value"]) for o in response.get_json()["response"]["entry-measure"]["options"]}
    with db(dash_app) as session:
        own = set(session.scalars(select(Measure.id).join(Department, Department.id == Measure.owner_department_id)
                                  .where(Department.slug == "ocd")))
        everything = set(session.scalars(select(Measure.id)))
    assert offered == own and own != everything


def test_admin_is_offered_every_measure(client, dash_app):
    """The performance team's measure select lists every measure."""
    login(client, "admin")
    response = post_callback(client, "entry-measure.options", [prop("entry-measure", "id", "entry-measure")])
    with db(dash_app) as session:
        total = session.scalar(select(func.count()).select_from(Measure))
    assert len(response.get_json()["response"]["entry-measure"]["options"]) == total


def test_editor_enters_a_new_value_for_own_measure(client, dash_app, rental):
    """A new month is submitted, the panel reloads, and the next save is a correction."""
    login(client, "editor")
    assert row(dash_app, rental, THIS_MONTH) is None
    panel = entry_panel(client, rental, THIS_MONTH)
    assert "No value yet for" in text_of(panel["entry-current"]["children"])
    assert panel["entry-version"]["data"]["version"] is None and panel["entry-reason-group"]["hidden"] is True

    response = save_entry(client, rental, THIS_MONTH, "1,234", note="From the rental repair case log.",
                          version=panel["entry-version"]["data"])
    assert "Saved 1,234" in feedback_text(response)
    saved = row(dash_app, rental, THIS_MONTH)
    assert (saved.value, saved.state, saved.note) == (1234, "submitted", "From the rental repair case log.")
    with db(dash_app) as session:
        assert session.get(User, saved.entered_by_id).email == TEST_USERS["editor"][0]
    outputs = response.get_json()["response"]
    assert outputs["entry-saved"]["data"] == 1, "the panel is asked to reload"

    # The reloaded panel shows the stored value, so the next save is a correction.
    panel = entry_panel(client, rental, THIS_MONTH, saved=1)
    assert "1,234" in text_of(panel["entry-current"]["children"])
    assert panel["entry-version"]["data"]["version"] == saved.version
    assert panel["entry-reason-group"]["hidden"] is False
    assert panel["entry-save"]["children"] == "Save correction"
    response = save_entry(client, rental, THIS_MONTH, "1,240", reason="Six more units passed inspection.",
                          version=panel["entry-version"]["data"], saved=1)
    assert "from 1,234 to 1,240" in feedback_text(response)
    assert row(dash_app, rental, THIS_MONTH).value == 1240
    assert response.get_json()["response"]["entry-reason"]["value"] == "", "reason cleared only after success"


def test_editor_cannot_enter_another_departments_measure(client, dash_app):
    """Another department's measure is refused with a clear message; nothing is written."""
    login(client, "editor")
    state_measure = measure_id(dash_app, "rla-homeowners-awarded-ebr")
    before = counts(dash_app)
    panel = entry_panel(client, state_measure, THIS_MONTH)
    assert "may not enter values" in text_of(panel["entry-current"]["children"])
    response = save_entry(client, state_measure, THIS_MONTH, "100")
    message = feedback_text(response)
    assert "You may not enter values for" in message and "Louisiana Office of Community Development" in message
    assert "Nothing was saved" in message
    assert counts(dash_app) == before
    assert row(dash_app, state_measure, THIS_MONTH) is None


def test_invalid_value_is_refused_and_nothing_is_cleared(client, dash_app, rental):
    """"abc" is refused with a message; no input is touched and nothing is written."""
    login(client, "editor")
    before = counts(dash_app)
    response = save_entry(client, rental, THIS_MONTH, "abc", note="typed note")
    message = feedback_text(response)
    assert "'abc' is not a number" in message and "still in the form" in message
    outputs = response.get_json()["response"]
    assert set(outputs) == {"entry-feedback"}, "a failed save writes to no input (nothing typed is lost)"
    assert counts(dash_app) == before


def test_value_outside_the_valid_range_names_the_range(client, dash_app, rental):
    """A value outside the valid range is refused, naming the range."""
    login(client, "editor")
    before = counts(dash_app)
    message = feedback_text(save_entry(client, rental, THIS_MONTH, "99,999"))
    assert "outside the valid range" in message and "0 to 2,000" in message
    assert counts(dash_app) == before


def test_correction_without_reason_is_refused(client, dash_app, rental):
    """Correcting a month with a value needs a reason; nothing changes without one."""
    login(client, "editor")
    stored = row(dash_app, rental, LAST_MONTH)
    assert stored is not None, "the seed has last month's value"
    panel = entry_panel(client, rental, LAST_MONTH)
    assert panel["entry-reason-group"]["hidden"] is False
    before = counts(dash_app)
    response = save_entry(client, rental, LAST_MONTH, stored.value + 3, reason="  ",
                          version=panel["entry-version"]["data"])
    message = feedback_text(response)
    assert "Give a reason" in message and "Reason for the change" in message
    assert set(response.get_json()["response"]) == {"entry-feedback"}
    assert counts(dash_app) == before and row(dash_app, rental, LAST_MONTH).value == stored.value


def test_stale_version_shows_both_values_and_keeps_theirs(client, dash_app, rental):
    """A save based on an outdated version shows both values and overwrites nothing."""
    login(client, "editor")
    panel = entry_panel(client, rental, LAST_MONTH)
    seen = panel["entry-version"]["data"]
    stored = row(dash_app, rental, LAST_MONTH)
    with db(dash_app) as session:  # the performance team corrects it meanwhile
        admin = session.scalar(select(User).where(User.email == TEST_USERS["admin"][0]))
        correct_value(session, Actor.of(admin), measurement_id=stored.id, expected_version=stored.version,
                      value=1_111, reason="Revised case log received from the department.")
        session.commit()
    response = save_entry(client, rental, LAST_MONTH, "1,222", reason="Two more units passed inspection.",
                          version=seen)
    message = feedback_text(response)
    assert "1,111" in message and "1,222" in message
    assert "Stored now" in message and "not saved" in message
    assert row(dash_app, rental, LAST_MONTH).value == 1_111
    outputs = response.get_json()["response"]
    assert outputs["entry-saved"]["data"] == 1, "the panel reloads to show their value and version"
    assert "entry-reason" not in outputs


def test_saving_an_existing_month_without_having_seen_it_is_stale_not_an_overwrite(client, dash_app, rental):
    """A save that never saw the stored value cannot overwrite it."""
    login(client, "editor")
    stored = row(dash_app, rental, LAST_MONTH)
    message = feedback_text(save_entry(client, rental, LAST_MONTH, "1,500", reason="Whatever the reason is."))
    assert "not saved" in message and "1,500" in message
    assert row(dash_app, rental, LAST_MONTH).value == stored.value


# --- approvals ---------------------------------------------------------------------------------------------------


def test_admin_approves_from_the_queue(client, dash_app, rental):
    """Approve from the queue: state approved, version and data version bumped, row gone."""
    login(client, "admin")
    rendered = queue(client)
    waiting = row(dash_app, rental, LAST_MONTH)
    assert waiting.state == "submitted"
    assert "Flooded rental units repaired" in text_of(rendered)
    _, _, version_before = counts(dash_app)

    response = decide(client, rendered, waiting.id, "approve")
    assert response.status_code == 200, response.get_data(as_text=True)
    outputs = response.get_json()["response"]
    assert text_of(outputs["admin-feedback"]["children"]).startswith("Approved")
    assert outputs["admin-done"]["data"] == 1
    approved = row(dash_app, rental, LAST_MONTH)
    assert approved.state == "approved" and approved.version == waiting.version + 1
    assert counts(dash_app)[2] > version_before
    assert waiting.id not in {a["id"] for a in find_ids(queue(client), "admin-action")}


def test_return_needs_a_reason_then_goes_back_to_the_department(client, dash_app, rental):
    """Return without a reason is refused; with one, the value is returned with it."""
    login(client, "admin")
    rendered = queue(client)
    waiting = row(dash_app, rental, LAST_MONTH)
    before = counts(dash_app)
    response = decide(client, rendered, waiting.id, "return")
    message = text_of(response.get_json()["response"]["admin-feedback"]["children"])
    assert "Give a reason" in message and "Reason to return" in message
    assert counts(dash_app) == before and row(dash_app, rental, LAST_MONTH).state == "submitted"

    response = decide(client, rendered, waiting.id, "return", {waiting.id: "Cumulative count, please."})
    assert "Returned" in text_of(response.get_json()["response"]["admin-feedback"]["children"])
    returned = row(dash_app, rental, LAST_MONTH)
    assert (returned.state, returned.review_note) == ("returned", "Cumulative count, please.")


def test_stale_approval_is_refused(client, dash_app, rental):
    """A button carrying an outdated version changes nothing."""
    login(client, "admin")
    rendered = queue(client)
    waiting = row(dash_app, rental, LAST_MONTH)
    assert decide(client, rendered, waiting.id, "approve").status_code == 200
    # The same (now outdated) button again: version in its id no longer matches.
    response = decide(client, rendered, waiting.id, "approve")
    message = text_of(response.get_json()["response"]["admin-feedback"]["children"])
    assert "Nothing was changed" in message
    assert row(dash_app, rental, LAST_MONTH).version == waiting.version + 1


def test_empty_queue_says_so(client, dash_app):
    """With everything approved the queue says nothing is waiting."""
    login(client, "admin")
    for item in find_ids(queue(client), "admin-action"):
        if item["op"] == "approve":
            decide(client, queue(client), item["id"], "approve")
    assert "Nothing is waiting for approval." in text_of(queue(client))


def test_queue_redraw_is_not_a_decision(client, dash_app):
    """Redrawing the queue (no button pressed) decides nothing."""
    login(client, "admin")
    rendered = queue(client)
    actions = find_ids(rendered, "admin-action")
    body = multi_body(ADMIN_DECISION_OUTPUTS, [[prop(a, "n_clicks", 0) for a in actions]],
                      [[prop(r, "value") for r in find_ids(rendered, "admin-return-reason")],
                       prop("admin-done", "data", 0)],
                      changed=[_stringify(a) + ".n_clicks" for a in actions])
    before = counts(dash_app)
    assert client.post(UPDATE, json=body).status_code == 204
    assert counts(dash_app) == before


# --- who may call what -------------------------------------------------------------------------------------------


def test_viewer_posting_to_an_entry_callback_is_forbidden(client, dash_app, rental):
    """The mayor's office gets 403 from entry callbacks and nothing is written."""
    login(client, "viewer")
    before = counts(dash_app)
    assert save_entry(client, rental, THIS_MONTH, "10").status_code == 403
    assert post_callback(client, "entry-measure.options",
                         [prop("entry-measure", "id", "entry-measure")]).status_code == 403
    assert counts(dash_app) == before


def test_editor_posting_to_an_admin_callback_is_forbidden(client, dash_app, rental):
    """An editor gets 403 from the approval callback."""
    login(client, "admin")
    rendered = queue(client)
    post_logout(client)
    login(client, "editor")
    waiting = row(dash_app, rental, LAST_MONTH)
    assert decide(client, rendered, waiting.id, "approve").status_code == 403
    assert row(dash_app, rental, LAST_MONTH).state == "submitted"


def test_anonymous_callbacks_are_refused_with_401(client, dash_app, rental):
    """Without signing in, entry and dashboard callbacks answer 401."""
    before = counts(dash_app)
    assert save_entry(client, rental, THIS_MONTH, "10").status_code == 401
    assert post_callback(client, "exec-table.children", [prop("exec-month", "value", LAST_MONTH.isoformat()),
                                                         prop("exec-goal", "value", "all"),
                                                         prop("exec-status", "value", "all"),
                   prop("exec-department", "value", "all")]).status_code == 401
    assert counts(dash_app) == before


# --- dashboard ---------------------------------------------------------------------------------------------------


def test_dashboard_shows_unpublished_measures_and_pending_values_to_a_viewer(client, dash_app):
    """The viewer's dashboard includes unpublished measures and pending values; the public page does not."""
    login(client, "viewer")
    with db(dash_app) as session:
        unpublished = session.scalar(select(Measure.name).where(Measure.published.is_(False)).order_by(Measure.id))
    response = post_callback(client, "exec-table.children", [prop("exec-month", "value", LAST_MONTH.isoformat()),
                                                             prop("exec-goal", "value", "all"),
                                                             prop("exec-status", "value", "all"),
                   prop("exec-department", "value", "all")])
    assert response.status_code == 200
    table = text_of(response.get_json()["response"]["exec-table"]["children"])
    assert unpublished in table and "Not published" in table and "Awaiting approval" in table

    public = post_callback(client, "pub-overview.children", [prop("pub-month", "value", LAST_MONTH.isoformat())])
    assert unpublished not in text_of(public.get_json()["response"]["pub-overview"]["children"])


def test_dashboard_lists_worst_first_and_filters(client, dash_app):
    """The dashboard table is worst first, filters to awaiting approval, and offers every goal."""
    login(client, "viewer")

    def table(goal: str, status: str) -> str:
        """The dashboard table's JSON for a goal and status filter."""
        response = post_callback(client, "exec-table.children", [prop("exec-month", "value", LAST_MONTH.isoformat()),
                                                                 prop("exec-goal", "value", goal),
                                                                 prop("exec-status", "value", status),
                   prop("exec-department", "value", "all")])
        return json.dumps(response.get_json()["response"]["exec-table"]["children"])

    everything = table("all", "all")
    rows = [s for s in ("status-off-track", "status-at-risk", "status-on-track", "status-achieved") if s in everything]
    assert [everything.index(s) for s in rows] == sorted(everything.index(s) for s in rows)
    awaiting = table("all", "awaiting")
    body_rows = awaiting.count('"type": "Tr"') - 1  # minus the header row
    assert body_rows > 0 and awaiting.count("Awaiting approval") == body_rows
    goals = post_callback(client, "exec-goal.options", [prop("exec-month", "value", LAST_MONTH.isoformat())])
    options = goals.get_json()["response"]["exec-goal"]["options"]
    assert options[0]["value"] == "all" and len(options) > 2
