"""Nothing unpublished, nothing unapproved, anywhere an anonymous person can look.

The seed has unpublished measures and figures awaiting approval; this test also publishes a measure under an
unpublished goal. Every hidden measure gets a marked name and marked figures, and every figure not approved gets a
marked value; then every anonymous GET route (each slug route with every slug), every public page and every public
(`pub-`) callback is asked, and no answer may contain a mark.
"""
from __future__ import annotations

import json
from typing import Any

import dash
import pytest
from sqlalchemy import select, update

from callbacks.guard import PUBLIC_INTERNAL_IDS, ROUTER, callback_audience
from models import clock
from models.base import make_engine, make_session_factory
from models.catalog import Goal, Measure
from models.measurements import Measurement
from models.progress import add_months, last_complete_month

NAME_MARK = "ZQXHIDDEN"
VALUE_MARK = 987654.0
VALUE_TEXTS = ("987654", "987,654")
SKIP_PREFIXES = ("/_dash", "/_reload", "/_favicon", "/assets", "/static", "/login", "/logout")


@pytest.fixture
def hidden(db_url) -> dict[str, list[str]]:
    """Mark every hidden measure and every unapproved figure; return the hidden measure and goal slugs."""
    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        hidden_goal = session.scalar(select(Goal).where(Goal.published.is_(False)))
        assert hidden_goal is not None, "the seed needs an unpublished goal"
        under_goal = session.scalar(select(Measure).where(Measure.goal_id == hidden_goal.id))
        under_goal.published = True  # published itself, but its goal is not: must stay hidden
        hidden_goal.title = f"{NAME_MARK} goal"
        hidden_goal.summary = f"{NAME_MARK} summary"
        measures = list(session.scalars(select(Measure).join(Goal).where(
            (Measure.published.is_(False)) | (Goal.published.is_(False)))))
        assert any(not m.published for m in measures), "the seed needs an unpublished measure"
        for m in measures:
            m.name, m.definition, m.data_source = f"{NAME_MARK} {m.slug}", NAME_MARK, NAME_MARK
        hidden_ids = [m.id for m in measures]
        session.execute(update(Measurement).where(Measurement.measure_id.in_(hidden_ids))
                        .values(value=VALUE_MARK, approved_value=VALUE_MARK))
        unapproved = session.execute(update(Measurement).where(Measurement.state != "approved")
                                     .values(value=VALUE_MARK)).rowcount
        assert unapproved > 0, "the seed needs figures awaiting approval"
        session.commit()
        result = {"measures": [m.slug for m in measures], "goals": [hidden_goal.slug],
                  "public_measures": list(session.scalars(select(Measure.slug).join(Goal).where(
                      Measure.published.is_(True), Goal.published.is_(True)))),
                  "public_goals": list(session.scalars(select(Goal.slug).where(Goal.published.is_(True))))}
    engine.dispose()
    return result


def assert_clean(text: str, where: str, hidden_slugs: list[str], asked: str) -> None:
    """No marked name or value, and no hidden slug the request did not itself name."""
    assert NAME_MARK not in text, f"{where} shows a hidden measure or goal"
    for mark in VALUE_TEXTS:
        assert mark not in text, f"{where} shows a figure that is not approved or belongs to a hidden measure"
    for slug in hidden_slugs:
        if slug not in asked:
            assert slug not in text, f"{where} names hidden {slug}"


def get_urls(dash_app, hidden: dict[str, list[str]]) -> list[str]:
    """Every anonymous GET address: fixed ones as they are, slug ones with every slug, hidden or not."""
    measure_slugs = hidden["measures"] + hidden["public_measures"] + ["no-such-slug"]
    goal_slugs = hidden["goals"] + hidden["public_goals"] + ["no-such-slug"]
    urls = []
    for rule in dash_app.server.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES):
            continue
        if not rule.arguments:
            urls.append(rule.rule)
        elif rule.arguments == {"slug"}:
            slugs = goal_slugs if "/goals/" in rule.rule else measure_slugs
            urls += [rule.rule.replace("<slug>", slug) for slug in slugs]
    for slug in measure_slugs:
        urls += [f"/api/v1/revisions?measure={slug}", f"/api/v1/measures?goal={hidden['goals'][0]}"]
    urls += [f"/api/v1/values.json?from={add_months(last_complete_month(clock.today()), -3):%Y-%m}"]
    return urls


def _outputs(key: str) -> Any:
    parts = key.strip(".").split("...") if key.startswith("..") else [key]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    return outputs if key.startswith("..") else outputs[0]


def callback_requests(dash_app, hidden: dict[str, list[str]]) -> list[tuple[str, dict]]:
    """Requests for every public callback and for every public page through the pages router."""
    months = [None] + [add_months(last_complete_month(clock.today()), -n).isoformat() for n in range(0, 36, 5)]
    measure_slugs = hidden["measures"] + hidden["public_measures"][:3]
    goal_slugs = hidden["goals"] + hidden["public_goals"][:2]
    pages = [p["path"] for p in dash.page_registry.values() if p.get("audience") == "pub"]
    pages += [f"/measures/{slug}" for slug in measure_slugs] + [f"/goals/{slug}" for slug in hidden["goals"]]
    requests = []
    for key, spec in dash_app.callback_map.items():
        audience = callback_audience(key)
        if audience not in ("pub", ROUTER) or key.split(".")[0] in PUBLIC_INTERNAL_IDS or "callback" not in spec:
            continue  # clientside callbacks (Dash's title, the sign-in button) run in the browser, not on the server

        def body(values: dict[str, Any], spec=spec, key=key) -> dict:
            def entry(item):
                if item["id"].startswith("{"):
                    return []
                value = values.get(f"{item['id']}.{item['property']}")
                return {"id": item["id"], "property": item["property"], **({"value": value} if value is not None else {})}
            inputs = [entry(i) for i in spec["inputs"]]
            return {"output": key, "outputs": _outputs(key), "inputs": inputs,
                    "state": [entry(s) for s in spec.get("state", [])],
                    "changedPropIds": [f"{i['id']}.{i['property']}" for i in spec["inputs"][:1]]}

        if audience == ROUTER:
            requests += [(path, body({"_pages_location.pathname": path, "_pages_location.search": ""}))
                         for path in pages]
            continue
        ids_ = {f"{i['id']}.{i['property']}" for i in spec["inputs"] + spec.get("state", [])}
        variants: list[dict[str, Any]] = [{}]
        for name in ids_:
            if "month" in name:
                variants = [{**v, name: m} for v in variants for m in months]
            elif name.endswith(("measure.data", "measure-slug.data")):
                variants = [{**v, name: s} for v in variants for s in measure_slugs]
            elif name.endswith("goal-slug.data"):
                variants = [{**v, name: s} for v in variants for s in goal_slugs]
            elif "n_clicks" in name:
                variants = [{**v, name: 1} for v in variants]
            elif "message" in name:
                variants = [{**v, name: "This figure looks too high to me."} for v in variants]
        requests += [(key, body(v)) for v in variants]
    return requests


def test_anonymous_routes_and_public_callbacks_never_show_hidden_measures_or_unapproved_figures(hidden, dash_app):
    client = dash_app.server.test_client()
    hidden_slugs = hidden["measures"] + hidden["goals"]
    urls = get_urls(dash_app, hidden)
    assert any(u.startswith("/api/v1/measures/") for u in urls) and "/data.json" in urls
    assert any(u.startswith("/embed/measures/") for u in urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        assert_clean(response.get_data(as_text=True), url, hidden_slugs, url)
    requests = callback_requests(dash_app, hidden)
    asked_keys = {key for key, _ in requests}
    for output in ("pub-overview.children", "pub-measure-page.children", "pub-goal-page.children"):
        assert output in asked_keys, f"the walk did not ask {output}"
    assert any("pub-report-result" in key for key in asked_keys) and any(
        "pub-measure-opendata" in key for key in asked_keys), "the walk did not ask the report form / open-data"
    for where, body in requests:
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code in (200, 204), (where, response.status_code, response.get_data(as_text=True)[:300])
        asked = json.dumps(body)
        assert_clean(response.get_data(as_text=True), f"callback {where}", hidden_slugs, asked)
