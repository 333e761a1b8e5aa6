"""The approvals page at scale through /_dash-update-component: filters, approving the selected values in one action,
the two-person rule, and refusals on the server for everyone but the performance team."""
from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from test_pages_callbacks import (
    LAST_MONTH,
    THIS_MONTH,
    UPDATE,
    _stringify,
    counts,
    db,
    find_ids,
    measure_id,
    multi_body,
    prop,
    queue,
    row,
    save_entry,
    text_of,
)

from conftest import app_config, login, post_logout
from extensions import EXTENSION_KEY
from models.audit import AuditEvent
from models.catalog import Measure
from models.measurements import Measurement
from models.org import Department
from models.services import TWO_PERSON_MESSAGE


def selection_output(client) -> str:
    """The output key of the bulk approval, as the renderer learns it (duplicate outputs carry a hash suffix)."""
    dependencies = client.get("/_dash-dependencies").get_json()
    return next(d["output"] for d in dependencies if any(i["id"] == "admin-approve-selected" for i in d["inputs"]))


def approve_selected(client, rendered: Any, chosen: set[int], version_of: dict[int, int] | None = None):
    """Press "Approve selected" with the rows in `chosen` ticked, sending every checkbox as the browser does
    (`version_of` replaces the version a row's id carries, as an outdated page would send)."""
    key = selection_output(client)
    outputs = key.strip(".").split("...")
    boxes = [{**box, "version": (version_of or {}).get(box["id"], box["version"])}
             for box in find_ids(rendered, "admin-select")]
    body = multi_body(outputs, [prop("admin-approve-selected", "n_clicks", 1)],
                      [[prop(box, "value", box["id"] in chosen) for box in boxes], prop("admin-done", "data", 0)],
                      changed=["admin-approve-selected.n_clicks"])
    body["outputs"] = [dict(zip(("id", "property"), o.split(".", 1))) for o in outputs]
    return client.post(UPDATE, json=body)


def feedback(response) -> str:
    """The text of the approvals page's feedback."""
    assert response.status_code == 200, response.get_data(as_text=True)
    outputs = response.get_json()["response"]
    return text_of(outputs["admin-feedback"]["children"])


def states(dash_app, ids: list[int]) -> dict[int, tuple[str, int]]:
    """The (state, version) of measurements, read fresh."""
    with db(dash_app) as session:
        return {m.id: (m.state, m.version) for m in session.scalars(select(Measurement)
                                                                      .where(Measurement.id.in_(ids)))}


def selectable(rendered: Any) -> list[dict]:
    """The checkbox ids of the rendered queue that are not disabled."""
    found = []

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props.get("id"), dict) and props["id"].get("type") == "admin-select" \
                    and not props.get("disabled"):
                found.append(props["id"])
            walk(props.get("children"))
    walk(rendered)
    return found


@pytest.fixture
def rental(dash_app) -> int:
    """An Office of Community Development measure (the editor's department)."""
    return measure_id(dash_app, "ocd-rental-units-repaired")


def pending_ids(dash_app) -> list[int]:
    with db(dash_app) as session:
        return list(session.scalars(select(Measurement.id).where(Measurement.state == "submitted")
                                    .order_by(Measurement.id)))


# --- filters ------------------------------------------------------------------------------------------------------


def test_filters_offer_departments_and_waiting_months_and_narrow_the_queue(client, dash_app):
    login(client, "admin")
    body = multi_body(["admin-filter-department.options", "admin-filter-month.options"],
                      [prop("admin-refresh", "n_clicks", 0), prop("admin-done", "data", 0)])
    response = client.post(UPDATE, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    outputs = response.get_json()["response"]
    departments = outputs["admin-filter-department"]["options"]
    months = [o["value"] for o in outputs["admin-filter-month"]["options"]]
    with db(dash_app) as session:
        all_departments = {str(i) for i in session.scalars(select(Department.id))}
        waiting_months = {p.isoformat() for p in session.scalars(
            select(Measurement.period).where(Measurement.state == "submitted"))}
        ocd = session.scalar(select(Department.id).where(Department.slug == "ocd"))
        of_ocd = set(session.scalars(select(Measurement.id).join(Measure, Measure.id == Measurement.measure_id)
                                     .where(Measurement.state == "submitted", Measure.owner_department_id == ocd)))
    assert departments[0]["value"] == "all" and {o["value"] for o in departments[1:]} == all_departments
    assert months[0] == "all" and set(months[1:]) == waiting_months and months[1:] == sorted(months[1:], reverse=True)

    everything = {box["id"] for box in find_ids(queue(client), "admin-select")}
    assert everything == set(pending_ids(dash_app))
    narrowed = {box["id"] for box in find_ids(queue(client, department=str(ocd)), "admin-select")}
    assert of_ocd and narrowed == of_ocd and narrowed < everything
    month = LAST_MONTH.isoformat()
    both = queue(client, department=str(ocd), month=month)
    with db(dash_app) as session:
        expected = {m.id for m in session.scalars(select(Measurement).where(Measurement.id.in_(of_ocd)))
                    if m.period == LAST_MONTH}
    assert {box["id"] for box in find_ids(both, "admin-select")} == expected
    shown = text_of(both)
    assert "Expected" in shown and "Flags" in shown and "Previous month" in shown
    assert "Nothing is waiting for approval for this department and month" in text_of(
        queue(client, department=str(ocd), month="2001-01-01"))


# --- approving the selected values ---------------------------------------------------------------------------------


def test_admin_approves_two_selected_values_in_one_action(client, dash_app):
    login(client, "admin")
    rendered = queue(client)
    waiting = pending_ids(dash_app)
    chosen = set(waiting[:2])
    before = counts(dash_app)
    response = approve_selected(client, rendered, chosen)
    message = feedback(response)
    assert message.startswith("Approved 2 values:"), message
    assert response.get_json()["response"]["admin-done"]["data"] == 1
    after = states(dash_app, waiting)
    assert {i: after[i] for i in chosen} == dict.fromkeys(chosen, ("approved", 2))
    assert all(after[i][0] == "submitted" for i in waiting[2:])
    assert counts(dash_app)[1] == before[1] + 2 and counts(dash_app)[2] == before[2] + 1
    left = {box["id"] for box in find_ids(queue(client), "admin-select")}
    assert not chosen & left


def test_one_outdated_row_approves_nothing_and_says_which(client, dash_app):
    login(client, "admin")
    rendered = queue(client)
    waiting = pending_ids(dash_app)
    chosen = set(waiting[:3])
    before, rows_before = counts(dash_app), states(dash_app, waiting)
    response = approve_selected(client, rendered, chosen, version_of={waiting[1]: 7})
    message = feedback(response)
    assert "Nothing was changed: 1 of the 3 selected values cannot be approved" in message
    assert "after the queue was shown" in message
    assert counts(dash_app) == before and states(dash_app, waiting) == rows_before


def test_nothing_ticked_is_refused_with_a_message(client, dash_app):
    login(client, "admin")
    before = counts(dash_app)
    message = feedback(approve_selected(client, queue(client), set()))
    assert "Tick at least one value" in message and counts(dash_app) == before


# --- the two-person rule --------------------------------------------------------------------------------------------


def test_an_admins_own_figure_is_shown_disabled_with_why_and_refused_on_the_server(client, dash_app, rental):
    login(client, "admin")
    saved = save_entry(client, rental, THIS_MONTH, "420").get_json()["response"]["entry-feedback"]["children"]
    assert text_of(saved).startswith("Saved 420"), text_of(saved)
    own = row(dash_app, rental, THIS_MONTH)
    rendered = queue(client)
    assert own.id in {box["id"] for box in find_ids(rendered, "admin-select")}
    assert own.id not in {box["id"] for box in selectable(rendered)}
    assert own.id not in {a["id"] for a in find_ids(rendered, "admin-action") if a["op"] == "approve"}
    assert TWO_PERSON_MESSAGE in text_of(rendered)
    # A hand-made request ticking it anyway is refused, and nothing else is approved with it.
    other = next(i for i in pending_ids(dash_app) if i != own.id)
    before = counts(dash_app)
    message = feedback(approve_selected(client, rendered, {own.id, other}))
    assert TWO_PERSON_MESSAGE in message and "Nothing was changed" in message
    assert counts(dash_app) == before and states(dash_app, [own.id, other])[own.id] == ("submitted", 1)

    post_logout(client)
    login(client, "reviewer")
    rendered = queue(client)
    assert own.id in {box["id"] for box in selectable(rendered)}
    assert feedback(approve_selected(client, rendered, {own.id})).startswith("Approved 420 for")
    assert row(dash_app, rental, THIS_MONTH).state == "approved"


def test_with_the_rule_off_the_admin_approves_their_own_figure_and_the_audit_says_so(db_url):
    from app import create_app

    app = create_app(app_config(db_url, TWO_PERSON_RULE=False))
    try:
        client = app.server.test_client()
        login(client, "admin")
        rental = measure_id(app, "ocd-rental-units-repaired")
        save_entry(client, rental, THIS_MONTH, "420")
        own = row(app, rental, THIS_MONTH)
        rendered = queue(client)
        assert own.id in {box["id"] for box in selectable(rendered)}
        assert TWO_PERSON_MESSAGE not in text_of(rendered)
        assert feedback(approve_selected(client, rendered, {own.id})).startswith("Approved")
        assert row(app, rental, THIS_MONTH).state == "approved"
        with db(app) as session:
            event = session.scalar(select(AuditEvent).where(AuditEvent.action == "measurement.approve")
                                   .order_by(AuditEvent.id.desc()).limit(1))
        assert event.after["approver_also_entered"] is True and event.after["entered_by"] == "admin@example.org"
    finally:
        app.server.extensions[EXTENSION_KEY].engine.dispose()


def test_the_setting_comes_from_the_environment(monkeypatch):
    from app import load_settings

    assert load_settings({"TESTING": True})["TWO_PERSON_RULE"] is True
    monkeypatch.setenv("TWO_PERSON_RULE", "0")
    assert load_settings({"TESTING": True})["TWO_PERSON_RULE"] is False
    monkeypatch.setenv("TWO_PERSON_RULE", "1")
    assert load_settings({"TESTING": True})["TWO_PERSON_RULE"] is True


# --- refused on the server ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who, status", [("editor", 403), ("viewer", 403), (None, 401)])
def test_only_the_performance_team_reaches_the_review_callbacks(client, dash_app, who, status):
    login(client, "admin")
    rendered = queue(client)
    post_logout(client)
    if who:
        login(client, who)
    waiting = pending_ids(dash_app)
    before, rows_before = counts(dash_app), states(dash_app, waiting)
    assert approve_selected(client, rendered, set(waiting[:2])).status_code == status
    pressed = next(a for a in find_ids(rendered, "admin-action") if a["op"] == "approve")
    body = multi_body(["admin-feedback.children", "admin-done.data"],
                      [[prop(a, "n_clicks", 1 if a == pressed else 0) for a in find_ids(rendered, "admin-action")]],
                      [[prop(r, "value") for r in find_ids(rendered, "admin-return-reason")],
                       prop("admin-done", "data", 0)], changed=[_stringify(pressed) + ".n_clicks"])
    assert client.post(UPDATE, json=body).status_code == status
    queue_body = multi_body(["admin-filter-department.options", "admin-filter-month.options"],
                            [prop("admin-refresh", "n_clicks", 0), prop("admin-done", "data", 0)])
    assert client.post(UPDATE, json=queue_body).status_code == status
    assert counts(dash_app) == before and states(dash_app, waiting) == rows_before


# --- returning one value; selecting all ------------------------------------------------------------------------------


def test_a_returned_value_shows_the_reviewers_comment_in_the_editors_month_grid(client, dash_app, rental):
    from test_entry_grid import load
    from test_pages_callbacks import decide

    login(client, "editor")
    saved = save_entry(client, rental, THIS_MONTH, "420").get_json()["response"]["entry-feedback"]["children"]
    assert text_of(saved).startswith("Saved 420"), text_of(saved)
    entered = row(dash_app, rental, THIS_MONTH)
    post_logout(client)
    login(client, "admin")
    response = decide(client, queue(client), entered.id, "return",
                      {entered.id: "This is the month's count; enter the running total."})
    assert "They will see it in their month grid" in feedback(response)
    post_logout(client)
    login(client, "editor")
    grid = next(r for r in load(client, dash_app) if r["measure_id"] == rental)
    assert grid["state"] == "Returned: This is the month's count; enter the running total."
    assert grid["value"] == "420" and grid["version"] == entered.version + 1


def test_select_all_ticks_only_what_the_reviewer_may_approve(client, dash_app):
    login(client, "admin")
    key = next(d["output"] for d in client.get("/_dash-dependencies").get_json()
               if any(i["id"] == "admin-select-all" for i in d["inputs"]))
    boxes = find_ids(queue(client), "admin-select")
    body = {"output": key, "outputs": {"id": json.loads(key.rsplit(".", 1)[0]), "property": "value"},
            "inputs": [prop("admin-select-all", "n_clicks", 1)],
            "state": [[prop(box, "disabled", index == 0) for index, box in enumerate(boxes)]],
            "changedPropIds": ["admin-select-all.n_clicks"]}
    response = client.post(UPDATE, json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    ticked = response.get_json()["response"]
    values = next(iter(ticked.values()))["value"]
    assert values == [False] + [True] * (len(boxes) - 1)
