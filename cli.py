"""The `flask --app app ...` operations commands: migrations, seed data, accounts, backups.

Each command is a thin wrapper: it parses its arguments, opens one session and calls a service in `models/`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

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


def alembic_config(database_url: str):
    """An Alembic configuration for this project's migrations and the given database."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config
