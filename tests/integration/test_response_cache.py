"""Kept public responses: the same bytes again without building anything, and a fresh answer after every write."""
from __future__ import annotations

import gzip
import json
from html import escape

import pytest

from callbacks import public, response_cache
from conftest import callback_body
from extensions import EXTENSION_KEY
from layouts import ids
from models.audit import bump_data_version

MONTH = "2026-10-01"


def overview_request(client, month: str = MONTH, gzip_ok: bool = False):
    """POST the public page's data callback as the browser does."""
    headers = {"Accept-Encoding": "gzip"} if gzip_ok else {"Accept-Encoding": "identity"}
    body = callback_body(f"{ids.PUB_OVERVIEW}.children", [{"id": ids.PUB_MONTH, "property": "value", "value": month}])
    return client.post("/_dash-update-component", json=body, headers=headers)


@pytest.fixture
def builds(monkeypatch):
    """Count how often the overview's components are built."""
    calls = []
    original = public.overview_sections

    def counting(data, **kwargs):
        calls.append(data.as_of)
        return original(data, **kwargs)

    monkeypatch.setattr(public, "overview_sections", counting)
    response_cache.clear_local()
    return calls


def test_a_repeated_overview_request_is_answered_from_the_kept_bytes(client, builds):
    first = overview_request(client)
    second = overview_request(client)
    assert first.status_code == second.status_code == 200
    assert first.get_data() == second.get_data()
    assert len(builds) == 1, "the second request must not build the components again"
    packed = overview_request(client, gzip_ok=True)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == first.get_data()
    assert len(builds) == 1
    assert json.loads(first.get_data())["response"][ids.PUB_OVERVIEW]["children"]


def test_each_month_has_its_own_answer(client, builds):
    october = overview_request(client, "2026-10-01").get_data()
    september = overview_request(client, "2026-09-01").get_data()
    assert october != september and len(builds) == 2
    # A month the picker could not send means the latest month (October, with today pinned to 2026-11-20), and
    # shares October's kept answer.
    assert overview_request(client, "not a month").get_data() == october
    assert overview_request(client, "").get_data() == october
    assert len(builds) == 2


def test_a_write_makes_the_next_request_build_a_fresh_answer(dash_app, client, builds):
    overview_request(client)
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        bump_data_version(session)
        session.commit()
    overview_request(client)
    assert len(builds) == 2


def test_only_public_single_input_requests_are_kept():
    month_input = [{"id": ids.PUB_MONTH, "property": "value", "value": MONTH}]
    assert response_cache.request_name(callback_body(f"{ids.PUB_OVERVIEW}.children", month_input)) \
        == f"{ids.PUB_OVERVIEW}.children:{MONTH}"
    slug_input = [{"id": ids.PUB_MEASURE_SLUG, "property": "data", "value": "../etc"}]
    assert response_cache.request_name(callback_body(f"{ids.PUB_MEASURE_PAGE}.children", slug_input)) is None
    assert response_cache.request_name(callback_body("exec-overview.children", month_input)) is None
    assert response_cache.request_name(callback_body(f"{ids.PUB_OVERVIEW}.children", month_input * 2)) is None
    assert response_cache.request_name(["not", "a", "dict"]) is None


def test_the_page_frame_is_served_again_byte_for_byte(client):
    response_cache.clear_local()
    first = client.get("/", headers={"Accept-Encoding": "identity"})
    second = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == second.status_code == 200
    assert second.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(second.get_data()) == first.get_data()
    assert b"<!DOCTYPE html>" in first.get_data()


def _sections(dash_app, client) -> list[dict]:
    """The overview's goal sections, built afresh (a new data version: nothing kept is reused)."""
    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        bump_data_version(session)
        session.commit()
    return json.loads(overview_request(client).get_data())["response"][ids.PUB_OVERVIEW]["children"][1:]


def _is_brief(section: dict) -> bool:
    return "goal-digest" in (section["props"].get("className") or "")


def _components(node) -> list[dict]:
    """Every component in a serialised tree."""
    found = []
    if isinstance(node, dict):
        if "props" in node and "type" in node:
            found.append(node)
        for value in node.values():
            found += _components(value)
    elif isinstance(node, list):
        for value in node:
            found += _components(value)
    return found


def _table_html(section: dict) -> str:
    """The goal table's HTML: one HtmlBlock inside the brief section."""
    found = [c for c in _components(section) if c["type"] == "HtmlBlock"]
    assert len(found) == 1, "the goals in brief are one HtmlBlock"
    return found[0]["props"]["html"]


def test_goals_beyond_the_card_budget_are_listed_in_one_table_linking_to_their_pages(dash_app, client, monkeypatch):
    from models.progress import STATUS_LABELS
    from models.queries import overview

    with dash_app.server.extensions[EXTENSION_KEY].sessions() as session:
        goals = overview(session, published_only=True, approved_only=True).goals
    full = _sections(dash_app, client)
    assert len(full) == len(goals) > 2 and not any(_is_brief(s) for s in full), "the seed's goals all fit"
    first_cards = json.dumps(full[0]).count("measure-card")
    assert first_cards == len(goals[0].measures) > 0

    monkeypatch.setattr(public, "PUBLIC_CARD_BUDGET", first_cards)
    sections = _sections(dash_app, client)
    # The first goal in full, then one section: a table of every later goal, each with its status in words.
    assert [_is_brief(s) for s in sections] == [False, True]
    assert json.dumps(sections[0]).count("measure-card") == first_cards
    assert "measure-card" not in json.dumps(sections[1])
    table = _table_html(sections[1])
    assert "<caption>" in table and '<th scope="col">Goal status</th>' in table
    rows = table.split("<tbody>")[1].split("</tr>")[:-1]
    assert len(rows) == len(goals) - 1
    for row, goal in zip(rows, goals[1:]):
        assert f'<th scope="row"><a href="/goals/{goal.slug}" data-page-link>{escape(goal.title)}</a>' in row
        assert f">{STATUS_LABELS[goal.status]}</td>" in row
        assert f"{len(goal.measures)} measure" in row

    monkeypatch.setattr(public, "PUBLIC_CARD_BUDGET", 0)
    sections = _sections(dash_app, client)
    assert [_is_brief(s) for s in sections] == [True]
    assert _table_html(sections[0]).count('<th scope="row">') == len(goals)
