"""Workbook downloads for the performance team: the empty template and the whole program (XLSX or zip of CSV)."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request

from extensions import current_actor, db_session
from models import clock
from models.audit import record_audit
from models.workbook import export_sheets, template_sheets, write_csv_zip, write_xlsx

bp = Blueprint("workbook", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refusal() -> Response | None:
    """Anonymous people are sent to sign in; signed-in people other than admins are refused."""
    actor = current_actor()
    if actor is None:
        return redirect(f"/login?next={request.path}")  # type: ignore[return-value]
    if actor.role != "admin":
        return Response("Only the performance team (admins) may download the program workbook.", status=403,
                        mimetype="text/plain")
    return None


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                      "Cache-Control": "private, no-store"})


@bp.get("/admin/import/template.xlsx")
def template_xlsx():
    """The empty workbook template with its README sheet; admins only."""
    refusal = _refusal()
    if refusal is not None:
        return refusal
    return _attachment(write_xlsx(template_sheets()), XLSX, "recoverystat-template.xlsx")


def _export(kind: str) -> Response:
    refusal = _refusal()
    if refusal is not None:
        return refusal
    actor = current_actor()
    assert actor is not None
    with db_session() as session:
        sheets = export_sheets(session)
        # The export holds unpublished goals and unapproved values: who took one is kept.
        record_audit(session, actor=actor.email, user_id=actor.id, action="workbook.export", entity_type="workbook",
                     after={"format": kind, "rows": {name: len(rows) - 1 for name, rows in sheets.items()}})
    stamp = f"{clock.today():%Y-%m-%d}"
    if kind == "zip":
        return _attachment(write_csv_zip(sheets), "application/zip", f"recoverystat-program-{stamp}.zip")
    return _attachment(write_xlsx(sheets), XLSX, f"recoverystat-program-{stamp}.xlsx")


@bp.get("/admin/import/export.xlsx")
def export_xlsx():
    """The whole program as an XLSX workbook in the import format; admins only."""
    return _export("xlsx")


@bp.get("/admin/import/export.zip")
def export_zip():
    """The whole program as a zip of CSV files in the import format; admins only."""
    return _export("zip")
