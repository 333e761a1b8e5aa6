"""The `flask --app app ...` operations commands: migrations, seed data, accounts, API tokens, backups, reminders.

Each command is a thin wrapper: it parses its arguments, opens one session and calls a service in `models/`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

import data_version
from extensions import database, db_session
from models.org import ROLES

ROOT = Path(__file__).resolve().parent
SEED_FOLDER = ROOT / "data" / "seed"
MIGRATIONS = ROOT / "migrations"
# The demo accounts `make run` creates: one per role, editors in two departments (a City-Parish one and a state one).
DEMO_ACCOUNTS = (
    ("admin@example.org", "Performance Team (demo)", "admin", None),
    ("mayor@example.org", "Mayor's Office (demo)", "viewer", None),
    ("ocd.editor@example.org", "Community Development editor (demo)", "editor", "ocd"),
    ("state.editor@example.org", "State disaster recovery editor (demo)", "editor", "la-ocd-dru"),
)


def register(server: Flask) -> None:
    """Add the operations commands to the server's `flask` CLI."""

    @server.cli.group("db")
    def db_group():
        """Database schema migrations (Alembic)."""

    @db_group.command("upgrade")
    @click.option("--revision", default="head", show_default=True)
    def db_upgrade(revision: str):
        """Apply migrations up to REVISION."""
        from alembic import command

        command.upgrade(alembic_config(server.config["DATABASE_URL"]), revision)
        click.echo(f"Database is at revision {revision}.")

    @server.cli.command("seed")
    @click.option("--folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=SEED_FOLDER)
    @click.option("--if-empty", is_flag=True, help="Load only when the database has no goals yet.")
    def seed(folder: Path, if_empty: bool):
        """Load the illustrative seed data set (idempotent; nothing is written if any row is malformed)."""
        from sqlalchemy import func, select

        from models.catalog import Goal
        from models.seed import SeedError, load_seed

        with server.app_context():
            try:
                with db_session() as session:
                    if if_empty and session.scalar(select(func.count()).select_from(Goal)):
                        click.echo("Seed data already loaded; nothing to do.")
                        return
                    report = load_seed(session, folder)
            except SeedError as error:
                click.echo(f"Seed data not loaded, nothing was written: {error}", err=True)
                sys.exit(1)
        click.echo(report.summary())

    @server.cli.command("import-workbook")
    @click.argument("path", metavar="FILE", type=click.Path(exists=True, path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Check and preview only; write nothing.")
    def import_workbook_command(path: Path, dry_run: bool):
        """Import the program from an XLSX workbook, a zip of CSV files or a folder of CSV files (all or nothing)."""
        from models.workbook import import_workbook, read_workbook

        with server.app_context():
            with db_session() as session:
                report = import_workbook(session, read_workbook(path), apply=not dry_run, actor="cli")
        if report.issues:
            click.echo(f"Workbook {path} not imported, nothing was written. Fix these and run again:", err=True)
            for issue in report.issues:
                click.echo(f"  {issue}", err=True)
            sys.exit(1)
        if dry_run:
            click.echo(f"Dry run of {path}: nothing was written. Importing it would give:")
        elif report.touched:
            click.echo(f"Imported {path}:")
        else:
            click.echo(f"Imported {path}: everything was already up to date, nothing changed.")
        click.echo(report.summary())
        for change in report.changes:
            click.echo(f"  changed: {change}")
        for sheet in report.ignored:
            click.echo(f"  ignored sheet or file: {sheet}")

    @server.cli.command("export-workbook")
    @click.argument("target", metavar="FILE", type=click.Path())
    def export_workbook_command(target: str):
        """Write the whole program to FILE (.xlsx), or to a folder of CSV files when FILE is a folder or ends in /."""
        from models.workbook import export_sheets, write_csv_folder, write_csv_zip, write_xlsx

        path = Path(target)
        as_folder = path.is_dir() or target.endswith(("/", "\\"))
        with server.app_context(), db_session() as session:
            sheets = export_sheets(session)
        if as_folder:
            write_csv_folder(sheets, path)
            click.echo(f"Workbook written to {path} as CSV files: " + _counts(sheets))
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(write_csv_zip(sheets) if path.suffix.lower() == ".zip" else write_xlsx(sheets))
        click.echo(f"Workbook written to {path}: " + _counts(sheets))

    @server.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(path: Path):
        """Write everything (goals, measures, values with states, revisions, accounts, audit, ...) to PATH."""
        from models.backup import BackupError, write_backup

        with server.app_context():
            try:
                with database().engine.connect() as conn:
                    summary = write_backup(conn, path)
            except BackupError as error:
                click.echo(f"Backup not written: {error}", err=True)
                sys.exit(1)
        click.echo(f"Backup written to {path}: {summary.text()}")

    @server.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def restore_command(path: Path):
        """Restore a backup into an empty, migrated database (all or nothing)."""
        from models.backup import BackupError, restore_backup

        with server.app_context():
            try:
                with database().engine.begin() as conn:
                    summary = restore_backup(conn, path)
            except BackupError as error:
                click.echo(f"Nothing was restored: {error}", err=True)
                sys.exit(1)
            data_version.changed(server)  # written on a plain connection: no session commit told the readers
        click.echo(f"Restored {path}: {summary.text()}")

    @server.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--department", "department_slug", default=None, help="Department slug (required for editors).")
    @click.option("--name", "display_name", default=None, help="Display name (defaults to the email's local part).")
    def create_user_command(email: str, role: str, department_slug: str | None, display_name: str | None):
        """Create an account; the password is read from a prompt, or from standard input when piped."""
        from models.accounts import create_user
        from models.errors import ValidationError

        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
        with server.app_context():
            try:
                with db_session() as session:
                    create_user(session, email=email, password=password, role=role,
                                department_slug=department_slug, display_name=display_name, actor="cli")
            except ValidationError as error:
                click.echo(f"Error: {error.message} Nothing was written.", err=True)
                sys.exit(2)
        click.echo(f"Created {role} {email.strip().lower()}.")

    @server.cli.command("create-token")
    @click.argument("email")
    @click.option("--name", default=None, help="What the token is for, e.g. the partner system that will use it.")
    def create_token_command(email: str, name: str | None):
        """Create a personal API token for EMAIL and print it once (only its hash is stored)."""
        from sqlalchemy import select

        from models.accounts import normalize_email
        from models.errors import PermissionDenied, ValidationError
        from models.org import User
        from models.tokens import create_token

        address = normalize_email(email)
        with server.app_context():
            try:
                with db_session() as session:
                    user = session.scalar(select(User).where(User.email == address))
                    if user is None:
                        click.echo(f"Error: no account has the email {address}. Nothing was written.", err=True)
                        sys.exit(2)
                    token, secret = create_token(session, user, name or "Created on the command line", actor="cli")
                    shown_name = token.name
            except (ValidationError, PermissionDenied) as error:
                click.echo(f"Error: {error.message} Nothing was written.", err=True)
                sys.exit(2)
        click.echo(f"Created the API token “{shown_name}” for {address}. Copy it now: it is not shown again.")
        click.echo(secret)
    @server.cli.command("import-values")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--as", "email", required=True, help="Email of the editor or admin the figures are entered as.")
    @click.option("--dry-run", is_flag=True, help="Check every row and say what would change; write nothing.")
    def import_values_command(file: Path, email: str, dry_run: bool):
        """Import monthly figures from a CSV or XLSX FILE (columns measure, period, value, note, reason), all or none."""
        from sqlalchemy import func, select

        from models.importer import apply_import, preview_import
        from models.org import User
        from models.services import Actor

        content = file.read_bytes()
        with server.app_context():
            with db_session() as session:
                user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
                if user is None or not user.active:
                    click.echo(f"Error: no active account has the email {email.strip()}. Nothing was written.", err=True)
                    sys.exit(2)
                if user.role not in ("editor", "admin"):
                    click.echo(f"Error: {user.email} is a {user.role}; only editors and admins enter figures. Nothing "
                               "was written.", err=True)
                    sys.exit(2)
                actor = Actor.of(user)
                if dry_run:
                    result = preview_import(session, actor, file.name, content)
                    session.rollback()
                else:
                    result = apply_import(session, actor, file.name, content)
                    if not result.applied:
                        session.rollback()
        if result.problems:
            for problem in result.problems:
                click.echo(problem.line(), err=True)
            rejected = result.count("rejected")
            what = f"{rejected} row{'s' if rejected != 1 else ''} need{'s' if rejected == 1 else ''} attention" \
                if rejected else "the file was refused"
            click.echo(f"Nothing was written: {what}. Fix the file and run the command again.", err=True)
            sys.exit(1)
        if dry_run:
            click.echo(f"Dry run, nothing was written. {result.summary()}")
        else:
            click.echo(f"Imported as {actor.email}. {result.summary()} New and corrected figures await approval.")

    @server.cli.command("demo-accounts")
    def demo_accounts():
        """Create one demo account per role if missing; print their passwords once and save them under instance/."""
        from sqlalchemy import select

        from models.accounts import create_user, generate_password
        from models.org import User

        accounts_file = Path(server.instance_path) / "demo-accounts.txt"
        created = []
        with server.app_context(), db_session() as session:
            existing = set(session.scalars(select(User.email)))
            for email, name, role, department in DEMO_ACCOUNTS:
                if email in existing:
                    continue
                password = generate_password()
                create_user(session, email=email, password=password, role=role, department_slug=department,
                            display_name=name, actor="demo-accounts")
                created.append((email, role, department, password))
        if not created:
            click.echo(f"Demo accounts exist; their passwords are in {accounts_file}.")
            return
        accounts_file.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{email}\t{role}{' (' + dept + ')' if dept else ''}\t{password}" for email, role, dept, password in created]
        with accounts_file.open("a") as handle:
            handle.write("\n".join(lines) + "\n")
        accounts_file.chmod(0o600)
        click.echo(f"Demo accounts created (shown once; also saved in {accounts_file}):")
        for line in lines:
            click.echo("  " + line)

    @server.cli.command("send-reminders")
    @click.option("--dry-run", is_flag=True, help="Print the reminders that would be sent; send and record nothing.")
    def send_reminders_command(dry_run: bool):
        """Email each department with figures missing for the month now due (at most once a day per department)."""
        send_reminders(server, dry_run=dry_run)


def send_reminders(server: Flask, *, dry_run: bool) -> None:
    """Plan today's reminders, then send and record each one; exit 1 if any department could not be reminded."""
    import smtplib

    from mail import MailConfigError, MailSettings, send_message
    from models import clock
    from models.progress import last_complete_month
    from models.reminders import claim_reminder, plan_reminders

    today = clock.today()
    settings = None
    if not dry_run:
        try:
            settings = MailSettings.from_config(server.config)
        except MailConfigError as error:
            click.echo(f"No reminder sent: {error}", err=True)
            sys.exit(2)
    with server.app_context():
        with db_session() as session:
            planned = plan_reminders(session, today, server.config["PUBLIC_BASE_URL"])
        month = last_complete_month(today)
        if not planned:
            click.echo(f"Every department has entered its {month:%B %Y} figures: no reminder to send.")
            return
        sent, skipped, failed = 0, 0, []
        for reminder in planned:
            name = reminder.department_name
            if reminder.already_sent:
                click.echo(f"{name}: already reminded today; not sent again.")
                skipped += 1
                continue
            if not reminder.recipients:
                failed.append(name)
                click.echo(f"{name}: not sent — the department has no contact address and no active editor. Add a "
                           "contact email or an editor account.", err=True)
                continue
            if dry_run:
                click.echo(f"Would send to {', '.join(reminder.recipients)}\nSubject: {reminder.subject}\n\n"
                           f"{reminder.body}\n")
                continue
            assert settings is not None
            try:
                with db_session() as session:
                    if not claim_reminder(session, reminder, today):
                        click.echo(f"{name}: already reminded today; not sent again.")
                        skipped += 1
                        continue
                    refused = send_message(settings, reminder.message(settings.sender))
            except (smtplib.SMTPException, OSError) as error:
                failed.append(name)
                click.echo(f"{name}: not sent — the mail server said: {error}. It will be tried again on the next "
                           "run.", err=True)
                continue
            sent += 1
            if refused:
                failed.append(name)
                click.echo(f"{name}: sent, but the mail server refused {', '.join(sorted(refused))}.", err=True)
            else:
                click.echo(f"{name}: reminder sent to {', '.join(reminder.recipients)} "
                           f"({len(reminder.missing)} missing).")
    if dry_run:
        click.echo(f"Dry run: {len(planned) - skipped - len(failed)} reminder(s) would be sent for {month:%B %Y}; "
                   "nothing was sent or recorded.")
    else:
        click.echo(f"{sent} reminder(s) sent for {month:%B %Y}, {skipped} already sent today, {len(failed)} failed.")
    if failed:
        sys.exit(1)


def _counts(sheets: dict[str, list[list]]) -> str:
    """"12 departments, 7 goals, ..." for a written workbook."""
    return ", ".join(f"{len(rows) - 1} {name}" for name, rows in sheets.items()) + "."


def alembic_config(database_url: str):
    """An Alembic configuration for this project's migrations and the given database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config
