"""Each goal shows a status of its own on the public page and on the dashboard (the weakest of its measures)."""
from __future__ import annotations

from test_number_integrity import find_by_id
from test_pages_callbacks import text_of

from conftest import login, post_callback
from extensions import EXTENSION_KEY
from models.progress import STATUS_LABELS
from models.queries import overview


def words(node) -> str:
    """The text of a component tree with the decorative status icons dropped and spaces folded."""
    return " ".join(word for word in text_of(node).split() if word not in ("✓", "!", "✕", "★", "–"))


def goal_statuses(dash_app, public: bool) -> dict[str, tuple[str, str]]:
    """slug -> (title, status) from the read path, for the default month."""
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        view = overview(session, published_only=public, approved_only=public)
    return {g.slug: (g.title, g.status) for g in view.goals}


def test_public_goal_sections_show_the_goal_status(client, dash_app):
    expected = goal_statuses(dash_app, public=True)
    assert {status for _, status in expected.values()} - {"no_data"}, "the seed should give goals real statuses"
    response = post_callback(client, "pub-overview.children", [{"id": "pub-month", "property": "value"}])
    assert response.status_code == 200
    tree = response.get_json()["response"]["pub-overview"]["children"]
    for slug, (_title, status) in expected.items():
        heading = words(find_by_id(tree, f"goal-{slug}"))
        section = words(tree)
        assert heading and f"Goal status: {STATUS_LABELS[status]}" in section.split(heading, 1)[1][:200], slug


def test_dashboard_summary_lists_every_goal_with_its_status(client, dash_app):
    login(client, "viewer")
    expected = goal_statuses(dash_app, public=False)
    response = post_callback(client, "exec-summary.children", [{"id": "exec-month", "property": "value"},
                                                               {"id": "exec-goal", "property": "value", "value": "all"},
                                                               {"id": "exec-department", "property": "value"}])
    assert response.status_code == 200
    shown = words(response.get_json()["response"]["exec-summary"]["children"])
    for title, status in expected.values():
        assert f"{STATUS_LABELS[status]} {title}" in shown


def test_month_pickers_offer_every_month_since_the_first_figure(client, dash_app):
    from datetime import date

    from models.progress import add_months

    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        from models.queries import earliest_period

        public_first = earliest_period(session, published_only=True, approved_only=True)
        staff_first = earliest_period(session, published_only=False, approved_only=False)
    assert staff_first <= public_first < date(2018, 1, 1)
    response = post_callback(client, "pub-month.options", [{"id": "pub-month", "property": "id",
                                                            "value": "pub-month"}])
    options = response.get_json()["response"]["pub-month"]["options"]
    assert options[0]["value"] == "2026-10-01" and options[-1]["value"] == public_first.isoformat()
    assert [o["value"] for o in options] == [add_months(date(2026, 10, 1), -i).isoformat()
                                             for i in range(len(options))]
    login(client, "viewer")
    response = post_callback(client, "exec-month.options", [{"id": "exec-month", "property": "id",
                                                             "value": "exec-month"}])
    assert response.get_json()["response"]["exec-month"]["options"][-1]["value"] == staff_first.isoformat()


def test_wide_staff_tables_scroll_in_a_focusable_named_region(client, dash_app):
    login(client, "admin")
    response = post_callback(client, "exec-table.children", [{"id": "exec-month", "property": "value"},
                                                             {"id": "exec-goal", "property": "value", "value": "all"},
                                                             {"id": "exec-status", "property": "value",
                                                              "value": "all"},
                                                             {"id": "exec-department", "property": "value"}])
    wrapper = response.get_json()["response"]["exec-table"]["children"]["props"]
    assert wrapper["className"] == "table-responsive" and wrapper["tabIndex"] == "0"
    assert wrapper["role"] == "region" and wrapper["aria-label"].startswith("Measures table")
