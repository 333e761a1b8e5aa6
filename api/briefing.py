"""The monthly Stat briefing as an Excel workbook, for staff who work in Excel: the same content as the page."""
from __future__ import annotations

import io
from datetime import date
from typing import Any

import pandas as pd
from flask import Blueprint, Response, redirect, request

from extensions import briefing_data, current_role
from models import clock
from models.progress import FRESHNESS_LABELS, STATUS_LABELS, format_value
from models.stat import briefing_month

bp = Blueprint("briefing", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _shown(value: float | None, unit: str, decimals: int) -> str:
    return "" if value is None else format_value(value, unit, decimals)


def briefing_workbook(bundle: dict[str, Any], today: date) -> bytes:
    """The briefing's sheets (summary, needs attention, status moves, new figures, corrections, departments not in,
    open follow-ups) as XLSX bytes, built with pandas and openpyxl."""
    month: date = bundle["month"]
    open_items = bundle["open_items"]
    follow_ups_of: dict[str, list[str]] = {}
    for item in open_items:
        follow_ups_of.setdefault(item.measure_slug, []).append(
            f"{item.action} ({item.department_name}, due {item.due_date.isoformat()}"
            f"{', OVERDUE' if item.overdue(today) else ''})")
    sheets = {
        "Summary": pd.DataFrame(
            [{"Item": "Month", "Value": month.strftime("%B %Y")},
             {"Item": "Prepared", "Value": today.isoformat()},
             *({"Item": STATUS_LABELS[s], "Value": bundle["counts"].get(s, 0)} for s in STATUS_LABELS),
             {"Item": "Measures needing attention", "Value": len(bundle["attention"])},
             {"Item": "Note", "Value": "Staff view: includes unpublished measures and figures awaiting approval. "
                                       "Illustrative data unless a source is named."}]),
        "Needs attention": pd.DataFrame([{
            "Measure": m.name, "Slug": m.slug, "Goal": m.goal_title, "Owner department": m.department_name,
            "Status": STATUS_LABELS[m.status], "Freshness": FRESHNESS_LABELS[m.freshness],
            "Latest figure": _shown(m.latest_value, m.unit, m.decimals),
            "Latest month": m.latest_period.strftime("%B %Y") if m.latest_period else "",
            "Awaiting approval": m.latest_state == "submitted", "Reason": m.reason,
            "Open follow-ups": "; ".join(follow_ups_of.get(m.slug, [])),
        } for m in bundle["attention"]], columns=["Measure", "Slug", "Goal", "Owner department", "Status", "Freshness",
                                                   "Latest figure", "Latest month", "Awaiting approval", "Reason",
                                                   "Open follow-ups"]),
        "Status moves": pd.DataFrame([{"Measure": mv.name, "Department": mv.department_name,
                                       "Before": STATUS_LABELS[mv.before], "Now": STATUS_LABELS[mv.after],
                                       "Direction": "Improved" if mv.direction == "up" else "Worsened"}
                                      for mv in bundle["moves"]],
                                     columns=["Measure", "Department", "Before", "Now", "Direction"]),
        "New figures": pd.DataFrame([{"Measure": v.name, "Figure": v.value,
                                      "Shown as": _shown(v.value, v.unit, v.decimals),
                                      "Awaiting approval": v.state == "submitted"}
                                     for v in bundle["changes"].new_values],
                                    columns=["Measure", "Figure", "Shown as", "Awaiting approval"]),
        "Corrections": pd.DataFrame([{"Measure": c.name, "Month": c.period.strftime("%B %Y"), "Was": c.old_value,
                                      "Now": c.new_value, "Reason": c.reason, "By": c.who,
                                      "When": c.at.strftime("%Y-%m-%d %H:%M")}
                                     for c in bundle["changes"].corrections],
                                    columns=["Measure", "Month", "Was", "Now", "Reason", "By", "When"]),
        "Not submitted": pd.DataFrame([{"Department": d.name, "Measures without a figure": d.missing,
                                        "Measures": d.measures, "Late": d.late, "Due": d.due}
                                       for d in bundle["changes"].not_submitted],
                                      columns=["Department", "Measures without a figure", "Measures", "Late", "Due"]),
        "Follow-ups": pd.DataFrame([{"Measure": i.measure_name, "Action": i.action, "Department": i.department_name,
                                     "Due": i.due_date, "Overdue": i.overdue(today), "Recorded by": i.created_by}
                                    for i in open_items],
                                   columns=["Measure", "Action", "Department", "Due", "Overdue", "Recorded by"]),
    }
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for column in sheet.columns:  # readable widths: the longest cell, within reason
                width = max(len(str(cell.value or "")) for cell in column)
                sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 80)
    return buffer.getvalue()


@bp.get("/dashboard/briefing.xlsx")
def briefing_xlsx():
    """The briefing workbook for ?month=YYYY-MM; staff only (anonymous people are sent to sign in)."""
    if current_role() is None:
        return redirect(f"/login?next={request.full_path.rstrip('?')}")
    month = briefing_month(request.args.get("month"))
    body = briefing_workbook(briefing_data(month), clock.today())
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f'attachment; filename="recoverystat-briefing-{month:%Y-%m}.xlsx"',
        "Cache-Control": "private, no-store"})
