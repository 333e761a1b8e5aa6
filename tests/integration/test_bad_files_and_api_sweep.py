"""Bad input, Hypothesis-driven, at the other doors figures come through: the write API's JSON, the spreadsheet
importer's files and the workbook importer's files. Whatever arrives: never a server error or an unexpected
exception, a clear refusal, and no row changed by anything refused.
"""
from __future__ import annotations

import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bad_input_sweep import NASTY_TEXT, _fingerprint
from test_write_api import make_token

from conftest import TEST_USERS, app_config
from extensions import EXTENSION_KEY

SLUG = "ocd-vacant-addresses-flooded-tracts"  # an OCD count measure
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
              st.floats(allow_nan=True, allow_infinity=True), NASTY_TEXT, st.text(max_size=50)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)
VALUE_OBJECT = st.fixed_dictionaries(
    {"period": st.one_of(st.sampled_from(["2026-11", "2026-10", "0001-01", "9999-12", "2026-13", "", "11/2026"]),
                         NASTY_TEXT),
     "value": st.one_of(JSON_VALUE, NASTY_TEXT)},
    optional={"note": st.one_of(NASTY_TEXT, JSON_VALUE), "reason": st.one_of(NASTY_TEXT, JSON_VALUE),
              "version": JSON_VALUE, "confirm_drop": JSON_VALUE})
BODY = st.one_of(VALUE_OBJECT, st.lists(VALUE_OBJECT, max_size=5), JSON_VALUE)


@pytest.fixture(scope="module")
def sweep(templates):
    """One seeded app (SQLite) and an OCD editor's API token for the whole sweep."""
    from app import create_app

    url, cleanup = templates.clone("sqlite", True)
    app = create_app(app_config(url))
    token = make_token(url, "editor")
    yield app, token
    app.server.extensions[EXTENSION_KEY].engine.dispose()
    cleanup()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODY)
def test_whatever_json_a_partner_system_sends_it_gets_a_clear_answer(sweep, body):
    app, token = sweep
    sessions = app.server.extensions[EXTENSION_KEY].sessions
    with sessions() as session:
        before = _fingerprint(session)
    response = app.server.test_client().post(f"/api/v1/measures/{SLUG}/values", json=body,
                                             headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (201, 400, 409, 413, 415, 422), (response.status_code, response.get_data()[:300])
    assert response.is_json and response.get_json()
    if response.status_code != 201:
        with sessions() as session:
            assert _fingerprint(session) == before, "a refused request changed something"


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


FILE_BYTES = st.one_of(
    st.binary(max_size=2000),
    st.builds(lambda text: text.encode("utf-8", "surrogatepass"), st.text(max_size=500)),
    st.builds(lambda cells: ("measure,period,value,note,reason\n" + "\n".join(",".join(row) for row in cells))
              .encode("utf-8", "surrogatepass"),
              st.lists(st.lists(st.one_of(NASTY_TEXT, st.text(max_size=20)), min_size=1, max_size=6), max_size=6)),
    st.builds(lambda data: _zip_of("xl/workbook.xml", data), st.binary(max_size=300)),
)
FILENAME = st.sampled_from(["figures.csv", "figures.xlsx", "figures.xlsm", "figures.txt", "figures", "a.csv.exe",
                            "workbook.xlsx", "workbook.zip"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=FILENAME, data=FILE_BYTES)
def test_whatever_file_is_uploaded_the_importers_refuse_it_clearly_and_write_nothing(sweep, name, data):
    from sqlalchemy import select

    from models.importer import UploadRefused, apply_import
    from models.org import User
    from models.services import Actor
    from models.workbook import import_workbook, read_upload

    app, _token = sweep
    sessions = app.server.extensions[EXTENSION_KEY].sessions
    with sessions() as session:
        before = _fingerprint(session)
        editor = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["editor"][0])))
        try:
            result = apply_import(session, editor, name, data)
        except UploadRefused as refused:
            assert str(refused), "a refused file says why"
        else:
            assert result.applied or result.problems or not result.can_apply
        session.rollback()
        assert _fingerprint(session) == before
    book = read_upload(name, data)  # never raises: what is wrong comes back as issues with sheet/row/column
    with sessions() as session:
        report = import_workbook(session, book, apply=True, actor="hypothesis")
        if not report.ok:
            assert not report.applied and all(str(issue) for issue in report.issues)
            assert _fingerprint(session) == before, "a refused workbook wrote something"
        session.rollback()
