"""Pure layout pieces: what a reader sees for a measure."""
from __future__ import annotations

from datetime import date

from layouts._components import nav_links, reason_beside_name, status_badge
from models.queries import MeasureStatus


def _measure(**changes) -> MeasureStatus:
    base = MeasureStatus(
        measure_id=1, slug="homes", name="Homes repaired", definition="d", unit="count", decimals=0,
        direction="increase", trajectory="linear", goal_slug="g", goal_title="G", department_slug="ocd",
        department_name="OCD", data_source="report", citation="illustrative", published=True, baseline_value=0,
        baseline_period=date(2017, 1, 1), target_value=100, target_period=date(2027, 1, 1),
        latest_period=date(2026, 10, 1), latest_value=60, latest_state="approved", status="on_track",
        freshness="current", progress=0.6, expected=58, reason="Homes repaired: 60, up from 0 toward 100.",
        forecast=None, history=(),
    )
    return base._replace(**changes)


def test_reason_beside_name_drops_the_repeated_name_and_capitalises():
    """A card already titled with the measure name shows the reason without repeating it."""
    assert reason_beside_name(_measure()) == "60, up from 0 toward 100."
    assert reason_beside_name(_measure(reason="No value reported yet.")) == "No value reported yet."
    assert reason_beside_name(_measure(reason="Homes repaired: up from 0.")) == "Up from 0."


def test_status_badge_carries_text_and_a_decorative_icon():
    """Status is text plus icon, never colour alone; the icon is hidden from screen readers."""
    badge = status_badge("off_track").to_plotly_json()
    icon, text = badge["props"]["children"]
    assert text == "Off track"
    assert icon.to_plotly_json()["props"]["aria-hidden"] == "true"


def test_nav_links_follow_the_roles_matrix():
    """Each role sees exactly the pages it may use."""
    assert [h for _, h in nav_links(None)] == ["/"]
    assert [h for _, h in nav_links("viewer")] == ["/", "/dashboard", "/dashboard/submissions"]
    assert [h for _, h in nav_links("editor")] == ["/", "/dashboard", "/dashboard/submissions", "/entry"]
    assert [h for _, h in nav_links("admin")] == ["/", "/dashboard", "/dashboard/submissions", "/entry", "/review",
                                                   "/admin/feedback", "/admin"]
