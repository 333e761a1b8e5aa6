"""The month grid on /entry, through /_dash-update-component: load, understand, save, refuse; who may do what."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from test_pages_callbacks import UPDATE, multi_body, prop

from conftest import login, post_logout
from models.base import make_engine
from models.measurements import Measurement

MONTH = date(2026, 11, 1)


def output_key(dash_app, starts: str, contains: str = "") -> str:
    """The callback_map key of a grid callback (allow_duplicate outputs carry a hash suffix)."""
    return next(key for key in dash_app.callback_map if key.startswith(starts) and contains in key)


def load(client, dash_app) -> list[dict]:
    key = output_key(dash_app, "entry-grid.rowData")
    body = {"output": key, "outputs": {"id": "entry-grid", "property": key.split(".", 1)[1]},
            "inputs": [prop("entry-grid-month", "value", MONTH.isoformat())], "state": [],
            "changedPropIds": ["entry-grid-month.value"]}
    response = client.post(UPDATE, json=body)
    if response.status_code != 200:
        return []
    return response.get_json()["response"]["entry-grid"]["rowData"]


def save(client, dash_app, rows: list[dict]):
    key = output_key(dash_app, "..entry-grid.rowData", "entry-grid-feedback")
    outputs = key.strip(".").split("...")
    body = multi_body(outputs, [prop("entry-grid-save", "n_clicks", 1)],
                      [prop("entry-grid-month", "value", MONTH.isoformat()), prop("entry-grid", "rowData", rows)],
                      changed=["entry-grid-save.n_clicks"])
    body["outputs"] = [dict(zip(("id", "property"), o.split(".", 1))) for o in outputs]
    return client.post(UPDATE, json=body)


def stored_count(db_url: str) -> int:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(Measurement).where(Measurement.period == MONTH)).scalar()
    engine.dispose()
    return int(found or 0)


def test_editor_saves_the_month_and_a_bad_value_keeps_everything_typed(client, dash_app, db_url):
    login(client, "editor")
    rows = load(client, dash_app)
    assert rows and all(row["state"] == "Empty" for row in rows)
    before = stored_count(db_url)
    # Last month's figure again: inside every valid range, and no running total falls.
    typed = [dict(row, value="twelve" if index == 0 else row["last_month"]) for index, row in enumerate(rows[:2])]
    refused = save(client, dash_app, typed + rows[2:])
    assert refused.status_code == 200
    payload = refused.get_json()["response"]
    kept = payload["entry-grid"]["rowData"]
    assert kept[0]["value"] == "twelve" and kept[0]["problem"] and kept[1]["value"] == rows[1]["last_month"]
    assert "Nothing was saved" in str(payload["entry-grid-feedback"])
    assert stored_count(db_url) == before
    typed[0]["value"] = rows[0]["last_month"]
    saved = save(client, dash_app, typed + rows[2:]).get_json()["response"]
    assert "2 new" in str(saved["entry-grid-feedback"]), [r["problem"] for r in saved["entry-grid"]["rowData"]]
    assert [row["state"] for row in saved["entry-grid"]["rowData"][:2]] == ["Awaiting approval"] * 2
    assert stored_count(db_url) == before + 2


@pytest.mark.parametrize("who", [None, "viewer", "state_editor"])
def test_others_cannot_write_the_editors_rows(client, dash_app, db_url, who):
    login(client, "editor")
    rows = [dict(row, value=row["last_month"]) for row in load(client, dash_app)[:2]]
    post_logout(client)
    if who:
        login(client, who)
    before = stored_count(db_url)
    response = save(client, dash_app, rows)
    assert response.status_code in (200, 204, 401, 403)
    if response.status_code == 200:
        assert "Nothing was saved" in str(response.get_json()["response"]["entry-grid-feedback"])
    assert stored_count(db_url) == before
