"""The OpenAPI 3.1 description of /api/v1 (served at /api/v1/openapi.json and kept true by tests)."""
from __future__ import annotations

from typing import Any

from models.dictionary import VALUE_COLUMNS
from models.progress import FRESHNESS, STATUSES

_DATE = {"type": "string", "format": "date", "examples": ["2026-10-01"]}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NUMBER = {"type": "number"}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_TEXT = {"type": "string"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_URL = {"type": "string", "format": "uri"}
_STATUS = {"type": "string", "enum": list(STATUSES)}
_MONTH = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2025-01"]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """A closed object schema whose every property is required (the API always sends every field)."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "error": {"type": "string", "enum": ["not_found", "bad_parameter", "method_not_allowed", "unauthorized",
                                                 "forbidden", "bad_request", "unsupported_media_type",
                                                 "too_many_requests", "conflict"]},
            "message": {"type": "string", "description": "What was wrong and what to do."},
            "parameter": {"type": "string", "description": "The query parameter at fault (400 only)."},
        },
        "required": ["error", "message"],
        "additionalProperties": False,
    },
    "StatusCounts": _object({status: {"type": "integer", "minimum": 0} for status in STATUSES}),
    "Goal": _object({
        "slug": _TEXT, "title": _TEXT, "summary": _TEXT, "department_name": _TEXT,
        "measure_count": {"type": "integer", "minimum": 0}, "status_counts": _ref("StatusCounts"),
        "measures": {"type": "array", "items": _TEXT, "description": "Slugs of the goal's published measures."},
        "url": _URL,
    }),
    "Measure": _object({
        "slug": _TEXT, "name": _TEXT, "goal": _TEXT, "goal_title": _TEXT, "definition": _TEXT,
        "unit": _TEXT, "decimals": {"type": "integer"}, "direction": {"type": "string", "enum": ["increase", "decrease"]},
        "trajectory": {"type": "string", "enum": ["linear", "milestones", "constant"]},
        "department": _TEXT, "department_name": _TEXT, "data_source": _TEXT, "citation": _TEXT,
        "baseline_value": _NUMBER, "baseline_period": _DATE, "target_value": _NUMBER, "target_period": _DATE,
        "as_of": _DATE, "latest_period": _NULLABLE_DATE, "latest_value": _NULLABLE_NUMBER,
        "status": _STATUS, "status_label": _TEXT, "freshness": {"type": "string", "enum": list(FRESHNESS)},
        "progress": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "expected_value": _NULLABLE_NUMBER, "reason": _TEXT, "forecast": _NULLABLE_TEXT,
        "url": _URL, "values_url": _URL, "csv_url": _URL, "embed_url": _URL, "page_url": _URL,
    }),
    "Value": _object({
        "goal": _TEXT, "measure": _TEXT, "period": _DATE, "value": _NUMBER, "unit": _TEXT,
        "status": {"type": "string", "enum": [s for s in STATUSES if s != "no_data"]},
        "source": _TEXT, "citation": _TEXT, "last_revised": _NULLABLE_DATE,
    }),
    "Revision": _object({
        "measure": _TEXT, "period": _DATE, "old_value": _NUMBER, "new_value": _NUMBER, "date": _DATE,
        "reason": _NULLABLE_TEXT,
    }),
    "Column": _object({"name": _TEXT, "type": _TEXT, "meaning": _TEXT}),
}
SCHEMAS["GoalDetail"] = {**SCHEMAS["Goal"], "properties": {**SCHEMAS["Goal"]["properties"],
                                                           "measures": {"type": "array", "items": _ref("Measure")}}}
SCHEMAS["PlanChange"] = _object({
    "kind": {"type": "string", "enum": ["target", "baseline", "milestones", "definition"]},
    "changed_on": _DATE, "summary": _TEXT, "reason": _TEXT,
    "before": {"type": "object", "description": "The plan part as it was: value and period (target, baseline), "
                                                "milestones ([period, value] pairs) or text (definition)."},
    "after": {"type": "object", "description": "The plan part as it became, in the same shape."},
})
SCHEMAS["MeasureDetail"] = {**SCHEMAS["Measure"], "properties": {
    **SCHEMAS["Measure"]["properties"],
    "plan_changes": {"type": "array", "items": _ref("PlanChange"),
                     "description": "Changes to the target, baseline, milestones or definition since publication, "
                                    "newest first, with the reason given."}},
    "required": [*SCHEMAS["Measure"]["required"], "plan_changes"]}
SCHEMAS["GoalList"] = _object({"as_of": _DATE, "count": {"type": "integer"}, "goals": {"type": "array", "items": _ref("Goal")}})
SCHEMAS["MeasureList"] = _object({"as_of": _DATE, "count": {"type": "integer"},
                                  "measures": {"type": "array", "items": _ref("Measure")}})
_COLUMN_NAMES = {"type": "array", "items": {"type": "string", "enum": [c.name for c in VALUE_COLUMNS]}}
SCHEMAS["MeasureValues"] = _object({"measure": _TEXT, "count": {"type": "integer"}, "columns": _COLUMN_NAMES,
                                    "values": {"type": "array", "items": _ref("Value")}})
SCHEMAS["AllValues"] = _object({"count": {"type": "integer"}, "columns": _COLUMN_NAMES,
                                "values": {"type": "array", "items": _ref("Value")}})
SCHEMAS["RevisionList"] = _object({"count": {"type": "integer"}, "revisions": {"type": "array", "items": _ref("Revision")}})
SCHEMAS["Dictionary"] = _object({"columns": {"type": "array", "items": _ref("Column")}})
SCHEMAS["ValueInput"] = {
    "type": "object",
    "properties": {
        "period": {**_MONTH, "description": "The month of the figure (YYYY-MM); not a month that has not started, not "
                                            "before the measure's baseline."},
        "value": {"type": "number", "description": "The figure in the measure's unit and decimals, within its valid "
                                                   "range (a percent as 45 for 45%)."},
        "note": {"type": ["string", "null"], "maxLength": 2000, "description": "Context for the reviewers."},
        "reason": {"type": ["string", "null"], "maxLength": 1000,
                   "description": "Why a stored figure changes: required for a correction of a month that has one."},
        "version": {"type": ["integer", "null"], "minimum": 1,
                    "description": "Optional: the version this system last received for the month; the value is "
                                   "refused when the stored one changed since."},
        "confirm_drop": {"type": "boolean", "description": "A running total really fell this month (say why in "
                                                           "the note)."},
    },
    "required": ["period", "value"],
    "additionalProperties": False,
}
SCHEMAS["StoredValue"] = _object({
    "period": _MONTH, "value": _NUMBER,
    "state": {"type": "string", "enum": ["submitted", "approved", "returned"],
              "description": "submitted: awaiting approval by the performance team."},
    "outcome": {"type": "string", "enum": ["new", "correction", "unchanged"]},
    "version": {"type": "integer", "minimum": 1},
})
SCHEMAS["ValuesWritten"] = _object({"measure": _TEXT, "count": {"type": "integer", "minimum": 1},
                                    "values": {"type": "array", "items": _ref("StoredValue")}})
SCHEMAS["ValuesRefused"] = _object({
    "error": {"type": "string", "enum": ["invalid_values"]},
    "message": _TEXT,
    "errors": {"type": "array", "minItems": 1, "items": _object({
        "index": {"type": "integer", "minimum": 0, "description": "Position of the value in the request (0 first)."},
        "period": {"type": ["string", "null"], "description": "The month as sent."},
        "field": {"type": "string", "description": "The field to fix."},
        "message": {"type": "string", "description": "What is wrong and what to do."},
    })},
})
SCHEMAS["OpenApi"] = {"type": "object", "required": ["openapi", "paths"]}
SCHEMAS["Catalog"] = {"type": "object", "required": ["conformsTo", "dataset"],
                      "description": "DCAT-US 1.1 catalog (https://resources.data.gov/resources/dcat-us/)."}

_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "The measure's slug, as listed by /api/v1/measures.", "example": "ocd-rental-units-repaired"}
_GOAL_SLUG = {**_SLUG, "description": "The goal's slug, as listed by /api/v1/goals.", "example": "bring-families-home"}
_FROM = {"name": "from", "in": "query", "required": False, "schema": _MONTH,
         "description": "First month to include (YYYY-MM)."}
_TO = {"name": "to", "in": "query", "required": False, "schema": _MONTH,
       "description": "Last month to include (YYYY-MM); not before `from`."}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


_CSV = {"description": "CSV (UTF-8, header row, CRLF); text cells that would start a spreadsheet formula begin with an "
                       "apostrophe.", "content": {"text/csv": {"schema": {"type": "string"}}}}
_NOT_MODIFIED = {"description": "Not modified: the If-None-Match header names the current ETag."}
_BAD = _json("Error", "A parameter is unknown or malformed; `parameter` names it.")
_MISSING = _json("Error", "No published goal or measure has this slug (unknown and unpublished look the same).")


def _get(summary: str, ok: dict[str, Any], *, parameters: list | None = None, not_found: bool = False,
         description: str = "") -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "304": _NOT_MODIFIED, "400": _BAD}
    if not_found:
        responses["404"] = _MISSING
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


PATHS: dict[str, Any] = {
    "/api/v1/goals": _get("Published goals", _json("GoalList", "Every published goal with its status counts.")),
    "/api/v1/goals/{slug}": _get("One published goal", _json("GoalDetail", "The goal with its measures in full."),
                                 parameters=[_GOAL_SLUG], not_found=True),
    "/api/v1/measures": _get(
        "Published measures", _json("MeasureList", "Measures with their standing as of the last complete month."),
        parameters=[
            {"name": "goal", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Only measures of this goal (slug).", "example": "bring-families-home"},
            {"name": "status", "in": "query", "required": False, "schema": _STATUS,
             "description": "Only measures with this status."},
            {"name": "department", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "Only measures this department reports (slug).", "example": "ocd"},
        ]),
    "/api/v1/measures/{slug}": _get("One published measure", _json("MeasureDetail", "Definition, plan, standing and "
                                                                                 "changes to the plan."),
                                    parameters=[_SLUG], not_found=True),
    "/api/v1/measures/{slug}/values": _get(
        "A measure's approved values (JSON)", _json("MeasureValues", "Every approved month, oldest first."),
        parameters=[_SLUG, _FROM, _TO], not_found=True,
        description="Each value carries the measure's status as of that month, judged by the progress page's rules."),
    "/api/v1/measures/{slug}/values.csv": _get(
        "A measure's approved values (CSV download)", _CSV, parameters=[_SLUG, _FROM, _TO], not_found=True,
        description="Saved as recoverystat-<slug>-<YYYY-MM>.csv, YYYY-MM being the latest month in the file."),
    "/api/v1/values.csv": _get("Every approved value of every published measure (CSV)", _CSV,
                               parameters=[_FROM, _TO]),
    "/api/v1/values.json": _get("Every approved value of every published measure (JSON)",
                                _json("AllValues", "One long table, by goal, measure and month."),
                                parameters=[_FROM, _TO]),
    "/api/v1/revisions": _get(
        "Published values corrected after first publication",
        _json("RevisionList", "Old and new approved figure, the date of the correction and its reason."),
        parameters=[{"name": "measure", "in": "query", "required": False, "schema": {"type": "string"},
                     "description": "Only corrections of this measure (slug)."}], not_found=True),
    "/api/v1/dictionary.json": _get("Data dictionary (JSON)", _json("Dictionary", "Each column: name, type, meaning.")),
    "/api/v1/dictionary.csv": _get("Data dictionary (CSV)", _CSV),
    "/api/v1/openapi.json": _get("This document", _json("OpenApi", "OpenAPI 3.1 description of the API.")),
    "/data.json": _get("DCAT-US 1.1 catalog", _json("Catalog", "One dataset per published measure plus the whole "
                                                    "table, for open-data portals to harvest.")),
}


PATHS["/api/v1/measures/{slug}/values"]["post"] = {
    "summary": "Send monthly values of a measure (partner systems)",
    "description": "Stores one value or a list of values of a measure your department reports, with the same checks "
                   "and review flow as the month grid: a month without a figure gets a new value, a month with one "
                   "is corrected (a `reason` is required), an identical figure is left unchanged. New and corrected "
                   "figures await approval by the performance team before they count publicly. All or nothing: when "
                   "any value is refused, none is written. Authenticate with a personal API token "
                   "(`Authorization: Bearer rs_...`, created on the API tokens page); cookies are not accepted.",
    "security": [{"bearerAuth": []}],
    "parameters": [_SLUG],
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"oneOf": [
            _ref("ValueInput"), {"type": "array", "items": _ref("ValueInput"), "minItems": 1, "maxItems": 240}]},
            "example": [{"period": "2026-10", "value": 1234, "note": "From the October pipeline report"}]}},
    },
    "responses": {
        "201": _json("ValuesWritten", "Every value as stored: its month, number, state and what happened."),
        "400": _json("Error", "The body is not JSON, or not one value object or a list of them."),
        "401": {**_json("Error", "No token, a malformed, unknown or revoked token, or the token's account is "
                                 "deactivated."),
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer challenge."}}},
        "403": _json("Error", "The token's account may not enter values for this measure (another department's "
                              "measure, or a viewer's token)."),
        "404": _json("Error", "No measure has this slug."),
        "409": _json("Error", "Another request stored one of these months at the same moment; nothing was "
                              "written. Send again."),
        "413": {"description": "The request body is too large."},
        "415": _json("Error", "The body is not sent as application/json."),
        "422": _json("ValuesRefused", "At least one value was refused; nothing was written. One message per "
                                      "refused value."),
        "429": _json("Error", "Too many requests with this token; wait a minute (Retry-After)."),
    },
}


def openapi_document(base_url: str) -> dict[str, Any]:
    """The OpenAPI document, with this server's address."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "RecoveryStat open data API",
            "version": "1.0.0",
            "summary": "Open access to East Baton Rouge City-Parish's published flood recovery measures, and a "
                       "token-protected write address for partner systems.",
            "description": "Published goals and measures and their approved monthly values, the same figures as the "
                           "public progress page. Reading (GET) is open to every site (CORS), cacheable (ETag, "
                           "Cache-Control; send If-None-Match to get 304 when nothing changed). Partner systems "
                           "send monthly values with POST and a personal API token (bearerAuth). Dates are ISO "
                           "8601, numbers are JSON numbers, field names are snake_case. Illustrative data set.",
            "license": {"name": "Open Data Commons Public Domain Dedication and License (PDDL) 1.0",
                        "url": "https://opendatacommons.org/licenses/pddl/1-0/"},
        },
        "servers": [{"url": base_url}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearerAuth": {
            "type": "http", "scheme": "bearer",
            "description": "A personal API token (rs_ followed by 43 characters), created on the API tokens page or "
                           "with `flask --app app create-token EMAIL`. Shown once; only its hash is stored."}}},
    }
