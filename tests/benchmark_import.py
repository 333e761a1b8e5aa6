"""Import benchmark: time a 10,000-row spreadsheet through the importer, on SQLite and on PostgreSQL.

Run with `.venv/bin/python tests/benchmark_import.py [--rows 10000] [--postgres-url URL]`. It builds a fresh database
(a temporary SQLite file; a scratch PostgreSQL database when TEST_DATABASE_URL or --postgres-url is given, created and
dropped here), migrates it, loads the seed data, adds an editor and enough copies of one of the editor's measures that
the file holds `rows` new monthly figures (100 months each), writes the file as CSV, then times: the preview (read +
check, nothing written), the apply (one transaction, committed) and a second apply of the same file (all unchanged).
It prints one line per step and, last, one JSON object with every figure.

Not a pytest test: nothing here runs under `make test`.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "benchmark-only")

from sqlalchemy import create_engine, make_url, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models import clock  # noqa: E402
from models.accounts import create_user  # noqa: E402
from models.base import make_engine  # noqa: E402
from models.catalog import Measure  # noqa: E402
from models.importer import apply_import, preview_import  # noqa: E402
from models.progress import add_months  # noqa: E402
from models.seed import load_seed  # noqa: E402
from models.services import Actor  # noqa: E402

TODAY = "2026-11-20"
MONTHS = 100
EDITOR = "bench.editor@example.org"


def build(url: str, copies: int) -> list[str]:
    """Migrate and seed the database at `url`, add the editor and `copies` copies of an OCD measure; their slugs."""
    from alembic import command

    from cli import alembic_config

    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url)
    with Session(engine) as session:
        load_seed(session, ROOT / "data" / "seed")
        create_user(session, email=EDITOR, password="benchmark-password-1", role="editor", department_slug="ocd")
        template = session.scalar(select(Measure).where(Measure.slug == "ocd-vacant-addresses-flooded-tracts"))
        columns = [c.key for c in Measure.__table__.columns if c.key not in ("id", "slug")]
        slugs = [f"bench-vacant-{number:03d}" for number in range(copies)]
        for slug in slugs:
            session.add(Measure(slug=slug, **{key: getattr(template, key) for key in columns}))
        session.commit()
    engine.dispose()
    return slugs


def spreadsheet(slugs: list[str], rows: int) -> bytes:
    """A CSV of `rows` figures: each copy for the 100 months up to November 2026, with thousands separators."""
    last = clock.today().replace(day=1)
    lines = ["measure,name,period,value,note,reason"]
    for slug in slugs:
        for back in range(MONTHS):
            month = add_months(last, -back)
            lines.append(f'{slug},Vacant addresses (copy),{month:%Y-%m},"{1000 + back * 7:,}",,')
            if len(lines) > rows:
                break
    return ("\r\n".join(lines[: rows + 1]) + "\r\n").encode()


def run(url: str, rows: int) -> dict:
    """Time preview, apply and a second apply on one database."""
    slugs = build(url, -(-rows // MONTHS))
    content = spreadsheet(slugs, rows)
    engine = make_engine(url)
    figures: dict = {"backend": make_url(url).get_backend_name(), "rows": rows, "bytes": len(content)}
    with Session(engine) as session:
        user_id = session.execute(text("SELECT id FROM app_user WHERE email = :e"), {"e": EDITOR}).scalar()
        editor = Actor(id=user_id, email=EDITOR, role="editor", department_id=session.execute(
            text("SELECT department_id FROM app_user WHERE id = :i"), {"i": user_id}).scalar())
        for step in ("preview", "apply", "apply again"):
            started = time.perf_counter()
            if step == "preview":
                result = preview_import(session, editor, "bench.csv", content)
                session.rollback()
            else:
                result = apply_import(session, editor, "bench.csv", content)
                session.commit()
            elapsed = time.perf_counter() - started
            assert not result.problems, [p.line() for p in result.problems[:5]]
            figures[step] = round(elapsed, 2)
            print(f"{figures['backend']:>10}  {step:<12} {elapsed:6.2f} s  {result.summary()}")
    engine.dispose()
    return figures


def main() -> None:
    """Parse the arguments, run on SQLite and (when configured) PostgreSQL, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"))
    args = parser.parse_args()
    clock.set_today(TODAY)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(run(f"sqlite:///{folder}/bench.db", args.rows))
    if args.postgres_url:
        admin_url = make_url(args.postgres_url).set(drivername="postgresql+psycopg")
        name = f"rs_bench_import_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            results.append(run(admin_url.set(database=name).render_as_string(hide_password=False), args.rows))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
