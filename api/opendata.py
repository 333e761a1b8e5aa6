"""The read API under /api/v1, the CSV and JSON downloads and the DCAT-US catalog at /data.json.

Public only: everything comes from the read path (`models.queries`) with the public switches (published measures of
published goals, approved values), exactly as the progress page. Every answer carries an ETag derived from the data
version, the day, the path and the query, so a matching If-None-Match gets 304 without any work; bodies are cached
under the same key. Anyone may read from any site (CORS open for GET).
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, request, url_for

from extensions import CODE_STAMP, cache, cached_measure_detail, cached_overview, db_session
from models import clock
from models.audit import current_data_version
from models.dictionary import VALUE_COLUMN_NAMES, VALUE_COLUMNS
from models.progress import STATUSES, month_start
from models.queries import CorrectionRow, MeasureStatus, PlanChange, ValueRow, corrections, dataset_facts, values

bp = Blueprint("opendata", __name__)

API = "/api/v1"
CACHE_CONTROL = "public, max-age=60"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match",
    "Access-Control-Expose-Headers": "ETag, Content-Disposition",
    "Access-Control-Max-Age": "86400",
}
NOT_FOUND_MEASURE = "There is no published measure at this address. GET /api/v1/measures lists them."
NOT_FOUND_GOAL = "There is no published goal at this address. GET /api/v1/goals lists them."
# Cells a spreadsheet would read as a formula (OWASP "CSV injection"); such text cells get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ApiError(Exception):
    """An answer other than 200: its status, a machine-readable code, a message and the parameter at fault."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.parameter = status, code, message, parameter

    def response(self) -> Response:
        """The error as JSON."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.parameter is not None:
            body["parameter"] = self.parameter
        response = Response(json.dumps(body), status=self.status, mimetype="application/json")
        response.headers["Cache-Control"] = "no-store"
        return response


@dataclass
class Body:
    """A response body ready to send (and to cache)."""

    data: bytes
    mimetype: str
    filename: str | None = None
    attachment: bool = False
    gzipped: bytes | None = None  # `data` gzip-compressed, made for the first client that accepts it, then kept


# --- request plumbing -------------------------------------------------------------------------------------------


def check_params(allowed: Iterable[str]) -> None:
    """Refuse parameters the route does not know, so a typo is never silently ignored."""
    known = set(allowed)
    for name in request.args:
        if name not in known:
            listed = ", ".join(sorted(known)) if known else "none"
            raise ApiError(400, "bad_parameter", f"Unknown parameter '{name}'. This address accepts: {listed}.", name)
        if len(request.args.getlist(name)) > 1:
            raise ApiError(400, "bad_parameter", f"Parameter '{name}' is given more than once; give it once.", name)


def month_param(name: str) -> date | None:
    """A YYYY-MM month parameter as its first day, or None when absent; 400 naming the parameter otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if not _MONTH.match(raw):
        raise ApiError(400, "bad_parameter", f"Parameter '{name}' must be a month written YYYY-MM, e.g. 2026-10; "
                       f"got '{raw[:40]}'.", name)
    year, month = int(raw[:4]), int(raw[5:])
    if year < 1900:
        raise ApiError(400, "bad_parameter", f"Parameter '{name}' must be a month after 1900.", name)
    return date(year, month, 1)


def month_range() -> tuple[date | None, date | None]:
    """The `from` and `to` months, checked to be in order."""
    start, end = month_param("from"), month_param("to")
    if start and end and start > end:
        raise ApiError(400, "bad_parameter", "Parameter 'from' is after 'to'; give 'from' as the earlier month.", "from")
    return start, end


def answer_etag() -> str:
    """Identify this answer: the data version, the day (status and freshness depend on it), the host (answers carry
    absolute links), path and query."""
    with db_session() as session:
        version = current_data_version(session)
    query = "&".join(f"{k}={v}" for k, v in sorted(request.args.items(multi=True)))
    basis = f"{version}|{clock.today().isoformat()}|{request.host_url}|{request.path}|{query}"
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def _conditional(build: Callable[[], Body], params: Iterable[str] = ()) -> Response:
    """Validate parameters, answer 304 to a matching If-None-Match, else the (cached) body with ETag and caching."""
    try:
        check_params(params)
        etag = answer_etag()
        # The tag flask-compress gives a gzip answer is the plain one plus ":gzip"; either one names this answer.
        if request.if_none_match.contains_weak(etag) or request.if_none_match.contains_weak(f"{etag}:gzip"):
            response = Response(status=304)
        else:
            key = f"{current_app.config['CACHE_KEY_PREFIX']}api:{CODE_STAMP}:{etag}"
            body = cache.get(key)
            if body is None:
                body = build()
                cache.set(key, body)
            response = Response(body.data, mimetype=body.mimetype)
            if _gzip_wanted(body):
                # Compressed once and kept with the body: flask-compress would gzip ~0.5 MB on every request.
                if body.gzipped is None:
                    body.gzipped = gzip.compress(body.data, current_app.config.get("COMPRESS_LEVEL", 6))
                    cache.set(key, body)
                response.set_data(body.gzipped)
                response.headers["Content-Encoding"] = "gzip"  # flask-compress leaves an encoded answer alone
                response.vary.add("Accept-Encoding")
                etag = f"{etag}:gzip"
            if body.filename:
                kind = "attachment" if body.attachment else "inline"
                response.headers["Content-Disposition"] = f'{kind}; filename="{body.filename}"'
    except ApiError as error:
        return error.response()
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


def _gzip_wanted(body: Body) -> bool:
    """Whether to send `body` gzip-compressed: the client accepts gzip, and flask-compress would compress it (its
    types and minimum size)."""
    config = current_app.config
    return (request.accept_encodings["gzip"] > 0 and len(body.data) >= config.get("COMPRESS_MIN_SIZE", 500)
            and body.mimetype in config.get("COMPRESS_MIMETYPES", ()))


@bp.after_app_request
def open_to_every_site(response: Response) -> Response:
    """CORS for reading: any site may GET the API, the downloads and the catalog."""
    if request.path.startswith(API + "/") or request.path == "/data.json":
        response.headers.update(CORS_HEADERS)
    return response


def json_body(payload: Any, filename: str | None = None) -> Body:
    """JSON bytes (UTF-8, no ASCII escaping) for a payload."""
    return Body(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode(), "application/json", filename)


# --- CSV --------------------------------------------------------------------------------------------------------


def neutralise(cell: Any) -> Any:
    """A cell safe to open in a spreadsheet: text that would start a formula gets a leading apostrophe.

    Numbers are left alone (a number is never a formula, and -5 must stay minus five); only text is changed.
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def csv_number(value: float) -> str:
    """A number as plain digits: whole numbers without ".0", others as Python's shortest exact form."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def csv_bytes(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """CSV (RFC 4180, CRLF) with every text cell neutralised against formula injection."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in header])
    for row in rows:
        writer.writerow([csv_number(cell) if isinstance(cell, float) else neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


# --- shapes -----------------------------------------------------------------------------------------------------


def iso(day: date | None) -> str | None:
    """An ISO date, or None."""
    return day.isoformat() if day else None


def value_record(row: ValueRow) -> dict[str, Any]:
    """One value as the API and downloads give it (the data dictionary's columns, in order)."""
    return {"goal": row.goal, "measure": row.measure, "period": row.period.isoformat(), "value": row.value,
            "unit": row.unit, "status": row.status, "source": row.source, "citation": row.citation,
            "last_revised": iso(row.last_revised)}


def measure_record(m: MeasureStatus, as_of: date) -> dict[str, Any]:
    """A measure's definition, plan and standing as of the last complete month."""
    return {
        "slug": m.slug, "name": m.name, "goal": m.goal_slug, "goal_title": m.goal_title,
        "definition": m.definition, "unit": m.unit, "decimals": m.decimals, "direction": m.direction,
        "trajectory": m.trajectory, "department": m.department_slug, "department_name": m.department_name,
        "data_source": m.data_source, "citation": m.citation,
        "baseline_value": m.baseline_value, "baseline_period": iso(m.baseline_period),
        "target_value": m.target_value, "target_period": iso(m.target_period),
        "as_of": as_of.isoformat(), "latest_period": iso(m.latest_period), "latest_value": m.latest_value,
        "status": m.status, "status_label": m.status_label, "freshness": m.freshness, "progress": m.progress,
        "expected_value": m.expected, "reason": m.reason, "forecast": m.forecast,
        "url": _absolute("opendata.measure", slug=m.slug),
        "values_url": _absolute("opendata.measure_values", slug=m.slug),
        "csv_url": _absolute("opendata.measure_values_csv", slug=m.slug),
        "embed_url": _absolute("embed.embed_measure", slug=m.slug),
        "page_url": request.host_url.rstrip("/") + f"/measures/{m.slug}",
    }


def plan_change_record(change: PlanChange) -> dict[str, Any]:
    """A change to a published measure's target, baseline, milestones or definition, with its reason."""
    return {"kind": change.kind, "changed_on": change.changed_on.isoformat(), "summary": change.summary,
            "reason": change.reason, "before": change.before, "after": change.after}


def correction_record(row: CorrectionRow) -> dict[str, Any]:
    """A published value corrected after its first publication."""
    return {"measure": row.measure, "period": row.period.isoformat(), "old_value": row.old_value,
            "new_value": row.new_value, "date": row.revised_on.isoformat(), "reason": row.reason}


def _absolute(endpoint: str, **values: Any) -> str:
    return url_for(endpoint, _external=True, **values)


def public_overview():
    """The public overview (published goals and measures, approved values), cached by data version."""
    return cached_overview(public=True)


def find_measure(slug: str) -> tuple[MeasureStatus, date]:
    """A published measure by slug, or the one 404 for unknown and unpublished slugs alike."""
    view = public_overview()
    for measure in view.measures:
        if measure.slug == slug:
            return measure, view.as_of
    raise ApiError(404, "not_found", NOT_FOUND_MEASURE)


def _file_month(rows: list[ValueRow]) -> str:
    """The month a download runs to (its latest value), for its filename; the last complete month when empty."""
    latest = max((row.period for row in rows), default=None) or month_start(public_overview().as_of)
    return f"{latest:%Y-%m}"


def _values(measure_slug: str | None, start: date | None, end: date | None) -> list[ValueRow]:
    with db_session() as session:
        return values(session, published_only=True, approved_only=True, measure_slug=measure_slug,
                      start=start, end=end)


# --- routes -----------------------------------------------------------------------------------------------------


@bp.get(f"{API}/goals")
def goals():
    """Published goals with their status counts."""
    def build() -> Body:
        view = public_overview()
        return json_body({"as_of": view.as_of.isoformat(), "count": len(view.goals),
                          "goals": [goal_record(goal) for goal in view.goals]})
    return _conditional(build)


def goal_record(goal) -> dict[str, Any]:
    """A goal's summary: title, plain-language summary, owner and how many measures are in each status."""
    return {"slug": goal.slug, "title": goal.title, "summary": goal.summary, "department_name": goal.department_name,
            "measure_count": len(goal.measures), "status_counts": dict(goal.status_counts),
            "measures": [m.slug for m in goal.measures], "url": _absolute("opendata.goal", slug=goal.slug)}


@bp.get(f"{API}/goals/<slug>")
def goal(slug: str):
    """One published goal with its measures in full."""
    def build() -> Body:
        view = public_overview()
        for item in view.goals:
            if item.slug == slug:
                record = goal_record(item)
                record["measures"] = [measure_record(m, view.as_of) for m in item.measures]
                return json_body(record)
        raise ApiError(404, "not_found", NOT_FOUND_GOAL)
    return _conditional(build)


@bp.get(f"{API}/measures")
def measures():
    """Published measures, optionally filtered by goal, status and department."""
    def build() -> Body:
        status = request.args.get("status")
        if status is not None and status not in STATUSES:
            raise ApiError(400, "bad_parameter", f"Parameter 'status' must be one of {', '.join(STATUSES)}; got "
                           f"'{status[:40]}'.", "status")
        goal_slug, department = request.args.get("goal"), request.args.get("department")
        view = public_overview()
        found = [m for m in view.measures
                 if (goal_slug is None or m.goal_slug == goal_slug) and (status is None or m.status == status)
                 and (department is None or m.department_slug == department)]
        return json_body({"as_of": view.as_of.isoformat(), "count": len(found),
                          "measures": [measure_record(m, view.as_of) for m in found]})
    return _conditional(build, ("goal", "status", "department"))


@bp.get(f"{API}/measures/<slug>")
def measure(slug: str):
    """One published measure: definition, plan and standing."""
    def build() -> Body:
        found, as_of = find_measure(slug)
        detail = cached_measure_detail(found.slug, public=True)
        changes = detail.plan_changes if detail is not None else ()
        return json_body({**measure_record(found, as_of), "plan_changes": [plan_change_record(c) for c in changes]})
    return _conditional(build)


@bp.get(f"{API}/measures/<slug>/values")
def measure_values(slug: str):
    """A published measure's approved values, each with its status as of that month (JSON)."""
    def build() -> Body:
        find_measure(slug)
        start, end = month_range()
        rows = _values(slug, start, end)
        return json_body({"measure": slug, "count": len(rows), "columns": list(VALUE_COLUMN_NAMES),
                          "values": [value_record(r) for r in rows]},
                         filename=f"recoverystat-{slug}-{_file_month(rows)}.json")
    return _conditional(build, ("from", "to"))


@bp.get(f"{API}/measures/<slug>/values.csv")
def measure_values_csv(slug: str):
    """A published measure's approved values as a CSV download."""
    def build() -> Body:
        find_measure(slug)
        start, end = month_range()
        rows = _values(slug, start, end)
        return _csv_download(rows, f"recoverystat-{slug}-{_file_month(rows)}.csv")
    return _conditional(build, ("from", "to"))


def _csv_download(rows: list[ValueRow], filename: str) -> Body:
    data = csv_bytes(VALUE_COLUMN_NAMES, (list(value_record(r).values()) for r in rows))
    return Body(data, "text/csv", filename=filename, attachment=True)


@bp.get(f"{API}/values.csv")
def all_values_csv():
    """Every approved value of every published measure, one long table (CSV)."""
    def build() -> Body:
        start, end = month_range()
        rows = _values(None, start, end)
        return _csv_download(rows, f"recoverystat-all-values-{_file_month(rows)}.csv")
    return _conditional(build, ("from", "to"))


@bp.get(f"{API}/values.json")
def all_values_json():
    """Every approved value of every published measure, one long table (JSON)."""
    def build() -> Body:
        start, end = month_range()
        rows = _values(None, start, end)
        return json_body({"count": len(rows), "columns": list(VALUE_COLUMN_NAMES),
                          "values": [value_record(r) for r in rows]},
                         filename=f"recoverystat-all-values-{_file_month(rows)}.json")
    return _conditional(build, ("from", "to"))


@bp.get(f"{API}/revisions")
def revisions():
    """Published values corrected after their first publication, oldest first."""
    def build() -> Body:
        measure_slug = request.args.get("measure")
        if measure_slug is not None:
            find_measure(measure_slug)
        with db_session() as session:
            rows = corrections(session, published_only=True, measure_slug=measure_slug)
        return json_body({"count": len(rows), "revisions": [correction_record(r) for r in rows]})
    return _conditional(build, ("measure",))


@bp.get(f"{API}/dictionary.csv")
def dictionary_csv():
    """The data dictionary of the values table: name, type, meaning (CSV)."""
    def build() -> Body:
        data = csv_bytes(("name", "type", "meaning"), ((c.name, c.type, c.meaning) for c in VALUE_COLUMNS))
        return Body(data, "text/csv", filename="recoverystat-data-dictionary.csv", attachment=True)
    return _conditional(build)


@bp.get(f"{API}/dictionary.json")
def dictionary_json():
    """The data dictionary of the values table (JSON)."""
    def build() -> Body:
        return json_body({"columns": [{"name": c.name, "type": c.type, "meaning": c.meaning} for c in VALUE_COLUMNS]})
    return _conditional(build)


@bp.get(f"{API}/openapi.json")
def openapi():
    """The OpenAPI 3 description of this API."""
    from api.openapi import openapi_document

    def build() -> Body:
        return json_body(openapi_document(request.host_url.rstrip("/")))
    return _conditional(build)


@bp.get("/data.json")
def data_json():
    """The DCAT-US 1.1 catalog: one dataset per published measure plus one for the whole table."""
    from api.catalog import catalog_document

    def build() -> Body:
        view = public_overview()
        with db_session() as session:
            facts = dataset_facts(session, published_only=True, approved_only=True)
        return json_body(catalog_document(view, facts, request.host_url.rstrip("/")))
    return _conditional(build)


@bp.get(f"{API}/<path:rest>")
def unknown(rest: str):
    """Any other address under /api/v1: the JSON 404 (not the site's page shell)."""
    raise ApiError(404, "not_found", "There is nothing at this address. GET /api/v1/openapi.json lists every "
                   "address of this API.")


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    """Errors raised outside _conditional answer as JSON too."""
    return error.response()


def method_not_allowed(error):
    """JSON for a method an /api/v1 address does not take (most are read-only; a measure's values also take POST
    from partner systems); the plain error elsewhere."""
    if not request.path.startswith(API + "/"):
        return error
    methods = sorted(set(getattr(error, "valid_methods", None) or ("GET", "HEAD", "OPTIONS")))
    if "POST" in methods:
        message = "This address takes GET to read and POST (with an API token) to send values."
    else:
        message = "This address is read-only: use GET."
    response = ApiError(405, "method_not_allowed", message).response()
    response.headers["Allow"] = ", ".join(methods)
    return response
