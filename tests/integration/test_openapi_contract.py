"""The OpenAPI document is valid, complete and true: every documented route answers as documented, every
/api/v1 route is documented, and generated requests (Hypothesis over the document) never get a 5xx."""
from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate

# The catch-all that answers unknown /api/v1 addresses with the JSON 404; it is not an address of the API.
UNDOCUMENTED_ON_PURPOSE = {"opendata.unknown"}
EXAMPLE_SLUGS = {"/api/v1/goals/{slug}": "bring-families-home"}
DEFAULT_SLUG = "ocd-rental-units-repaired"


@pytest.fixture
def document(client) -> dict[str, Any]:
    return client.get("/api/v1/openapi.json").get_json()


def flask_path(rule: str) -> str:
    """/api/v1/measures/<slug>/values -> /api/v1/measures/{slug}/values"""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def check_response(document: dict, path: str, response) -> None:
    """The response's status is documented for the operation and its JSON body matches the documented schema."""
    operation = document["paths"][path]["get"]
    status = str(response.status_code)
    assert status in operation["responses"], f"{path}: undocumented status {status}"
    content = operation["responses"][status].get("content")
    if not content:
        assert response.data == b"" or status != "304"
        return
    assert response.mimetype in content, f"{path}: {response.mimetype} not documented for {status}"
    if response.mimetype == "application/json":
        schema = {**content["application/json"]["schema"], "components": document["components"]}
        errors = list(Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(response.get_json()))
        assert not errors, f"{path}: " + "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_the_document_is_valid_openapi(document):
    validate(document)
    assert document["openapi"].startswith("3.")


def test_every_api_route_of_the_app_is_documented(dash_app, document):
    routes = {flask_path(rule.rule) for rule in dash_app.server.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") and rule.endpoint not in UNDOCUMENTED_ON_PURPOSE}
    assert routes, "no /api/v1 routes registered"
    assert routes <= set(document["paths"]), f"undocumented: {sorted(routes - set(document['paths']))}"
    for path in document["paths"]:
        assert path in routes or path == "/data.json", f"documented but not served: {path}"


def test_every_documented_route_answers_as_documented(client, document):
    for path, item in document["paths"].items():
        url = path.replace("{slug}", EXAMPLE_SLUGS.get(path, DEFAULT_SLUG))
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:200])
        check_response(document, path, response)
        check_response(document, path, client.get(url, headers={"If-None-Match": response.headers["ETag"]}))
        if "{slug}" in path:
            missing = client.get(path.replace("{slug}", "no-such-slug"))
            assert missing.status_code == 404
            check_response(document, path, missing)
        query = [p for p in item["get"].get("parameters", []) if p["in"] == "query"]
        for parameter in query:
            bad = client.get(f"{url}?{parameter['name']}=%00not-valid-13")
            check_response(document, path, bad)
        check_response(document, path, client.get(f"{url}?undocumented=1"))


def _requests(document: dict):
    """A strategy of (path template, url, query) for every operation, values drawn from the documented schemas or
    anything at all."""
    options = []
    for path, item in document["paths"].items():
        parameters = item["get"].get("parameters", [])
        slug = st.sampled_from(["ocd-rental-units-repaired", "bring-families-home", "sba-ebr-home-loans-current",
                                "recovery-reporting"]) | st.text(alphabet=st.characters(codec="ascii",
                                                                                        exclude_categories=["Cc"]),
                                                                 min_size=1, max_size=12)
        query = {p["name"]: st.none() | from_schema(p["schema"]) | st.text(max_size=10)
                 for p in parameters if p["in"] == "query"}
        options.append(st.tuples(st.just(path), slug, st.fixed_dictionaries(query)))
    return st.one_of(options)


def test_generated_requests_never_get_a_server_error_or_an_undocumented_answer(client, document):
    from urllib.parse import quote

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(_requests(document))
    def run(request):
        path, slug, query = request
        url = path.replace("{slug}", quote(slug, safe=""))
        response = client.get(url, query_string={k: v for k, v in query.items() if v is not None})
        assert response.status_code < 500, (url, query, response.data[:300])
        check_response(document, path, response)

    run()
