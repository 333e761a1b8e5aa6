"""`flask --app app send-reminders` against a real SMTP server (aiosmtpd) started by the test, on SQLite and
PostgreSQL: who gets which message, once a day, a dry run that sends nothing, and one department's failure."""
from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from app import create_app
from conftest import app_config
from extensions import EXTENSION_KEY
from models import clock
from models.audit import AuditEvent
from models.catalog import Measure
from models.measurements import Measurement
from models.org import Department, User
from models.reminders import Reminder
from models.submissions import missing_figures

pytestmark = pytest.mark.services

OCTOBER = date(2026, 10, 1)  # the month now due on the tests' pinned day, 2026-11-20
BASE_URL = "https://recoverystat.example.org"


class Inbox:
    """An SMTP handler that keeps every message it accepts and refuses the addresses it is told to."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Accept a recipient unless it is to be refused."""
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Keep the message with its envelope recipients."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((sorted(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def by_recipients(self) -> dict[tuple[str, ...], email.message.EmailMessage]:
        """Messages keyed by their sorted envelope recipients."""
        return {tuple(rcpts): message for rcpts, message in self.messages}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on localhost for the test's duration."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail_app(db_url, smtp, tmp_path):
    """The app on a seeded database, mailing through the test's SMTP server; one OCD October figure sent back."""
    _, port = smtp
    app = create_app(app_config(db_url, INSTANCE_PATH=str(tmp_path / "instance"), MAIL_SERVER="127.0.0.1",
                                MAIL_PORT=str(port), MAIL_FROM="recoverystat@example.org", PUBLIC_BASE_URL=BASE_URL))
    with session_of(app) as session:
        row = session.scalar(select(Measurement).join(Measure, Measure.id == Measurement.measure_id)
                             .join(Department, Department.id == Measure.owner_department_id)
                             .where(Department.slug == "ocd", Measurement.period == OCTOBER).order_by(Measure.slug))
        row.state, row.approved_value = "returned", None
        session.commit()
    yield app
    app.server.extensions[EXTENSION_KEY].engine.dispose()


def session_of(app):
    """A fresh session on the app's database."""
    return app.server.extensions[EXTENSION_KEY].sessions()


def run(app, *args: str):
    """Invoke `flask send-reminders ARGS` and return Click's result."""
    return app.server.test_cli_runner().invoke(args=["send-reminders", *args])


def expected_reminders(app) -> dict[tuple[str, ...], tuple[str, list[str]]]:
    """Per sorted recipients: the department's name and the names of its measures missing October."""
    with session_of(app) as session:
        missing = missing_figures(session, OCTOBER)
        departments = {d.slug: d for d in session.scalars(select(Department))}
        editors = session.execute(select(Department.slug, User.email).join(User, User.department_id == Department.id)
                                  .where(User.role == "editor", User.active.is_(True))).all()
    found: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    for slug in sorted({m.department_slug for m in missing}):
        department = departments[slug]
        addresses = {department.contact_email, *(e for s, e in editors if s == slug)} - {None}
        found[tuple(sorted(addresses))] = (department.name, [m.name for m in missing if m.department_slug == slug])
    return found


def reminder_count(app) -> int:
    """Reminders recorded."""
    with session_of(app) as session:
        return session.scalar(select(func.count()).select_from(Reminder))


def test_each_department_missing_figures_gets_one_message_with_what_is_missing_the_due_date_and_the_link(mail_app, smtp):
    inbox, _ = smtp
    expected = expected_reminders(mail_app)
    assert ("ocd.editor@example.org", "recovery-ocd@example.org") in expected  # contact and editor, each once
    result = run(mail_app)
    assert result.exit_code == 0, result.output
    received = inbox.by_recipients()
    assert set(received) == set(expected) and len(inbox.messages) == len(expected)
    for recipients, (name, measures) in expected.items():
        message = received[recipients]
        body = message.get_content()
        assert message["From"] == "recoverystat@example.org"
        assert name in message["Subject"] and "October 2026" in message["Subject"]
        assert "November 15, 2026" in message["Subject"]
        for measure in measures:
            assert f"  - {measure} (due November 15, 2026)" in body
        assert f"{BASE_URL}/entry?month=2026-10" in body
        assert "due on November 15, 2026, so October 2026 shows as late" in body  # the 20th: past the due day
    assert f"{len(expected)} reminder(s) sent for October 2026" in result.output
    with session_of(mail_app) as session:
        assert session.scalar(select(func.count()).select_from(Reminder).where(Reminder.sent_on == clock.today())) \
            == len(expected)
        assert session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.action == "reminder.send")) == len(expected)

    # A second run the same day sends nothing and records nothing more.
    again = run(mail_app)
    assert again.exit_code == 0, again.output
    assert len(inbox.messages) == len(expected) and reminder_count(mail_app) == len(expected)
    assert "already reminded today" in again.output and "0 reminder(s) sent" in again.output

    # The next day, figures still missing: reminded again.
    clock.set_today(date(2026, 11, 21))
    assert run(mail_app).exit_code == 0
    assert len(inbox.messages) == 2 * len(expected)


def test_a_dry_run_prints_the_messages_and_sends_and_records_nothing(mail_app, smtp):
    inbox, _ = smtp
    expected = expected_reminders(mail_app)
    result = run(mail_app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert inbox.messages == [] and reminder_count(mail_app) == 0
    assert "Would send to recovery-ocd@example.org, ocd.editor@example.org" in result.output
    assert f"{BASE_URL}/entry?month=2026-10" in result.output
    assert result.output.count("Would send to") == len(expected)
    assert "nothing was sent or recorded" in result.output


def test_a_refused_department_is_reported_the_others_are_sent_and_it_is_tried_again_next_run(mail_app, smtp):
    inbox, _ = smtp
    expected = expected_reminders(mail_app)
    assert len(expected) >= 2, "the seed leaves several departments missing October figures"
    ocd = ("ocd.editor@example.org", "recovery-ocd@example.org")
    inbox.refuse = set(ocd)
    result = run(mail_app)
    assert result.exit_code == 1
    assert "Office of Community Development: not sent" in result.output
    assert set(inbox.by_recipients()) == set(expected) - {ocd}
    assert reminder_count(mail_app) == len(expected) - 1  # no record for the one that failed
    inbox.refuse = set()
    retry = run(mail_app)
    assert retry.exit_code == 0, retry.output
    assert set(inbox.by_recipients()) == set(expected) and len(inbox.messages) == len(expected)


def test_without_a_mail_server_the_command_says_what_to_set_and_sends_nothing(db_url, smtp, tmp_path):
    inbox, _ = smtp
    app = create_app(app_config(db_url, INSTANCE_PATH=str(tmp_path / "instance"), MAIL_SERVER=""))
    result = run(app)
    assert result.exit_code == 2
    assert "MAIL_SERVER is not set" in result.output
    assert inbox.messages == [] and reminder_count(app) == 0
    app.server.extensions[EXTENSION_KEY].engine.dispose()
