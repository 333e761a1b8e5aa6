"""The read API, downloads and catalog through the Flask test client (SQLite and PostgreSQL)."""
from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, update

from api.opendata import FORMULA_STARTS, csv_bytes, neutralise
from conftest import TEST_USERS
from models.base import make_engine, make_session_factory
from models.catalog import Goal, Measure
from models.dictionary import VALUE_COLUMN_NAMES
from models.measurements import Measurement
from models.org import User
from models.progress import status as engine_status
from models.queries import overview
from models.services import Actor, approve_value, correct_value

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas" / "dcat-us-1.1"
MEASURE = "ocd-rental-units-repaired"
GOAL = "bring-families-home"
UNPUBLISHED_MEASURE = "sba-ebr-home-loans-current"  # published goal, unpublished measure (seed)
UNPUBLISHED_GOAL = "recovery-reporting"


def db(db_url):
    """A session factory on the test database (for arranging data and reading what the app wrote)."""
    return make_session_factory(make_engine(db_url))


def publish_measure_under_unpublished_goal(db_url) -> str:
    """Mark the seed's measure of the unpublished goal published: it must stay hidden because its goal is."""
    with db(db_url)() as session:
        measure = session.scalar(select(Measure).join(Goal).where(Goal.slug == UNPUBLISHED_GOAL))
        measure.published = True
        session.commit()
        return measure.slug


def admin(session) -> Actor:
    return Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["admin"][0])))


def public_pairs(session) -> set[tuple[str, date]]:
    """(measure, period) of every month with an approved figure of a published measure of a published goal, from SQL."""
    rows = session.execute(
        select(Measure.slug, Measurement.period).join(Measurement, Measurement.measure_id == Measure.id)
        .join(Goal, Goal.id == Measure.goal_id)
        .where(Measurement.approved_value.is_not(None), Measure.published.is_(True), Goal.published.is_(True))
    )
    return {(slug, period) for slug, period in rows}


ROUTES_200 = [
    ("/api/v1/goals", "application/json"),
    (f"/api/v1/goals/{GOAL}", "application/json"),
    ("/api/v1/measures", "application/json"),
    (f"/api/v1/measures?goal={GOAL}&status=on_track&department=ocd", "application/json"),
    (f"/api/v1/measures/{MEASURE}", "application/json"),
    (f"/api/v1/measures/{MEASURE}/values", "application/json"),
    (f"/api/v1/measures/{MEASURE}/values?from=2025-01&to=2025-06", "application/json"),
    (f"/api/v1/measures/{MEASURE}/values.csv", "text/csv"),
    ("/api/v1/values.csv", "text/csv"),
    ("/api/v1/values.json", "application/json"),
    ("/api/v1/revisions", "application/json"),
    ("/api/v1/dictionary.csv", "text/csv"),
    ("/api/v1/dictionary.json", "application/json"),
    ("/api/v1/openapi.json", "application/json"),
    ("/data.json", "application/json"),
]


def test_every_route_answers_with_etag_caching_cors_and_304(client):
    for path, mimetype in ROUTES_200:
        response = client.get(path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        assert response.mimetype == mimetype, path
        etag = response.headers["ETag"]
        assert response.headers["Cache-Control"].startswith("public, max-age="), path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", path
        assert again.headers["ETag"] == etag
        assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200, path


def test_a_gzip_answer_is_compressed_once_kept_with_the_body_and_revalidates(client, monkeypatch):
    """A client accepting gzip gets the same bytes compressed (flask-compress's ETag form, "<tag>:gzip"); the
    compression is done for the first such request only and kept with the cached body; either tag gets a 304."""
    import gzip

    import api.opendata

    calls = []
    real_compress = gzip.compress
    monkeypatch.setattr(api.opendata.gzip, "compress", lambda data, level=9: calls.append(len(data)) or
                        real_compress(data, level))
    plain = client.get("/api/v1/measures")
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    first = client.get("/api/v1/measures", headers={"Accept-Encoding": "gzip"})
    second = client.get("/api/v1/measures", headers={"Accept-Encoding": "gzip, deflate, br"})
    for answer in (first, second):
        assert answer.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in answer.headers["Vary"]
        assert gzip.decompress(answer.get_data()) == plain.get_data()
        assert answer.headers["ETag"] == plain.headers["ETag"][:-1] + ':gzip"'
    assert calls == [len(plain.get_data())], "compressed once, then served from the kept body"
    for tag in (first.headers["ETag"], plain.headers["ETag"]):
        assert client.get("/api/v1/measures", headers={"If-None-Match": tag, "Accept-Encoding": "gzip"}
                          ).status_code == 304
    assert calls == [len(plain.get_data())], "a 304 compresses nothing"


def test_etags_differ_by_path_and_query_and_change_after_a_write(client, db_url):
    first = client.get(f"/api/v1/measures/{MEASURE}/values").headers["ETag"]
    assert client.get(f"/api/v1/measures/{MEASURE}/values?from=2025-01").headers["ETag"] != first
    assert client.get("/api/v1/goals").headers["ETag"] != first
    other_host = client.get(f"/api/v1/measures/{MEASURE}/values", base_url="http://data.example.org")
    assert other_host.headers["ETag"] != first, "answers carry absolute links, so each host has its own"
    assert client.get(f"/api/v1/measures/{MEASURE}", base_url="http://data.example.org").get_json()[
        "url"].startswith("http://data.example.org/")
    with db(db_url)() as session:
        pending = session.scalar(select(Measurement).join(Measure).where(
            Measure.slug == MEASURE, Measurement.state == "submitted"))
        assert pending is not None, "the seed has a submitted value for this measure"
        approve_value(session, admin(session), measurement_id=pending.id, expected_version=pending.version)
        session.commit()
        period = pending.period.isoformat()
    response = client.get(f"/api/v1/measures/{MEASURE}/values", headers={"If-None-Match": first})
    assert response.status_code == 200, "a write must change every ETag"
    assert period in {v["period"] for v in response.get_json()["values"]}, "the approved value is served at once"


def test_unknown_and_unpublished_slugs_get_the_same_404(client, db_url):
    hidden_under_goal = publish_measure_under_unpublished_goal(db_url)
    for template in ("/api/v1/measures/{}", "/api/v1/measures/{}/values", "/api/v1/measures/{}/values.csv",
                     "/api/v1/revisions?measure={}"):
        bodies = set()
        for slug in ("no-such-measure", UNPUBLISHED_MEASURE, hidden_under_goal):
            response = client.get(template.format(slug))
            assert response.status_code == 404, template.format(slug)
            assert response.mimetype == "application/json"
            bodies.add(response.data)
        assert len(bodies) == 1, f"{template}: unknown and unpublished slugs must be indistinguishable: {bodies}"
        assert json.loads(bodies.pop())["error"] == "not_found"
    goal_bodies = {client.get(f"/api/v1/goals/{slug}").data for slug in ("no-such-goal", UNPUBLISHED_GOAL)}
    assert len(goal_bodies) == 1 and client.get(f"/api/v1/goals/{UNPUBLISHED_GOAL}").status_code == 404


@pytest.mark.parametrize(("path", "parameter"), [
    (f"/api/v1/measures/{MEASURE}/values?from=2026-13", "from"),
    (f"/api/v1/measures/{MEASURE}/values?to=October", "to"),
    (f"/api/v1/measures/{MEASURE}/values?from=2026-05&to=2026-01", "from"),
    (f"/api/v1/measures/{MEASURE}/values.csv?from=26-01", "from"),
    ("/api/v1/values.csv?to=2026-1", "to"),
    ("/api/v1/values.json?from=0001-01", "from"),
    ("/api/v1/measures?status=great", "status"),
    ("/api/v1/measures?colour=red", "colour"),
    ("/api/v1/measures?goal=a&goal=b", "goal"),
    ("/api/v1/goals?page=2", "page"),
])
def test_bad_parameters_get_400_naming_the_parameter(client, path, parameter):
    response = client.get(path)
    assert response.status_code == 400, path
    body = response.get_json()
    assert body["error"] == "bad_parameter" and body["parameter"] == parameter, body
    assert parameter in body["message"]


def test_writes_are_refused_and_unknown_api_addresses_are_json_404(client):
    for method in (client.post, client.put, client.delete, client.patch):
        response = method("/api/v1/measures")
        assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_preflight_allows_cross_site_get_with_if_none_match(client):
    response = client.options("/api/v1/measures", headers={
        "Origin": "https://news.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "If-None-Match"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "POST" not in response.headers["Access-Control-Allow-Methods"]


def test_values_are_exactly_the_approved_values_of_published_measures(client, db_url):
    publish_measure_under_unpublished_goal(db_url)
    rows = client.get("/api/v1/values.json").get_json()["values"]
    served = {(r["measure"], date.fromisoformat(r["period"])) for r in rows}
    with db(db_url)() as session:
        assert served == public_pairs(session)
        stored = {(m, p): v for m, p, v in session.execute(
            select(Measure.slug, Measurement.period, Measurement.approved_value).join(Measure))}
    for row in rows:
        key = (row["measure"], date.fromisoformat(row["period"]))
        assert isinstance(row["value"], (int, float)) and row["value"] == stored[key]
        assert list(row) == list(VALUE_COLUMN_NAMES)
    csv_rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/values.csv").get_data(as_text=True))))
    assert len(csv_rows) == len(rows)
    assert {(r["measure"], r["period"]) for r in csv_rows} == {(r["measure"], r["period"]) for r in rows}


def test_each_values_status_is_the_engines_status_as_of_that_month(client, db_url):
    rows = client.get(f"/api/v1/measures/{MEASURE}/values").get_json()["values"]
    assert len(rows) > 12
    with db(db_url)() as session:
        for row in rows[-3:]:
            period = date.fromisoformat(row["period"])
            view = overview(session, as_of=period, published_only=True, approved_only=True)
            measure = next(m for m in view.measures if m.slug == MEASURE)
            assert measure.latest_period == period
            assert row["status"] == measure.status, row
        spec_row = rows[0]
        assert spec_row["status"] in ("achieved", "on_track", "at_risk", "off_track")
    assert engine_status  # the API uses models.progress.status; the comparison above checks the result


def test_measure_filter_and_download_filenames(client):
    body = client.get(f"/api/v1/measures?goal={GOAL}").get_json()
    assert body["count"] == len(body["measures"]) > 0 and {m["goal"] for m in body["measures"]} == {GOAL}
    statuses = client.get("/api/v1/measures?status=off_track").get_json()["measures"]
    assert all(m["status"] == "off_track" for m in statuses)
    assert client.get("/api/v1/measures?department=no-such-dept").get_json()["count"] == 0
    response = client.get(f"/api/v1/measures/{MEASURE}/values.csv")
    values = client.get(f"/api/v1/measures/{MEASURE}/values").get_json()["values"]
    latest = max(v["period"] for v in values)[:7]
    assert response.headers["Content-Disposition"] == f'attachment; filename="recoverystat-{MEASURE}-{latest}.csv"'
    ranged = client.get(f"/api/v1/measures/{MEASURE}/values?from=2025-01&to=2025-06").get_json()["values"]
    assert [v["period"][:7] for v in ranged] == [f"2025-0{m}" for m in range(1, 7)]


def test_csv_cells_that_would_start_a_formula_are_neutralised_and_numbers_keep_their_meaning(client, db_url):
    with db(db_url)() as session:
        session.execute(update(Measure).where(Measure.slug == MEASURE).values(data_source="=HYPERLINK(\"http://x\")"))
        first = session.scalar(select(Measurement).join(Measure).where(
            Measure.slug == MEASURE, Measurement.state == "approved").order_by(Measurement.period))
        first.value = first.approved_value = -5.0
        first.source_ref = "@SUM(A1)"
        session.commit()
        first_period = first.period.isoformat()
    rows = list(csv.reader(io.StringIO(client.get(f"/api/v1/measures/{MEASURE}/values.csv").get_data(as_text=True))))
    header, data = rows[0], rows[1:]
    source, citation, value = header.index("source"), header.index("citation"), header.index("value")
    assert all(row[source] == "'=HYPERLINK(\"http://x\")" for row in data)
    first_row = next(row for row in data if row[header.index("period")] == first_period)
    assert first_row[citation] == "'@SUM(A1)" and first_row[value] == "-5"
    assert all(not cell.startswith(FORMULA_STARTS) for row in data for cell in row if cell != first_row[value])
    # JSON keeps the text as it is: neutralising is for spreadsheets only.
    json_rows = client.get(f"/api/v1/measures/{MEASURE}/values").get_json()["values"]
    assert json_rows[0]["source"] == "=HYPERLINK(\"http://x\")" and json_rows[0]["value"] == -5


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@x", "\tx", "\rx"])
def test_neutralise_prefixes_every_formula_start(cell):
    assert neutralise(cell) == "'" + cell
    assert csv_bytes(["a"], [[cell]]).decode().splitlines()[1].lstrip('"').startswith("'")


def test_neutralise_leaves_numbers_and_plain_text_alone():
    assert neutralise(-5.0) == -5.0 and neutralise("Restore Louisiana") == "Restore Louisiana"
    assert csv_bytes(["v"], [[-5.0], [12430.0], [62.5]]).decode().split("\r\n")[1:4] == ["-5", "12430", "62.5"]


def test_revisions_list_published_corrections_once_the_new_figure_is_approved(client, db_url):
    assert client.get("/api/v1/revisions").get_json() == {"count": 0, "revisions": []}
    with db(db_url)() as session:
        actor = admin(session)
        target = session.scalar(select(Measurement).join(Measure).where(
            Measure.slug == MEASURE, Measurement.state == "approved").order_by(Measurement.period.desc()))
        old_value, period = target.value, target.period
        corrected = correct_value(session, actor, measurement_id=target.id, expected_version=target.version,
                                  value=old_value + 7, reason="Late reports from the contractor added")
        session.commit()
        pending = client.get("/api/v1/revisions").get_json()
        assert pending["count"] == 0, "a correction awaiting approval is not published"
        shown = {(v["measure"], v["period"]): v["value"] for v in client.get("/api/v1/values.json").get_json()["values"]}
        assert shown[(MEASURE, period.isoformat())] == old_value, "the approved figure stays while a correction waits"
        reviewer = Actor.of(session.scalar(select(User).where(User.email == TEST_USERS["reviewer"][0])))
        approve_value(session, reviewer, measurement_id=corrected.id, expected_version=corrected.version)
        session.commit()
    body = client.get("/api/v1/revisions").get_json()
    assert body["count"] == 1
    (revision,) = body["revisions"]
    assert revision["measure"] == MEASURE and revision["period"] == period.isoformat()
    assert revision["old_value"] == old_value and revision["new_value"] == old_value + 7
    assert revision["reason"] == "Late reports from the contractor added"
    date.fromisoformat(revision["date"])
    assert client.get(f"/api/v1/revisions?measure={MEASURE}").get_json()["count"] == 1
    assert client.get("/api/v1/revisions?measure=hsep-alert-subscribers").get_json()["count"] == 0


def test_data_dictionary_lists_every_download_column(client):
    rows = list(csv.DictReader(io.StringIO(client.get("/api/v1/dictionary.csv").get_data(as_text=True))))
    assert [r["name"] for r in rows] == list(VALUE_COLUMN_NAMES)
    assert all(r["type"] and r["meaning"] for r in rows)
    header = client.get("/api/v1/values.csv").get_data(as_text=True).splitlines()[0].split(",")
    assert header == list(VALUE_COLUMN_NAMES)


def dcat_validator():
    """A Draft 4 validator for a whole catalog, resolving the schema's relative $refs to the local copies."""
    from jsonschema import Draft4Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schemas = {name: json.loads((SCHEMA_DIR / f"{name}.json").read_text())
               for name in ("catalog", "dataset", "distribution", "organization", "vcard")}
    registry = Registry().with_resources(
        (schema["id"].rstrip("#"), Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas.values())
    return Draft4Validator(schemas["catalog"], registry=registry, format_checker=FormatChecker())


def test_data_json_validates_against_dcat_us_and_lists_every_published_measure_once(client, db_url):
    publish_measure_under_unpublished_goal(db_url)
    catalog = client.get("/data.json").get_json()
    errors = sorted(dcat_validator().iter_errors(catalog), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    measures = client.get("/api/v1/measures").get_json()["measures"]
    assert len(catalog["dataset"]) == len(measures) + 1
    identifiers = [d["identifier"] for d in catalog["dataset"]]
    assert len(set(identifiers)) == len(identifiers)
    for dataset, measure in zip(catalog["dataset"], measures, strict=False):
        assert dataset["identifier"].endswith(f"/measures/{measure['slug']}")
        assert dataset["accessLevel"] == "public" and dataset["accrualPeriodicity"] == "R/P1M"
        assert dataset["contactPoint"]["hasEmail"].startswith("mailto:") and dataset["contactPoint"]["fn"]
        assert dataset["describedBy"].endswith("/api/v1/dictionary.csv")
        kinds = {d["mediaType"]: d["downloadURL"] for d in dataset["distribution"]}
        assert kinds["text/csv"].endswith(f"/api/v1/measures/{measure['slug']}/values.csv")
        assert client.get(kinds["application/json"].replace("http://localhost", "")).status_code == 200
    assert catalog["dataset"][-1]["distribution"][0]["downloadURL"].endswith("/api/v1/values.csv")


def test_the_dcat_schema_copy_matches_the_shared_original_when_present():
    shared = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "dcat-us-1.1"
    if not shared.is_dir():
        pytest.skip("the shared schema folder is not beside this clone; the copy in tests/schemas is used")
    for path in SCHEMA_DIR.glob("*.json"):
        assert json.loads(path.read_text()) == json.loads((shared / path.name).read_text()), path.name


def test_only_the_embed_may_be_framed_by_other_sites(client, db_url):
    embed = client.get(f"/embed/measures/{MEASURE}")
    assert embed.status_code == 200
    assert "X-Frame-Options" not in embed.headers
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert "script-src 'self';" in embed.headers["Content-Security-Policy"], "no inline script on the embed"
    for path in ("/", "/developers", f"/measures/{MEASURE}", "/api/v1/goals", "/data.json", "/login"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], path


def test_the_embed_shows_status_reason_figures_source_and_a_link_back(client):
    measure = client.get(f"/api/v1/measures/{MEASURE}").get_json()
    html = client.get(f"/embed/measures/{MEASURE}").get_data(as_text=True)
    for text in (measure["status_label"], measure["data_source"], f"/measures/{MEASURE}\" target=\"_top\"",
                 "/assets/plotly-basic-", "/embed/static/embed.js", 'id="chart-data"'):
        assert text in html, text
    assert client.get("/embed/static/embed.js").status_code == 200


def test_the_embed_of_a_hidden_measure_looks_like_an_unknown_one(client, db_url):
    hidden_under_goal = publish_measure_under_unpublished_goal(db_url)
    answers = {(r.status_code, r.data) for r in (client.get(f"/embed/measures/{slug}") for slug in
                                                  ("no-such-measure", UNPUBLISHED_MEASURE, hidden_under_goal))}
    assert len(answers) == 1 and answers.pop()[0] == 404


def test_measure_page_links_downloads_and_embed_and_hides_the_form_for_hidden_measures(client):
    def opendata(slug):
        body = {"output": "..pub-measure-opendata.children...pub-report-section.hidden..",
                "outputs": [{"id": "pub-measure-opendata", "property": "children"},
                            {"id": "pub-report-section", "property": "hidden"}],
                "inputs": [{"id": "pub-measure-slug", "property": "data", "value": slug}],
                "state": [], "changedPropIds": ["pub-measure-slug.data"]}
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200
        return response.get_json()["response"]

    shown = opendata(MEASURE)
    text = json.dumps(shown["pub-measure-opendata"]["children"])
    for link in (f"/api/v1/measures/{MEASURE}/values.csv", "/data-dictionary", f"/embed/measures/{MEASURE}",
                 "<iframe src="):
        assert link in text, link
    assert shown["pub-report-section"]["hidden"] is False
    hidden = opendata(UNPUBLISHED_MEASURE)
    assert hidden["pub-measure-opendata"]["children"] is None and hidden["pub-report-section"]["hidden"] is True
