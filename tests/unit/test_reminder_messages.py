"""Composing and planning reminders: what each department is told, to whom, and the one-a-day record."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.org import Department
from models.reminders import PlannedReminder, claim_reminder, compose, plan_reminders, reminders_sent
from models.submissions import MissingFigure

OCTOBER = date(2026, 10, 1)
MISSING = [MissingFigure("ocd", "a", "Homes repaired", date(2026, 11, 10)),
           MissingFigure("ocd", "b", "Rental units", date(2026, 11, 15))]


def test_compose_names_each_missing_measure_its_due_date_and_the_months_grid_link():
    subject, body = compose("Housing", OCTOBER, MISSING, "https://stat.example.org/", date(2026, 11, 5))
    assert subject == "RecoveryStat: 2 October 2026 figures missing for Housing (due November 10, 2026)"
    assert "  - Homes repaired (due November 10, 2026)\n  - Rental units (due November 15, 2026)" in body
    assert "Enter them in the month grid: https://stat.example.org/entry?month=2026-10" in body
    assert "shows as late" in body and "were due" not in body  # before the due day: a warning, not a verdict
    _, late = compose("Housing", OCTOBER, MISSING[:1], "https://stat.example.org", date(2026, 11, 11))
    assert "It was due on November 10, 2026, so October 2026 shows as late" in late
    assert "Enter it in the month grid" in late


def test_plan_then_claim_records_one_reminder_a_day_per_department(session):
    today = date(2026, 11, 20)
    planned = plan_reminders(session, today, "http://127.0.0.1:8050")
    assert planned and all(p.period == OCTOBER and not p.already_sent for p in planned)
    assert [p.department_name for p in planned] == sorted(p.department_name for p in planned)
    first: PlannedReminder = planned[0]
    contact = session.scalar(select(Department.contact_email).where(Department.id == first.department_id))
    assert first.recipients[0] == contact
    assert claim_reminder(session, first, today) is True
    session.commit()
    assert claim_reminder(session, first, today) is False  # the same department, the same day
    assert reminders_sent(session, today) == [(first.department_slug, ", ".join(first.recipients))]
    again = {p.department_slug: p.already_sent for p in plan_reminders(session, today, "http://127.0.0.1:8050")}
    assert again[first.department_slug] is True and sum(again.values()) == 1
    assert not any(p.already_sent for p in plan_reminders(session, date(2026, 11, 21), "http://127.0.0.1:8050"))
