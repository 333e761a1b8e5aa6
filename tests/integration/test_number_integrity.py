"""Every number right: what the public sees while a correction waits, and checks no one-line change may remove.

Each test here was written against a mutant of the code that the rest of the suite let through: the public read path
ignoring the goal's published flag, a correction skipping the valid-range check, the entry callback trusting a
version seen for another measure or month. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from test_pages_callbacks import LAST_MONTH, entry_panel, feedback_text, measure_id, row, save_entry, text_of

from conftest import TEST_USERS, login
from extensions import EXTENSION_KEY
from models.catalog import Goal, Measure
from models.errors import ValidationError
from models.measurements import Measurement
from models.org import User
from models.queries import overview
from models.services import Actor, approve_value, correct_value, return_value

TODAY = date(2026, 11, 20)
THIS_MONTH = date(2026, 11, 1)
SEP_2026 = date(2026, 9, 1)


def admin(session) -> Actor:
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["admin"][0])))


def approved_public_month(session) -> Measurement:
    """An approved September 2026 value of a published measure of a published goal."""
    return session.scalars(
        select(Measurement).join(Measure, Measure.id == Measurement.measure_id).join(Goal, Goal.id == Measure.goal_id)
        .where(Measurement.period == SEP_2026, Measurement.state == "approved", Measure.published.is_(True),
               Goal.published.is_(True), Measure.trajectory != "constant")
        .order_by(Measure.slug)
    ).first()


def public(session, **kwargs):
    return {m.slug: m for m in overview(session, today=TODAY, published_only=True, approved_only=True,
                                        **kwargs).measures}


@pytest.mark.parametrize("then", ["pending", "returned"])
def test_a_correction_changes_nothing_public_until_it_is_approved(session, then):
    stored = approved_public_month(session)
    slug, approved = stored.measure.slug, stored.value
    before = public(session, as_of=SEP_2026)[slug]
    assert (before.latest_period, before.latest_value) == (SEP_2026, approved)

    corrected = correct_value(session, admin(session), measurement_id=stored.id, expected_version=stored.version,
                              value=approved + 1, reason="The state's report was revised on Oct 3.")
    if then == "returned":
        return_value(session, admin(session), measurement_id=corrected.id, expected_version=corrected.version,
                     reason="The revision is not final yet; keep the published figure.")
    session.flush()

    during = public(session, as_of=SEP_2026)[slug]
    assert (during.latest_period, during.latest_value, during.latest_state) == (SEP_2026, approved, "approved")
    assert (during.status, during.freshness, during.reason) == (before.status, before.freshness, before.reason)
    assert dict(during.history)[SEP_2026] == approved
    # The latest view keeps September's approved figure in its history too.
    assert dict(public(session)[slug].history)[SEP_2026] == approved

    staff = {m.slug: m for m in overview(session, today=TODAY, as_of=SEP_2026).measures}[slug]
    if then == "pending":
        assert (staff.latest_value, staff.latest_state) == (approved + 1, "submitted")
    else:  # the returned correction does not count; the approved figure it meant to replace still stands
        assert (staff.latest_value, staff.latest_state) == (approved, "approved")


def test_approving_the_correction_publishes_the_new_figure(session):
    stored = approved_public_month(session)
    new_value = stored.value + 2
    corrected = correct_value(session, admin(session), measurement_id=stored.id, expected_version=stored.version,
                              value=new_value, reason="The state's report was revised on Oct 3.")
    reviewer = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["reviewer"][0])))
    approve_value(session, reviewer, measurement_id=corrected.id, expected_version=corrected.version)  # two people
    session.flush()
    assert public(session, as_of=SEP_2026)[stored.measure.slug].latest_value == new_value


def test_the_public_page_callback_keeps_the_approved_figure_while_a_correction_waits(client, dash_app):
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        stored = approved_public_month(session)
        slug, approved, corrected = stored.measure.slug, stored.value, stored.value * 3 + 7
        correct_value(session, admin(session), measurement_id=stored.id, expected_version=stored.version,
                      value=corrected, reason="The state's report was revised on Oct 3.")
        session.commit()
    response = client.post("/_dash-update-component", json={
        "output": "pub-overview.children", "outputs": {"id": "pub-overview", "property": "children"},
        "inputs": [{"id": "pub-month", "property": "value", "value": SEP_2026.isoformat()}],
        "state": [], "changedPropIds": ["pub-month.value"]})
    assert response.status_code == 200
    card = find_by_id(response.get_json()["response"]["pub-overview"]["children"], f"measure-{slug}")
    assert card is not None
    shown = text_of(card)
    assert f"{approved:,.0f}  (September 2026)" in shown or f"{approved:,.0f} (September 2026)" in shown, shown
    assert f"{corrected:,.0f}" not in shown
    assert "Figure overdue" not in shown and "Figure due" not in shown, "September's figure was in on time"


def find_by_id(node, component_id: str):
    """The component with this id in a rendered tree, or None; for an element inside the HTML of an HtmlBlock
    (cards and long tables are drawn so), the text it shows."""
    if isinstance(node, list):
        for child in node:
            found = find_by_id(child, component_id)
            if found is not None:
                return found
    elif isinstance(node, dict) and "props" in node:
        if node["props"].get("id") == component_id:
            return node
        return find_by_id([node["props"].get("children"), node["props"].get("html")], component_id)
    elif isinstance(node, str) and f'id="{component_id}"' in node:
        return html_element_text(node, component_id)
    return None


def html_element_text(markup: str, element_id: str) -> str | None:
    """The text (entities decoded, one space between pieces) of the HTML element with this id, or None."""
    from html.parser import HTMLParser

    class ElementText(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0  # open elements inside the one wanted (0: outside it)
            self.pieces: list[str] = []
            self.found = False

        def handle_starttag(self, tag, attrs):
            if self.depth:
                self.depth += tag not in ("img", "br", "hr", "input")
            elif dict(attrs).get("id") == element_id:
                self.depth, self.found = 1, True

        def handle_startendtag(self, tag, attrs):
            pass  # a self-closing element adds no depth and no text

        def handle_endtag(self, tag):
            if self.depth:
                self.depth -= 1

        def handle_data(self, data):
            if self.depth:
                self.pieces.append(data)

    parser = ElementText()
    parser.feed(markup)
    return " ".join(parser.pieces) if parser.found else None


def test_a_published_measure_under_an_unpublished_goal_is_never_public(session):
    goal = session.scalars(select(Goal).where(Goal.published.is_(True)).order_by(Goal.display_order)).first()
    slugs = {m.slug for m in goal.measures if m.published}
    assert slugs, "the goal needs published measures for this test to mean anything"
    goal.published = False
    session.flush()
    assert not slugs & set(public(session))
    assert slugs <= {m.slug for m in overview(session, today=TODAY).measures}


def test_a_correction_outside_the_valid_range_is_refused(session):
    stored = session.scalars(
        select(Measurement).join(Measure, Measure.id == Measurement.measure_id)
        .where(Measure.valid_max.is_not(None)).order_by(Measurement.id)
    ).first()
    too_big = stored.measure.valid_max + 1
    with pytest.raises(ValidationError, match="outside the valid range"):
        correct_value(session, admin(session), measurement_id=stored.id, expected_version=stored.version,
                      value=too_big, reason="A figure far above anything possible.")
    session.rollback()
    assert session.get(Measurement, stored.id).value == stored.value


@pytest.mark.parametrize("seen_for", ["another measure", "another month"])
def test_a_version_seen_for_another_measure_or_month_is_not_trusted(client, dash_app, seen_for):
    login(client, "editor")
    rental = measure_id(dash_app, "ocd-rental-units-repaired")
    stored = row(dash_app, rental, LAST_MONTH)
    panel = entry_panel(client, rental, LAST_MONTH)
    seen = dict(panel["entry-version"]["data"])
    assert seen["version"] == stored.version
    if seen_for == "another measure":
        seen["measure_id"] = rental + 1
    else:
        seen["period"] = SEP_2026.isoformat()

    message = feedback_text(save_entry(client, rental, LAST_MONTH, stored.value + 5, version=seen,
                                       reason="Two more units passed inspection."))

    assert "not saved" in message
    assert row(dash_app, rental, LAST_MONTH).value == stored.value


def test_a_running_total_shows_the_drop_confirmation_and_a_fall_needs_it(client, dash_app):
    login(client, "editor")
    rental = measure_id(dash_app, "ocd-rental-units-repaired")  # a running total
    vacant = measure_id(dash_app, "ocd-vacant-addresses-flooded-tracts")  # not one
    assert entry_panel(client, rental, THIS_MONTH)["entry-drop-group"]["hidden"] is False
    assert entry_panel(client, vacant, THIS_MONTH)["entry-drop-group"]["hidden"] is True

    october = row(dash_app, rental, LAST_MONTH).value
    refused = feedback_text(save_entry(client, rental, THIS_MONTH, october - 10))
    assert "running total" in refused and "still in the form" in refused
    assert row(dash_app, rental, THIS_MONTH) is None
    response = save_entry(client, rental, THIS_MONTH, october - 10, confirm_drop=True,
                          note="Ten units were reclassified as not flood-damaged.")
    assert "Saved" in feedback_text(response)
    outputs = response.get_json()["response"]
    # After a save the form is empty again: nothing invites a second save against another measure.
    assert outputs["entry-value"]["value"] == "" and outputs["entry-confirm-drop"]["value"] is False
    assert row(dash_app, rental, THIS_MONTH).value == october - 10


def test_choosing_another_measure_or_month_clears_the_last_message(client, dash_app):
    login(client, "editor")
    key = next(k for k in dash_app.callback_map if k.startswith("..entry-feedback.children@"))
    body = {"output": key, "outputs": [{"id": "entry-feedback", "property": "children"},
                                       {"id": "entry-confirm-drop", "property": "value"}],
            "inputs": [{"id": "entry-measure", "property": "value", "value": "3"},
                       {"id": "entry-period", "property": "value", "value": LAST_MONTH.isoformat()}],
            "state": [], "changedPropIds": ["entry-measure.value"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    outputs = response.get_json()["response"]
    assert outputs["entry-feedback"]["children"] is None and outputs["entry-confirm-drop"]["value"] is False


@pytest.mark.parametrize("odd_month", [date(1, 1, 1), date(1900, 1, 1), date(9999, 12, 1)])
def test_no_stored_row_can_break_a_worklist(client, dash_app, odd_month):
    """A month no service accepts today, stored by an older version or by hand: every page still renders."""
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        measure = session.scalar(select(Measure).order_by(Measure.id))
        session.add(Measurement(measure_id=measure.id, period=odd_month, value=1.0, state="submitted"))
        session.commit()
    login(client, "admin")
    queue = client.post("/_dash-update-component", json={
        "output": "admin-queue.children", "outputs": {"id": "admin-queue", "property": "children"},
        "inputs": [{"id": "admin-refresh", "property": "n_clicks", "value": 0},
                   {"id": "admin-done", "property": "data", "value": 0},
                   {"id": "admin-filter-department", "property": "value", "value": "all"},
                   {"id": "admin-filter-month", "property": "value", "value": "all"}],
        "state": [], "changedPropIds": []})
    assert queue.status_code == 200
    shown = text_of(queue.get_json()["response"]["admin-queue"]["children"])
    assert f"{odd_month:%B} {odd_month.year}" in shown or f"{odd_month:%B} {odd_month.year:04d}" in shown
    for output, inputs in (("pub-overview.children", [{"id": "pub-month", "property": "value"}]),
                           ("exec-table.children", [{"id": "exec-month", "property": "value"},
                                                    {"id": "exec-goal", "property": "value", "value": "all"},
                                                    {"id": "exec-status", "property": "value", "value": "all"},
                                                    {"id": "exec-department", "property": "value", "value": "all"}])):
        response = client.post("/_dash-update-component", json={
            "output": output, "outputs": {"id": output.split(".")[0], "property": "children"},
            "inputs": inputs, "state": [], "changedPropIds": []})
        assert response.status_code == 200, output


# January of year 1 is left out: the overview read path itself reads a year of history before the month viewed.
@pytest.mark.parametrize("odd_month", [date(1900, 1, 1), date(9999, 12, 1)])
def test_no_stored_row_can_break_the_executive_view_or_the_briefing(client, dash_app, odd_month):
    """What changed, the briefing and its workbook, asked for the month of a stray row (or the latest month), answer."""
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        measure = session.scalar(select(Measure).order_by(Measure.id))
        session.add(Measurement(measure_id=measure.id, period=odd_month, value=1.0, state="submitted"))
        session.commit()
    login(client, "viewer")
    for output, inputs in (
            ("exec-changes.children", [{"id": "exec-month", "property": "value", "value": odd_month.isoformat()},
                                       {"id": "exec-department", "property": "value", "value": "all"},
                                       {"id": "exec-goal", "property": "value", "value": "all"}]),
            ("exec-briefing.children", [{"id": "exec-briefing-month", "property": "data",
                                         "value": f"{odd_month.year:04d}-{odd_month.month:02d}"}])):
        response = client.post("/_dash-update-component", json={
            "output": output, "outputs": {"id": output.split(".")[0], "property": "children"},
            "inputs": inputs, "state": [], "changedPropIds": []})
        assert response.status_code == 200, output
    assert client.get(f"/dashboard/briefing.xlsx?month={odd_month.year:04d}-{odd_month.month:02d}").status_code == 200
