"""Public goal, measure and about pages through the Flask test client, both backends: real 404s that cannot tell an
unpublished goal or measure from an absent one, and page callbacks that never render hidden content."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from conftest import login, post_callback
from layouts import ids
from models.catalog import Goal, Measure

NOT_FOUND = "Page not found"


def hidden_and_public(dash_app):
    """(an unpublished measure, a published measure under an unpublished goal, a public measure, hidden goal)."""
    from extensions import EXTENSION_KEY

    sessions = dash_app.server.extensions[EXTENSION_KEY].sessions
    with sessions() as session:
        unpublished = session.scalar(select(Measure.slug).where(Measure.published.is_(False)).order_by(Measure.id))
        hidden_goal = session.scalar(select(Goal).where(Goal.published.is_(False)))
        under_hidden = session.scalar(select(Measure).where(Measure.goal_id == hidden_goal.id))
        under_hidden.published = True  # published itself, but its goal is not
        public = session.scalar(select(Measure.slug).join(Goal).where(Measure.published.is_(True),
                                                                       Goal.published.is_(True)))
        result = (unpublished, under_hidden.slug, public, hidden_goal.slug)
        session.commit()
    return result


def test_page_status_codes(client, dash_app):
    unpublished, under_hidden, public, hidden_goal = hidden_and_public(dash_app)
    assert client.get("/").status_code == 200
    assert client.get("/about").status_code == 200
    assert client.get(f"/measures/{public}").status_code == 200
    assert client.get("/goals/bring-families-home").status_code == 200
    bodies: dict[str, set[str]] = {"measures": set(), "goals": set()}
    for path in (f"/measures/{unpublished}", f"/measures/{under_hidden}", "/measures/no-such-measure",
                 f"/goals/{hidden_goal}", "/goals/no-such-goal", "/no/such/page", "/404"):
        response = client.get(path)
        assert response.status_code == 404, path
        kind, _, slug = path.strip("/").partition("/")
        if kind in bodies:
            # The frame names its own address in its meta tags and carries a per-request id; apart from those it
            # is the same page.
            body = re.sub(r'"end_id":"[^"]*"', "", response.get_data(as_text=True))
            bodies[kind].add(body.replace(slug, "SLUG"))
    assert len(bodies["measures"]) == 1 and len(bodies["goals"]) == 1  # hidden looks exactly like absent


def test_signed_in_staff_also_get_404_for_unpublished_public_pages(client, dash_app):
    unpublished, *_ = hidden_and_public(dash_app)
    login(client, "admin")
    assert client.get(f"/measures/{unpublished}").status_code == 404


def _render(client, output: str, store: str, slug: str) -> str:
    response = post_callback(client, f"{output}.children", [{"id": store, "property": "data", "value": slug}])
    assert response.status_code == 200
    return json.dumps(response.get_json())


def test_measure_page_callback_renders_public_content_and_not_found_alike_for_hidden(client, dash_app):
    unpublished, under_hidden, public, _ = hidden_and_public(dash_app)
    shown = _render(client, ids.PUB_MEASURE_PAGE, ids.PUB_MEASURE_SLUG, public)
    assert "Every month" in shown and "progress-chart" in shown and NOT_FOUND not in shown
    absent = _render(client, ids.PUB_MEASURE_PAGE, ids.PUB_MEASURE_SLUG, "no-such-measure")
    assert NOT_FOUND in absent
    for slug in (unpublished, under_hidden):
        assert _render(client, ids.PUB_MEASURE_PAGE, ids.PUB_MEASURE_SLUG, slug) == absent


def test_goal_page_callback_hides_unpublished_goals(client, dash_app):
    *_, hidden_goal = hidden_and_public(dash_app)
    shown = _render(client, ids.PUB_GOAL_PAGE, ids.PUB_GOAL_SLUG, "bring-families-home")
    assert "Bring flooded families home" in shown and "progress-chart" in shown
    absent = _render(client, ids.PUB_GOAL_PAGE, ids.PUB_GOAL_SLUG, "no-such-goal")
    assert _render(client, ids.PUB_GOAL_PAGE, ids.PUB_GOAL_SLUG, hidden_goal) == absent
    assert NOT_FOUND in absent


def test_implausible_slugs_are_not_found_without_reading_the_database(client, dash_app, monkeypatch):
    import extensions

    def must_not_read(*args, **kwargs):
        raise AssertionError("the read path was asked about an impossible slug")

    monkeypatch.setattr(extensions, "measure_detail", must_not_read)
    monkeypatch.setattr(extensions, "goal_detail", must_not_read)
    for path in ("/measures/UPPER", "/measures/" + "a" * 65, "/goals/has%20space", "/measures/semi;colon"):
        assert client.get(path).status_code == 404, path
    assert NOT_FOUND in _render(client, ids.PUB_MEASURE_PAGE, ids.PUB_MEASURE_SLUG, "x" * 100)
    assert NOT_FOUND in _render(client, ids.PUB_GOAL_PAGE, ids.PUB_GOAL_SLUG, "<script>")


def test_guard_matches_pages_with_path_templates(dash_app):
    from callbacks.guard import _template_pattern, match_page, page_audience

    assert _template_pattern("/measures/<slug>").match("/measures/homes-repaired").groupdict() == {
        "slug": "homes-repaired"}
    assert _template_pattern("/measures/<slug>").match("/measures/a/b") is None
    page, variables = match_page("/measures/homes-repaired/")
    assert page["path_template"] == "/measures/<slug>" and variables == {"slug": "homes-repaired"}
    assert match_page("/goals/bring-families-home")[0]["path_template"] == "/goals/<slug>"
    assert match_page("/about")[0]["path"] == "/about" and match_page("/no/such/page") is None
    assert page_audience("/measures/anything") == "pub" and page_audience("/dashboard") == "exec"


def test_every_page_head_leaves_out_the_grid_bundle_and_the_legacy_polyfill_but_names_what_replaces_them(client):
    """The page frame (the same for every page) carries no dash-ag-grid bundle and no @babel/polyfill; it names the
    grid bundle's fingerprinted address for assets/grid-loader.js (which the server answers) and carries the
    regenerator runtime that Dash's bundles call when they load a component's code."""
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert not [src for src in scripts if "dash_ag_grid" in src or "polyfill" in src], scripts
    assert any("/assets/00-regenerator-runtime-0.14.1.js" in src for src in scripts)
    assert any("/assets/grid-loader.js" in src for src in scripts)
    assert any("/assets/html-block.js" in src for src in scripts)
    named = re.search(r'<meta name="recoverystat-grid-script" content="([^"]+)">', page)
    assert named and re.fullmatch(r"/_dash-component-suites/dash_ag_grid/dash_ag_grid\.v[\w]+\.min\.js", named[1])
    bundle = client.get(named[1])
    assert bundle.status_code == 200 and len(bundle.data) > 1_000_000
    assert "max-age" in bundle.headers["Cache-Control"]  # fingerprinted: cached for good
    assert client.get("/_dash-component-suites/dash_ag_grid/async-community.js").status_code == 200
