"""Goal and measure administration through the callback endpoint, as the browser posts it (SQLite and PostgreSQL).

Every admin action is refused on the server for anonymous people, viewers and editors with nothing written; the
performance team creates, publishes, changes and retires, and the public measure page tells of a moved target.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import login
from layouts import ids
from layouts._admin import GOAL_FORM_FIELDS, MEASURE_FORM_FIELDS
from models.admin_catalog import measure_form
from models.audit import AuditEvent
from models.base import make_engine, make_session_factory
from models.catalog import Goal, Measure, MeasureChange, Milestone

UPDATE = "/_dash-update-component"
GOAL_NAMES = [name for name, _label, _hint in GOAL_FORM_FIELDS]
MEASURE_NAMES = [name for name, _label, _hint in MEASURE_FORM_FIELDS]
PUBLISHED_MEASURE = "rla-homeowners-awarded-statewide"


def callback_key(dash_app, first_input: str) -> str:
    """The callback_map key of the one callback whose first input is `first_input` (e.g. the Save button)."""
    found = [key for key, spec in dash_app.callback_map.items()
             if spec["inputs"] and spec["inputs"][0]["id"] == first_input]
    assert len(found) == 1, found
    return found[0]


def outputs_of(key: str) -> list[dict[str, str]] | dict[str, str]:
    """The `outputs` of a request: a list for a multi-output callback, one entry for a single output."""
    if not key.startswith(".."):
        return dict(zip(("id", "property"), key.rsplit(".", 1), strict=True))
    return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in key.strip(".").split("...")]


def post(client, dash_app, first_input: str, inputs: list, state: list, changed: str, key: str | None = None,
         wildcards: dict[str, list] | None = None):
    """Post a callback request; returns (status, {output id: value}) for a 200 answer (pattern-matching ids as the
    page writes them, see ids.dom_id).

    `wildcards` gives, per pattern-matching output type, the concrete ids on the page it stands for.
    """
    key = key or callback_key(dash_app, first_input)
    outputs = outputs_of(key)
    if wildcards:
        def concrete(o: dict):
            return [{"id": c, "property": o["property"]} for c in wildcards[o["id"]]] if o["id"] in wildcards else o
        outputs = concrete(outputs) if isinstance(outputs, dict) else [concrete(o) for o in outputs]
    body = {"output": key, "outputs": outputs, "inputs": inputs, "state": state, "changedPropIds": [changed]}
    response = client.post(UPDATE, json=body)
    if response.status_code != 200:
        return response.status_code, {}
    answer = response.get_json()["response"]
    # One property of a component: its value; several (e.g. a button's label and disabled): {property: value}.
    return 200, {component: next(iter(props.values())) if len(props) == 1 else props
                 for component, props in answer.items()}


def entry(component_id: Any, prop: str, value: Any = None) -> dict:
    item = {"id": component_id, "property": prop}
    if value is not None:
        item["value"] = value
    return item


def text_of(node: Any) -> str:
    """All the text of a rendered component tree."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return " ".join(text_of(n) for n in node)
    if isinstance(node, dict):
        return text_of(node.get("props", {}).get("children"))
    return ""


def _wildcards(form: str, names: list[str]) -> dict[str, list]:
    """The form's controls and messages on the page, for the save callback's pattern-matching outputs."""
    return {ids.dom_id({"field": ["ALL"], "type": f"admin-{form}-error"}).replace('"ALL"', '"ALL"'):
            [ids.admin_error(form, n) for n in names],
            ids.dom_id({"field": ["ALL"], "type": f"admin-{form}-field"}): [ids.admin_field(form, n) for n in names]}


def save_goal(client, dash_app, form: dict[str, str], editing: dict | None):
    fields = [entry(ids.admin_field("goal", name), "value", form.get(name, "")) for name in GOAL_NAMES]
    state = [fields, entry(ids.ADMIN_GOAL_EDITING, "data", editing), entry(ids.ADMIN_GOALS_CHANGED, "data", 0)]
    return post(client, dash_app, ids.ADMIN_GOAL_SAVE, [entry(ids.ADMIN_GOAL_SAVE, "n_clicks", 1)], state,
                f"{ids.ADMIN_GOAL_SAVE}.n_clicks", wildcards=_wildcards("goal", GOAL_NAMES))


def save_measure(client, dash_app, form: dict[str, str], editing: dict | None, reason: str = ""):
    names = [*MEASURE_NAMES, "reason"]
    values = form | {"reason": reason}
    fields = [entry(ids.admin_field("measure", name), "value", values.get(name, "")) for name in names]
    state = [fields, entry(ids.ADMIN_MEASURE_EDITING, "data", editing), entry(ids.ADMIN_MEASURES_CHANGED, "data", 0)]
    return post(client, dash_app, ids.ADMIN_MEASURE_SAVE, [entry(ids.ADMIN_MEASURE_SAVE, "n_clicks", 1)], state,
                f"{ids.ADMIN_MEASURE_SAVE}.n_clicks", wildcards=_wildcards("measure", names))


def error_of(answer: dict, form: str, name: str):
    """The message a save put under a control."""
    return answer[ids.dom_id(ids.admin_error(form, name))]


def invalid_of(answer: dict, form: str, name: str):
    """Whether a save marked a control invalid."""
    return answer[ids.dom_id(ids.admin_field(form, name))]


def ask(client, dash_app, what: str, button: str, editing_id: int):
    """Press Publish/Unpublish, Retire or Delete: the confirmation's message, shown, and the pending action."""
    if what == "goal":
        buttons, store = [ids.ADMIN_GOAL_PUBLISH, ids.ADMIN_GOAL_RETIRE], ids.ADMIN_GOAL_EDITING
    else:
        buttons = [ids.ADMIN_MEASURE_PUBLISH, ids.ADMIN_MEASURE_RETIRE, ids.ADMIN_MEASURE_DELETE]
        store = ids.ADMIN_MEASURE_EDITING
    inputs = [entry(b, "n_clicks", 1 if b == button else 0) for b in buttons]
    return post(client, dash_app, buttons[0], inputs, [entry(store, "data", {"id": editing_id})],
                f"{button}.n_clicks")


def confirm(client, dash_app, what: str, op: str, target_id: int):
    dialog, pending, changed = ((ids.ADMIN_GOAL_CONFIRM, ids.ADMIN_GOAL_PENDING, ids.ADMIN_GOALS_CHANGED)
                                if what == "goal" else
                                (ids.ADMIN_MEASURE_CONFIRM, ids.ADMIN_MEASURE_PENDING, ids.ADMIN_MEASURES_CHANGED))
    return post(client, dash_app, dialog, [entry(dialog, "submit_n_clicks", 1)],
                [entry(pending, "data", {"op": op, "id": target_id}), entry(changed, "data", 0)],
                f"{dialog}.submit_n_clicks")


def public_measure_page(client, dash_app, slug: str) -> str:
    status, answer = post(client, dash_app, ids.PUB_MEASURE_SLUG, [entry(ids.PUB_MEASURE_SLUG, "data", slug)], [],
                          f"{ids.PUB_MEASURE_SLUG}.data", key=f"{ids.PUB_MEASURE_PAGE}.children")
    assert status == 200
    return text_of(answer[ids.PUB_MEASURE_PAGE])


def new_goal() -> dict[str, str]:
    return {"slug": "clear-drains", "title": "Clear the storm drains", "summary": "Keep drains clear before storms.",
            "owner_department": "ocd", "display_order": "7"}


def new_measure(**changes: str) -> dict[str, str]:
    form = {
        "slug": "drains-cleared", "goal": "clear-drains", "name": "Storm drains cleared",
        "definition": "Drain inlets cleared of debris, counted once a month.", "unit": "count", "decimals": "0",
        "direction": "increase", "trajectory": "milestones", "baseline_value": "0", "baseline_month": "2025-01",
        "target_value": "450", "target_month": "2026-12", "milestones": "2025-06 100\n2025-12 250",
        "on_track_tolerance": "5", "at_risk_tolerance": "15", "valid_min": "0", "valid_max": "10000",
        "due_day": "15", "owner_department": "ocd", "data_source": "Public works drain log",
        "citation": "illustrative", "cumulative": "yes", "display_order": "1",
    }
    return form | changes


def controls_of(node: Any) -> dict[str, dict]:
    """{field: {"value", "disabled"}} of every form control in a rendered component tree."""
    found: dict[str, dict] = {}
    if isinstance(node, list):
        for item in node:
            found |= controls_of(item)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), dict) and str(props["id"].get("type", "")).endswith("-field"):
            found[props["id"]["field"]] = {"value": props.get("value"), "disabled": props.get("disabled", False)}
        found |= controls_of(props.get("children"))
    return found


class Db:
    """Direct reads of the test database, to check what was (not) written."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = make_session_factory(self.engine)

    def snapshot(self) -> tuple:
        with self.sessions() as session:
            return (
                session.scalar(select(func.count()).select_from(AuditEvent)),
                session.scalar(select(func.count()).select_from(MeasureChange)),
                session.scalar(select(func.count()).select_from(Milestone)),
                tuple(session.execute(select(Goal.slug, Goal.title, Goal.published, Goal.retired)
                                      .order_by(Goal.id)).all()),
                tuple(session.execute(select(Measure.slug, Measure.target_value, Measure.published, Measure.retired)
                                      .order_by(Measure.id)).all()),
            )

    def measure(self, slug: str) -> Measure | None:
        with self.sessions() as session:
            return session.scalar(select(Measure).where(Measure.slug == slug))

    def goal(self, slug: str) -> Goal | None:
        with self.sessions() as session:
            return session.scalar(select(Goal).where(Goal.slug == slug))


@pytest.fixture
def db(db_url):
    handle = Db(db_url)
    yield handle
    handle.engine.dispose()


@pytest.mark.parametrize("who", [None, "viewer", "editor"])
def test_every_admin_action_is_refused_on_the_server_with_nothing_written(dash_app, db, who):
    client = dash_app.server.test_client()
    if who:
        login(client, who)
    refused = 401 if who is None else 403
    published = db.measure(PUBLISHED_MEASURE)
    goal_id = published.goal_id
    before = db.snapshot()
    with db.sessions() as session:
        form = measure_form(session.get(Measure, published.id))
    attempts = [
        save_goal(client, dash_app, new_goal(), {"id": None}),
        save_goal(client, dash_app, new_goal() | {"slug": "x"}, {"id": goal_id}),
        ask(client, dash_app, "goal", ids.ADMIN_GOAL_PUBLISH, goal_id),
        confirm(client, dash_app, "goal", "unpublish", goal_id),
        confirm(client, dash_app, "goal", "retire", goal_id),
        save_measure(client, dash_app, new_measure(goal="bring-families-home"), {"id": None}),
        save_measure(client, dash_app, form | {"target_value": "1"}, {"id": published.id}, reason="a sneaky move"),
        ask(client, dash_app, "measure", ids.ADMIN_MEASURE_DELETE, published.id),
        confirm(client, dash_app, "measure", "unpublish", published.id),
        confirm(client, dash_app, "measure", "retire", published.id),
        confirm(client, dash_app, "measure", "delete", published.id),
    ]
    for list_input in (ids.ADMIN_GOALS_CHANGED, ids.ADMIN_MEASURES_CHANGED):
        attempts.append(post(client, dash_app, list_input, [entry(list_input, "data", 0)], [], f"{list_input}.data"))
    assert [status for status, _ in attempts] == [refused] * len(attempts)
    assert db.snapshot() == before
    for path in ("/admin", "/admin/goals", "/admin/measures"):
        response = client.get(path)
        assert response.status_code == (302 if who is None else 403), path


def test_the_performance_team_creates_publishes_and_moves_a_target_with_a_reason(dash_app, db):
    client = dash_app.server.test_client()
    login(client, "admin")

    status, answer = save_goal(client, dash_app, new_goal() | {"title": ""}, {"id": None})
    assert status == 200 and error_of(answer, "goal", "title") == "The title is required."
    assert invalid_of(answer, "goal", "title") is True and invalid_of(answer, "goal", "summary") is False
    assert db.goal("clear-drains") is None

    status, answer = save_goal(client, dash_app, new_goal(), {"id": None})
    assert status == 200 and "Created the goal" in text_of(answer[ids.ADMIN_GOALS_RESULT])
    goal = db.goal("clear-drains")
    assert answer[ids.ADMIN_GOAL_EDITING] == {"id": goal.id} and goal.published is False

    status, answer = ask(client, dash_app, "goal", ids.ADMIN_GOAL_PUBLISH, goal.id)
    assert answer[ids.ADMIN_GOAL_CONFIRM]["displayed"] is True
    assert answer[ids.ADMIN_GOAL_CONFIRM]["message"].startswith("Publish “Clear the storm drains”? Its title and summary")
    assert answer[ids.ADMIN_GOAL_PENDING] == {"op": "publish", "id": goal.id}
    status, answer = confirm(client, dash_app, "goal", "publish", goal.id)
    assert "Published" in text_of(answer[ids.ADMIN_GOALS_RESULT]) and db.goal("clear-drains").published

    # A milestone outside the period is explained under its field; nothing is written.
    status, answer = save_measure(client, dash_app, new_measure(milestones="2027-03 500"), {"id": None})
    assert "outside the period from the baseline" in error_of(answer, "measure", "milestones")
    assert "Nothing was saved" in text_of(answer[ids.ADMIN_MEASURES_RESULT])
    assert db.measure("drains-cleared") is None

    status, answer = save_measure(client, dash_app, new_measure(), {"id": None})
    measure = db.measure("drains-cleared")
    assert measure is not None and answer[ids.ADMIN_MEASURE_EDITING] == {"id": measure.id}
    assert "Storm drains cleared" not in public_measure_page(client, dash_app, "drains-cleared")

    status, answer = ask(client, dash_app, "measure", ids.ADMIN_MEASURE_PUBLISH, measure.id)
    assert "becomes public under “Clear the storm drains”" in answer[ids.ADMIN_MEASURE_CONFIRM]["message"]
    confirm(client, dash_app, "measure", "publish", measure.id)
    page = public_measure_page(client, dash_app, "drains-cleared")
    assert "Storm drains cleared" in page and "have not changed since" in page

    # The published target moves: without a reason the reason field says why it is needed, and nothing changes.
    typed = new_measure(target_value="500") | {"reason": ""}
    reason_key = next(k for k, spec in dash_app.callback_map.items() if ids.ADMIN_MEASURE_REASON_GROUP in k)
    status, answer = post(client, dash_app, "", [[entry(ids.admin_field("measure", n), "value", v)
                                                  for n, v in typed.items()]],
                          [entry(ids.ADMIN_MEASURE_EDITING, "data", {"id": measure.id})],
                          ids.dom_id(ids.admin_field("measure", "target_value")) + ".value", key=reason_key,
                          wildcards={ids.dom_id({"id": ["ALL"], "type": ids.ADMIN_MEASURE_REASON_GROUP}):
                                     [{"type": ids.ADMIN_MEASURE_REASON_GROUP, "id": 0}],
                                     ids.dom_id({"id": ["ALL"], "type": ids.ADMIN_MEASURE_REASON_HINT}):
                                     [{"type": ids.ADMIN_MEASURE_REASON_HINT, "id": 0}]})
    group = answer[ids.dom_id({"type": ids.ADMIN_MEASURE_REASON_GROUP, "id": 0})]
    hint = answer[ids.dom_id({"type": ids.ADMIN_MEASURE_REASON_HINT, "id": 0})]
    assert status == 200 and group is False and "target" in hint
    status, answer = save_measure(client, dash_app, new_measure(target_value="500"), {"id": measure.id})
    assert "Say why" in error_of(answer, "measure", "reason")
    assert db.measure("drains-cleared").target_value == 450
    status, answer = save_measure(client, dash_app, new_measure(target_value="500"), {"id": measure.id},
                                  reason="Council added 50 inlets in the new drainage district.")
    assert "Saved the measure" in text_of(answer[ids.ADMIN_MEASURES_RESULT])
    page = public_measure_page(client, dash_app, "drains-cleared")
    assert ("Target changed from 450 to 500 in November 2026: Council added 50 inlets in the new drainage "
            "district.") in page
    api = client.get("/api/v1/measures/drains-cleared").get_json()
    assert api["plan_changes"][0]["summary"] == "Target changed from 450 to 500 in November 2026"

    # It has no figures, so it may be deleted; a measure with figures is only retired.
    status, answer = confirm(client, dash_app, "measure", "delete", db.measure(PUBLISHED_MEASURE).id)
    assert "cannot be deleted" in text_of(answer[ids.ADMIN_MEASURES_RESULT])
    assert db.measure(PUBLISHED_MEASURE) is not None
    status, answer = confirm(client, dash_app, "measure", "retire", db.measure(PUBLISHED_MEASURE).id)
    assert db.measure(PUBLISHED_MEASURE).retired is True
    assert "Page not found" in public_measure_page(client, dash_app, PUBLISHED_MEASURE)

    with db.sessions() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "admin@example.org",
                                                                  AuditEvent.action.like("%.%"))
                                  .order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.split(".")[0] in ("goal", "measure")] == [
        "goal.create", "goal.publish", "measure.create", "measure.publish", "measure.update", "measure.retire"]


def test_opening_a_measure_fills_the_form_and_the_lists_show_every_measure(dash_app, db):
    client = dash_app.server.test_client()
    login(client, "admin")
    status, answer = post(client, dash_app, ids.ADMIN_MEASURES_CHANGED, [entry(ids.ADMIN_MEASURES_CHANGED, "data", 0)],
                          [], f"{ids.ADMIN_MEASURES_CHANGED}.data")
    with db.sessions() as session:
        names = session.scalars(select(Measure.name)).all()
    listed = text_of(answer[ids.ADMIN_MEASURES_LIST])
    assert all(name in listed for name in names)
    measure = db.measure(PUBLISHED_MEASURE)
    edit_id = {"type": ids.ADMIN_MEASURE_EDIT, "id": measure.id}
    status, answer = post(client, dash_app, ids.ADMIN_MEASURE_NEW,
                          [entry(ids.ADMIN_MEASURE_NEW, "n_clicks", 0), [entry(edit_id, "n_clicks", 1)]], [],
                          f'{{"id":{measure.id},"type":"{ids.ADMIN_MEASURE_EDIT}"}}.n_clicks')
    controls = controls_of(answer[ids.ADMIN_MEASURE_FIELDS])
    assert controls["slug"] == {"value": PUBLISHED_MEASURE, "disabled": True}  # fixed once created
    assert controls["baseline_month"]["value"] == "2017-04" and controls["reason"]["value"] == ""
    assert controls["milestones"]["value"].startswith("2017-12 4000")
    assert controls["goal"]["value"] == "bring-families-home" and len(controls) == len(MEASURE_NAMES) + 1
    assert answer[ids.ADMIN_MEASURE_EDITING] == {"id": measure.id}


def test_the_form_offers_only_the_actions_that_fit_the_measure(dash_app, db):
    client = dash_app.server.test_client()
    login(client, "admin")

    key = next(k for k in dash_app.callback_map if k.startswith(f"..{ids.ADMIN_MEASURE_FORM}.hidden"))

    def form_state(editing):
        status, answer = post(client, dash_app, ids.ADMIN_MEASURE_EDITING,
                              [entry(ids.ADMIN_MEASURE_EDITING, "data", editing),
                               entry(ids.ADMIN_MEASURES_CHANGED, "data", 0)], [], f"{ids.ADMIN_MEASURE_EDITING}.data",
                              key=key)
        assert status == 200
        return answer

    new = form_state({"id": None})
    assert new[ids.ADMIN_MEASURE_FORM] is False and new[ids.ADMIN_MEASURE_PUBLISH]["disabled"] is True  # saved first
    with_figures = form_state({"id": db.measure(PUBLISHED_MEASURE).id})
    assert with_figures[ids.ADMIN_MEASURE_DELETE] == {"display": "none"}
    assert "Published" in with_figures[ids.ADMIN_MEASURE_STATE] and "monthly figures" in \
        with_figures[ids.ADMIN_MEASURE_STATE]
    closed = form_state(None)
    assert closed[ids.ADMIN_MEASURE_FORM] is True


def test_the_address_name_is_fixed_once_the_measure_exists(dash_app):
    client = dash_app.server.test_client()
    login(client, "admin")
    names = [*MEASURE_NAMES, "reason"]
    key = next(k for k, spec in dash_app.callback_map.items()
               if spec["inputs"][0]["id"] == ids.ADMIN_MEASURE_EDITING and "disabled" in k and "field" in k)
    wildcards = {ids.dom_id({"field": ["ALL"], "type": ids.ADMIN_MEASURE_FIELD}):
                 [ids.admin_field("measure", n) for n in names]}
    for editing, slug_fixed in (({"id": 5}, True), ({"id": None}, False)):
        status, answer = post(client, dash_app, "", [entry(ids.ADMIN_MEASURE_EDITING, "data", editing)], [],
                              f"{ids.ADMIN_MEASURE_EDITING}.data", key=key, wildcards=wildcards)
        assert status == 200
        fixed = {n for n in names if answer[ids.dom_id(ids.admin_field("measure", n))] is True}
        assert fixed == ({"slug"} if slug_fixed else set())
