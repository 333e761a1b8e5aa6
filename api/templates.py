"""The spreadsheet templates to fill in and upload: CSV and XLSX, for the signed-in person's measures and a month."""
from __future__ import annotations

from flask import Blueprint, Response, redirect, request
from sqlalchemy import select

from extensions import current_actor, db_session
from models import clock
from models.errors import ValidationError
from models.importer import parse_period, template_csv, template_rows, template_xlsx
from models.org import Department
from models.progress import last_complete_month, month_start

bp = Blueprint("templates", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENTRY_ROLES = ("editor", "admin")


@bp.get("/entry/template.csv")
def entry_template_csv():
    """The template for ?month=YYYY-MM (default: the month now due) as CSV; editors and admins only."""
    return _template("csv")


@bp.get("/entry/template.xlsx")
def entry_template_xlsx():
    """The template for ?month=YYYY-MM (default: the month now due) as an Excel workbook; editors and admins only."""
    return _template("xlsx")


def _template(kind: str):
    """Refuse anyone but editors and admins, read the month, and answer with the template in `kind`."""
    actor = current_actor()
    if actor is None:
        return redirect(f"/login?next={request.full_path.rstrip('?')}")
    if actor.role not in ENTRY_ROLES:
        return Response("Only editors and the performance team enter figures, so there is no template for you.",
                        status=403, mimetype="text/plain")
    today = clock.today()
    raw = request.args.get("month")
    try:
        period = parse_period(raw) if raw else last_complete_month(today)
    except ValidationError as error:
        return Response(f"month: {error.message}", status=400, mimetype="text/plain")
    if period > month_start(today):
        return Response(f"month: {period:%B %Y} has not started yet. Choose a month up to {today:%B %Y}.",
                        status=400, mimetype="text/plain")
    with db_session() as session:
        rows = template_rows(session, actor, period)
        department = session.scalar(select(Department.slug).where(Department.id == actor.department_id)) \
            if actor.department_id is not None else None
    name = f"recoverystat-figures-{department or 'all'}-{period:%Y-%m}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"}
    if kind == "csv":
        return Response(template_csv(rows), mimetype="text/csv", headers=headers)
    return Response(template_xlsx(rows, period), mimetype=XLSX, headers=headers)
