"""The executive view, the staff measure page, follow-ups and the monthly Stat briefing, through the Flask test client
(SQLite and PostgreSQL): what each callback shows, to whom, and the XLSX download."""
from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from typing import Any

import dash
import pandas as pd
from sqlalchemy import select
from test_pages_callbacks import prop, text_of

from conftest import TEST_USERS, login, post_callback
from extensions import EXTENSION_KEY
from models.catalog import Measure
from models.followups import FollowUp
from models.measurements import Measurement, Revision
from models.org import User
from models.queries import overview
from models.stat import needs_attention

MONTH = date(2026, 10, 1)
TODAY = date(2026, 11, 20)  # the tests' pinned clock


def hrefs(node: Any) -> list[str]:
    """Every link target in a rendered component tree."""
    found = []
    if isinstance(node, list):
        for n in node:
            found += hrefs(n)
    elif isinstance(node, dict):
        props = node.get("props", {})
        if "href" in props:
            found.append(props["href"])
        found += hrefs(props.get("children"))
    return found


def db(dash_app):
    """A fresh session on the app's database."""
    return dash_app.server.extensions[EXTENSION_KEY].sessions()


def filters(month: str = MONTH.isoformat(), department: str = "all", goal: str = "all", status: str = "all"):
    """The four dashboard filter inputs."""
    return [prop("exec-month", "value", month), prop("exec-department", "value", department),
            prop("exec-goal", "value", goal), prop("exec-status", "value", status)]


def answer(response, component: str, name: str = "children"):
    """One output of a callback response."""
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"][component][name]


def attention(dash_app) -> list:
    """The read path's measures needing attention as of MONTH (staff view)."""
    with db(dash_app) as session:
        return needs_attention(overview(session, as_of=MONTH, today=TODAY).measures)


def test_dashboard_needs_attention_lists_worst_first_and_links_each_to_its_staff_page(client, dash_app):
    login(client, "viewer")
    shown = answer(post_callback(client, "exec-attention.children", filters()), "exec-attention")
    expected = attention(dash_app)
    assert expected, "the seed has measures off track or at risk"
    links = [h for h in hrefs(shown) if h.startswith("/dashboard/measures/")]
    assert links == [f"/dashboard/measures/{m.slug}" for m in expected]
    text = text_of(shown)
    assert "Needs attention" in text and "Off track" in text
    # A department filter keeps only that department's measures.
    department = expected[0].department_slug
    only = answer(post_callback(client, "exec-attention.children", filters(department=department)), "exec-attention")
    assert [h.rsplit("/", 1)[1] for h in hrefs(only) if "/measures/" in h] == [
        m.slug for m in expected if m.department_slug == department]


def test_what_changed_shows_moves_new_figures_corrections_with_reasons_and_who_has_not_submitted(client, dash_app):
    with db(dash_app) as session:
        september = session.scalar(select(Measurement).where(Measurement.period == date(2026, 9, 1))
                                   .order_by(Measurement.id))
        name = session.get(Measure, september.measure_id).name
        admin_id = session.scalar(select(User.id).where(User.email == TEST_USERS["admin"][0]))
        # A correction of September recorded while October was being reported (early November).
        session.add(Revision(measurement_id=september.id, action="correct", old_value=september.value,
                             new_value=september.value + 1, old_state="approved", new_state="submitted",
                             reason="Restated by the agency after an audit", user_id=admin_id,
                             created_at=datetime(2026, 11, 5, 15, tzinfo=UTC)))
        session.commit()
    login(client, "viewer")
    text = text_of(answer(post_callback(client, "exec-changes.children", filters()[:3]), "exec-changes"))
    assert "What changed since September 2026" in text
    assert "Restated by the agency after an audit" in text and name in text
    assert "new figure" in text and "Status moves" in text
    # November has no figures yet: every department is listed as not submitted.
    november = text_of(answer(post_callback(client, "exec-changes.children", filters(month="2026-11-01")[:3]),
                              "exec-changes"))
    assert "without a November 2026 figure" in november
    assert "Restated by the agency" not in november  # a correction counts in one month's window only


def test_filters_are_written_to_the_address_and_the_page_reads_them_back(client, dash_app):
    login(client, "viewer")
    search = answer(post_callback(client, "exec-url.search", filters(department="ocd", status="off_track")),
                    "exec-url", "search")
    assert search == "?month=2026-10&department=ocd&status=off_track"
    page = next(p for p in dash.page_registry.values() if p["path"] == "/dashboard")
    layout = json.loads(json.dumps(page["layout"](month="2026-09", department="ocd", status="off_track"),
                                   cls=__import__("plotly").utils.PlotlyJSONEncoder))
    values = {}

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if str(props.get("id", "")).startswith("exec-"):
                values[props["id"]] = props.get("value")
            walk(props.get("children"))

    walk(layout)
    assert values["exec-month"] == "2026-09-01" and values["exec-department"] == "ocd"
    assert values["exec-status"] == "off_track" and values["exec-goal"] == "all"
    values.clear()
    walk(json.loads(json.dumps(page["layout"](month="2031-01"), cls=__import__("plotly").utils.PlotlyJSONEncoder)))
    assert values["exec-month"] == "2026-10-01"  # a month not over yet opens the latest complete month


def test_staff_measure_page_shows_unpublished_measures_revisions_and_the_follow_up_form_to_admins_only(client,
                                                                                                  dash_app):
    with db(dash_app) as session:
        hidden = session.scalar(select(Measure).where(Measure.published.is_(False)).order_by(Measure.id))
        slug, name = hidden.slug, hidden.name
        hidden_department = hidden.owner_department.slug
    assert client.get(f"/measures/{slug}").status_code == 404  # no public page: it is not published
    login(client, "viewer")
    assert client.get(f"/dashboard/measures/{slug}").status_code == 200
    assert client.get("/dashboard/measures/no-such-measure").status_code == 404
    page = staff_page(client, slug)
    text = text_of([page["exec-measure-page"]["children"], page["exec-measure-more"]["children"]])
    assert name in text and "Not published" in text and "Revision history" in text and "Imported" in text
    assert page["exec-follow-up-section"]["hidden"] is False
    assert page["exec-follow-up-form"]["hidden"] is True  # viewers read follow-ups; only admins record them
    login(client, "admin")
    admin_page = staff_page(client, slug)
    assert admin_page["exec-follow-up-form"]["hidden"] is False
    assert admin_page["exec-follow-up-department"]["value"] == hidden_department
    assert staff_page(client, "no-such-measure")["exec-follow-up-section"]["hidden"] is True


STAFF_PAGE_OUTPUTS = ["exec-measure-page.children", "exec-measure-more.children", "exec-follow-up-section.hidden",
                      "exec-follow-up-form.hidden", "exec-follow-up-department.options",
                      "exec-follow-up-department.value"]


def staff_page(client, slug: str) -> dict:
    """The staff measure page callback's outputs for a slug."""
    response = client.post("/_dash-update-component", json={
        "output": ".." + "...".join(STAFF_PAGE_OUTPUTS) + "..",
        "outputs": [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in STAFF_PAGE_OUTPUTS],
        "inputs": [prop("exec-measure-slug", "data", slug)], "state": [],
        "changedPropIds": ["exec-measure-slug.data"]})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]


def save_body(slug: str, action: str, department: str, due: str) -> dict:
    """The follow-up form's save request."""
    outputs = ["admin-follow-up-feedback.children", "admin-follow-up-changed.data", "admin-follow-up-action.value"]
    return {
        "output": ".." + "...".join(outputs) + "..",
        "outputs": [dict(zip(("id", "property"), o.rsplit(".", 1))) for o in outputs],
        "inputs": [prop("admin-follow-up-save", "n_clicks", 1)],
        "state": [prop("exec-measure-slug", "data", slug), prop("admin-follow-up-action", "value", action),
                  prop("exec-follow-up-department", "value", department),
                  prop("admin-follow-up-due", "value", due), prop("admin-follow-up-changed", "data", 0)],
        "changedPropIds": ["admin-follow-up-save.n_clicks"],
    }


def test_follow_ups_are_recorded_by_admins_listed_flagged_overdue_and_closed(client, dash_app):
    slug = attention(dash_app)[0].slug
    login(client, "viewer")
    assert client.post("/_dash-update-component",
                       json=save_body(slug, "Clear the backlog", "ocd", "2026-11-10")).status_code == 403
    login(client, "admin")
    refused = client.post("/_dash-update-component", json=save_body(slug, "Clear the backlog", "ocd", ""))
    body = refused.get_json()["response"]
    assert "due date" in text_of(body["admin-follow-up-feedback"]["children"])
    assert "admin-follow-up-action" not in body  # what was typed stays in the form
    saved = client.post("/_dash-update-component", json=save_body(slug, "Clear the backlog", "ocd", "2026-11-10"))
    body = saved.get_json()["response"]
    assert "Follow-up recorded" in text_of(body["admin-follow-up-feedback"]["children"])
    assert body["admin-follow-up-action"]["value"] == ""
    listed = answer(client.post("/_dash-update-component", json={
        "output": "exec-follow-ups.children", "outputs": {"id": "exec-follow-ups", "property": "children"},
        "inputs": [prop("exec-measure-slug", "data", slug), prop("admin-follow-up-changed", "data", 1)],
        "state": [], "changedPropIds": ["admin-follow-up-changed.data"]}), "exec-follow-ups")
    assert "Clear the backlog" in text_of(listed) and "Overdue" in text_of(listed)  # due Nov 10, today Nov 20
    with db(dash_app) as session:
        follow_up_id = session.scalar(select(FollowUp.id))
    key = next(k for k in dash_app.callback_map if "admin-follow-up-changed.data@" in k)
    button = {"id": follow_up_id, "type": "admin-follow-up-close"}
    closed = client.post("/_dash-update-component", json={
        "output": key, "outputs": [{"id": "admin-follow-up-feedback", "property": "children"},
                                   {"id": "admin-follow-up-changed", "property": "data"}],
        "inputs": [[prop(button, "n_clicks", 1)]],
        "state": [prop("admin-follow-up-changed", "data", 1)],
        "changedPropIds": [json.dumps(button, sort_keys=True, separators=(",", ":")) + ".n_clicks"]})
    assert closed.status_code == 200, closed.get_data(as_text=True)[:300]
    assert "marked done" in closed.get_data(as_text=True)
    with db(dash_app) as session:
        assert session.scalar(select(FollowUp.done_at).where(FollowUp.id == follow_up_id)) is not None


def test_briefing_has_a_section_per_measure_needing_attention_with_open_follow_ups(client, dash_app):
    expected = attention(dash_app)
    login(client, "admin")
    client.post("/_dash-update-component", json=save_body(expected[0].slug, "Weekly inspection push", "ocd",
                                                          "2026-12-15"))
    login(client, "viewer")
    page = answer(post_callback(client, "exec-briefing.children", [prop("exec-briefing-month", "data", "2026-10")]),
                  "exec-briefing")
    dumped = json.dumps(page)
    assert dumped.count('"briefing-section"') == len(expected)
    assert dumped.count('"progress-chart"') == len(expected)
    text = text_of(page)
    assert "Monthly Stat briefing: October 2026" in text and "Weekly inspection push" in text
    assert [h for h in hrefs(page) if h.startswith("/dashboard/briefing.xlsx")] == ["/dashboard/briefing.xlsx?month=2026-10"]


def test_briefing_xlsx_is_for_staff_and_holds_the_same_measures(client, dash_app):
    response = client.get("/dashboard/briefing.xlsx?month=2026-10")
    assert response.status_code == 302 and response.headers["Location"] == (
        "/login?next=/dashboard/briefing.xlsx?month=2026-10")
    login(client, "viewer")
    response = client.get("/dashboard/briefing.xlsx?month=2026-10")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    sheets = pd.read_excel(io.BytesIO(response.data), sheet_name=None)
    assert list(sheets["Needs attention"]["Slug"]) == [m.slug for m in attention(dash_app)]
    summary = dict(zip(sheets["Summary"]["Item"], sheets["Summary"]["Value"]))
    assert summary["Month"] == "October 2026"
    assert {"Status moves", "New figures", "Corrections", "Not submitted", "Follow-ups"} <= set(sheets)
