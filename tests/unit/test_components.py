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


def _walk(component) -> list:
    """A component and every component under it."""
    found = [component]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if hasattr(child, "to_plotly_json"):
            found += _walk(child)
    return found


def test_a_card_sparkline_is_an_image_named_by_its_trend_in_words():
    """The sparkline is a static SVG image whose text alternative says the trend; no plotly graph on the card."""
    from layouts._components import measure_card_html

    measure = _measure(history=((date(2026, 9, 1), 50.0), (date(2026, 10, 1), 60.0)))
    card = measure_card_html(measure)
    assert card.count("<img ") == 1 and '<img src="data:image/svg+xml,' in card
    assert 'alt="Trend: from 50 in September 2026 to 60 in October 2026."' in card
    assert 'class="sparkline mb-2" height="44">' in card
    assert "<img " not in measure_card_html(measure, internal=True)


def test_a_card_is_one_html_block_with_every_text_escaped_and_its_name_linking_in_place():
    """A card's texts (catalog and computed) are escaped and shown as typed (braces too); the name links to the
    measure's page, opening in place (`data-page-link`); a goal's cards are one HtmlBlock."""
    from layouts._components import goal_section, measure_card_html
    from layouts.html_block import HtmlBlock
    from models.queries import GoalStatus

    measure = _measure(slug="m-1", name="Homes {repaired} <b>", definition="Counts {x} & <script>alert(1)</script>",
                       forecast="{soon}")
    card = measure_card_html(measure)
    assert "<script" not in card and "<b>" not in card
    assert '<a href="/measures/m-1" data-page-link>Homes {repaired} &lt;b&gt;</a>' in card
    assert "Counts {x} &amp; &lt;script&gt;alert(1)&lt;/script&gt;" in card and "{soon}" in card
    assert 'id="measure-m-1"' in card and 'role="progressbar"' in card
    assert "<a " not in measure_card_html(measure, internal=True)
    goal = GoalStatus(goal_id=1, slug="g", title="G", summary="s", department_name="DPW", published=True,
                      status="at_risk", status_counts={"at_risk": 2}, measures=(measure, _measure(slug="m-2")))
    grids = [c for c in _walk(goal_section(goal)) if isinstance(c, HtmlBlock)]
    assert len(grids) == 1 and grids[0].className == "measure-grid mb-3"
    assert grids[0].html.count("<article ") == 2


def test_goal_table_lists_each_goal_with_status_words_counts_and_an_escaped_link():
    """One accessible table: caption, column and row headers, status in words, catalog text escaped."""
    from layouts._components import goal_table, goal_table_html
    from models.queries import GoalStatus

    goal = GoalStatus(goal_id=1, slug="drain", title='Drains <b>&</b> "pumps"', summary="s", department_name="DPW",
                      published=True, status="at_risk", status_counts={"on_track": 2, "at_risk": 1, "off_track": 0},
                      measures=(_measure(), _measure(slug="b"), _measure(slug="c")))
    table = goal_table_html([goal])
    assert table.count("<caption>") == 1 and table.count('scope="col"') == 3
    assert ('<th scope="row"><a href="/goals/drain" data-page-link>Drains &lt;b&gt;&amp;&lt;/b&gt; &quot;pumps&quot;'
            '</a></th>') in table
    assert ">At risk</td>" in table and "<td>3 measures: 2 on track, 1 at risk</td>" in table
    assert "<b>" not in table and "\n" not in table
    blocks = [c for c in _walk(goal_table([goal])) if type(c).__name__ == "HtmlBlock"]
    assert len(blocks) == 1 and blocks[0].html == table
