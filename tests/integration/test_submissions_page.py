"""The submission tracker page and the executive "who is late", through the Flask test client (SQLite and
PostgreSQL): what each role gets, refused on the server for the anonymous, and one query behind both."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from test_exec_view import answer, db, filters, hrefs
from test_pages_callbacks import prop, text_of

from conftest import login, post_callback
from models import clock
from models.catalog import Measure
from models.measurements import Measurement
from models.org import Department
from models.submissions import submission_tracker

OCTOBER = date(2026, 10, 1)  # the month now due on the tests' pinned day, 2026-11-20


def tracker_response(client):
    """POST the tracker page's callback as the browser does."""
    return post_callback(client, "exec-submissions.children", [prop("exec-submissions-request", "data", True)])


def rows(tree: Any) -> dict[str, list[str]]:
    """Each department row of the rendered table: its slug -> the texts of its cells."""
    found: dict[str, list[str]] = {}

    def walk(node):
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            props = node.get("props", {})
            if node.get("type") == "Tr" and "data-department" in props:
                found[props["data-department"]] = [text_of(cell).strip() for cell in props["children"]]
                return
            walk(props.get("children"))

    walk(tree)
    return found


def make_ocd_late(dash_app) -> None:
    """Send one of OCD's October figures back (never approved): it no longer counts, so October is late on the
    pinned day (due November 15)."""
    with db(dash_app) as session:
        row = session.scalar(select(Measurement).join(Measure, Measure.id == Measurement.measure_id)
                             .join(Department, Department.id == Measure.owner_department_id)
                             .where(Department.slug == "ocd", Measurement.period == OCTOBER)
                             .order_by(Measure.slug))
        row.state, row.approved_value = "returned", None
        session.commit()


@pytest.mark.parametrize("who", [None, "viewer", "editor", "admin"])
def test_the_tracker_callback_is_refused_to_the_anonymous_and_served_to_staff(client, who):
    if who:
        login(client, who)
    response = tracker_response(client)
    assert response.status_code == (401 if who is None else 200)
    if who is None:
        assert "Late" not in response.get_data(as_text=True)
        page = client.get("/dashboard/submissions")
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")


def test_the_tracker_shows_each_department_twelve_months_in_words_with_its_contact(client, dash_app):
    with db(dash_app) as session:
        expected = submission_tracker(session, clock.today())
    login(client, "viewer")
    shown = answer(tracker_response(client), "exec-submissions")
    table = rows(shown)
    assert set(table) == {d.slug for d in expected.departments}
    for department in expected.departments:
        cells = table[department.slug]
        assert len(cells) == 1 + 12 + 1  # name, twelve months, contact
        assert cells[0].startswith(department.name)
        for text, cell in zip(cells[1:13], department.cells, strict=True):
            assert text.endswith(cell.label if cell else "Not tracked yet")
        if department.contact_email:
            assert department.contact_email in cells[-1]
    text = text_of(shown)
    assert "Nov 2025" in text and "Oct 2026" in text and "Dec 2024" not in text
    assert "Editors: " in " ".join(table["ocd"]) and "ocd.editor@example.org" in " ".join(table["ocd"])
    # A viewer enters nothing: no link to the entry grid.
    assert "/entry" not in hrefs(shown)


def test_editors_get_the_entry_grid_on_their_own_departments_row_and_the_late_show_in_words(client, dash_app):
    make_ocd_late(dash_app)
    login(client, "editor")
    shown = answer(tracker_response(client), "exec-submissions")
    assert hrefs(shown).count("/entry") == 1
    table = rows(shown)
    assert "Enter figures" in table["ocd"][0]
    assert table["ocd"][12].startswith("!") and "Late" in table["ocd"][12]
    assert "Office of Community Development" in text_of(shown).split("Late for October 2026:")[1].split(".")[0]


def test_the_dashboards_who_is_late_reads_the_tracker_query(client, dash_app):
    make_ocd_late(dash_app)
    with db(dash_app) as session:
        tracker = submission_tracker(session, clock.today())
    october = {d.slug: d.cell(OCTOBER) for d in tracker.departments}
    login(client, "viewer")
    text = " ".join(text_of(answer(post_callback(client, "exec-changes.children", filters()[:3]),
                                   "exec-changes")).split())
    for department in tracker.departments:
        cell = october[department.slug]
        line = f"{department.name}: {cell.missing} of {cell.expected} measure"
        assert (line in text) == bool(cell.missing), department.slug
        if cell.missing:
            late = f"{department.name}: {cell.missing} of {cell.expected} measure{'s' if cell.expected != 1 else ''} " \
                   f"without a October 2026 figure — late (due {cell.due:%B} {cell.due.day}, {cell.due.year})"
            assert (late in text) == (cell.state == "late"), department.slug
    assert october["ocd"].state == "late"
