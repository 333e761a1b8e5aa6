"""The executive view's and briefing's pure builders (layouts/_stat.py): what they say, link and offer."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime

import plotly

from layouts._stat import attention_list, follow_up_list, what_changed
from models.stat import CorrectionMade, FollowUpItem, MissingDepartment, MonthChanges, NewValue, StatusMove
from tests.unit.test_figures import make_detail

TODAY = date(2026, 11, 20)


def dumped(component) -> str:
    """A component tree as the JSON Dash sends."""
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder)


def item(**changes) -> FollowUpItem:
    """A follow-up, open and due after TODAY unless changed."""
    values = dict(id=7, measure_slug="homes", measure_name="Homes repaired", action="Clear the backlog",
                  department_slug="ocd", department_name="Office of Community Development", due_date=date(2026, 12, 1),
                  created_by="Pat Admin", created_at=datetime(2026, 11, 2, tzinfo=UTC), done_by=None, done_at=None)
    values.update(changes)
    return FollowUpItem(**values)


def test_follow_up_list_flags_overdue_in_words_and_offers_mark_done_only_to_admins_on_open_items():
    items = [item(), item(id=8, action="Late one", due_date=date(2026, 11, 10)),
             item(id=9, action="Finished", done_by="Pat Admin", done_at=datetime(2026, 11, 15, 18, tzinfo=UTC))]
    admin = dumped(follow_up_list(items, TODAY, can_close=True))
    assert admin.count("Overdue") == 1 and "Done Nov 15, 2026" in admin
    assert admin.count('"type": "admin-follow-up-close"') == 2  # the two open ones
    reader = dumped(follow_up_list(items, TODAY, can_close=False))
    assert "admin-follow-up-close" not in reader and "Overdue" in reader
    assert "No follow-ups recorded" in dumped(follow_up_list([], TODAY, can_close=False))


def test_attention_list_links_each_measure_to_its_staff_page_and_says_when_nothing_needs_attention():
    status = make_detail().status
    shown = dumped(attention_list([status], date(2026, 10, 1)))
    assert f'"/dashboard/measures/{status.slug}"' in shown and "Needs attention" in shown
    assert "Nothing is off track, at risk or overdue as of October 2026" in dumped(attention_list([], date(2026, 10,
                                                                                                             1)))


def test_what_changed_keeps_only_the_filtered_measures_and_names_the_reason_of_each_correction():
    status = make_detail().status
    other = "someone-else"
    changes = MonthChanges(
        month=date(2026, 10, 1),
        new_values=(NewValue(status.slug, status.name, status.department_slug, status.goal_slug, "count", 0, 5.0,
                             "submitted"),
                    NewValue(other, "Other measure", "x", "g", "count", 0, 1.0, "approved")),
        corrections=(CorrectionMade(status.slug, status.name, status.department_slug, status.goal_slug, "count", 0,
                                    date(2026, 8, 1), 10.0, 12.0, "Restated after an audit", "Pat Admin",
                                    datetime(2026, 11, 3, tzinfo=UTC)),),
        not_submitted=(MissingDepartment(status.department_slug, "Owner dept", 1, 3),
                       MissingDepartment("x", "Other dept", 2, 2)),
    )
    moves = [StatusMove(status.slug, status.name, status.goal_slug, status.department_slug, "Owner dept",
                        "on_track", "off_track")]
    shown = dumped(what_changed(changes, moves, date(2026, 9, 1), {status.slug: status}))
    assert "What changed since September 2026" in shown
    assert "Worsened" in shown and "On track \\u2192 Off track" in shown
    assert "1 new figure for October 2026" in shown and "Other measure" not in shown
    assert "Restated after an audit" in shown and "Owner dept: 1 of 3 measures" in shown
    assert "Other dept" not in shown
