"""Read-path benchmark: time models.queries.overview() on synthetic data, on SQLite and on PostgreSQL.

Run with `make bench` (or `.venv/bin/python tests/benchmark.py --sizes 100,1000 --months 120 --repeat 30`).
For each size it builds a fresh database (a temporary SQLite file; a scratch PostgreSQL database when
TEST_DATABASE_URL is set or --postgres-url is given, created and dropped here), bulk-loads departments, goals,
measures, milestones and `measures x months` measurements with a fixed random seed, then times whole overview()
calls for both audiences (internal: no switches; public: published_only=True, approved_only=True) after a warm-up.
It prints a table and, as the last line, one JSON object with every figure and whether the goal is met.

Not a pytest test: nothing here runs under `make test`.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, delete, insert, make_url, select, text, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models import audit, catalog, measurements, org  # noqa: E402,F401  (every table into Base.metadata)
from models.base import Base, make_engine  # noqa: E402
from models.catalog import Goal, Measure, Milestone  # noqa: E402
from models.measurements import Measurement  # noqa: E402
from models.org import Department  # noqa: E402
from models.progress import add_months, last_complete_month  # noqa: E402
from models.queries import overview  # noqa: E402
from models.summary import MeasureSummary  # noqa: E402

GOAL_P95_MS = 50.0
GOAL_RATIO = 5.0
# A fixed "today" keeps every run's data and statuses identical; as_of is the month before.
TODAY = date(2026, 12, 10)
AUDIENCES = {
    "internal": {},
    "public": {"published_only": True, "approved_only": True},
}
CHUNK = 10_000

UNIT_MIX = (("count", 0), ("count", 0), ("households", 0), ("percent", 1), ("usd", 0), ("days", 0))
DEPARTMENT_KINDS = ("city-parish", "city-parish", "state", "federal", "partner")
SOURCES = (
    "Restore Louisiana weekly pipeline report",
    "FEMA Individual Assistance dataset",
    "City-Parish permits system",
    "HUD DRGR quarterly performance report",
    "Office of Community Development case files",
)


# --- synthetic data ----------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Rows for every table, ready for bulk insert, and a few facts about them."""

    departments: list[dict]
    goals: list[dict]
    measures: list[dict]
    milestones: list[dict]
    values: list[tuple]  # (measure_id, period, value, state)

    def describe(self) -> str:
        """One line: how many rows of each kind and the mix of review states."""
        states: dict[str, int] = {}
        for row in self.values:
            states[row[3]] = states.get(row[3], 0) + 1
        share = ", ".join(f"{k} {v / max(len(self.values), 1):.1%}" for k, v in sorted(states.items()))
        published = sum(1 for m in self.measures if m["published"])
        return (
            f"{len(self.departments)} departments, {len(self.goals)} goals, {len(self.measures)} measures "
            f"({published} published), {len(self.milestones)} milestones, {len(self.values):,} values ({share})"
        )


def generate(n_measures: int, months: int, seed: int, departments: int | None = None,
             today: date | None = None) -> Dataset:
    """Build a realistic synthetic data set: n_measures measures with up to `months` monthly values each.

    `departments` defaults to one per 25 measures (4 to 30); `today` (default: the fixed TODAY) sets the last month.
    """
    rng = random.Random(seed * 1_000_003 + n_measures)
    as_of = last_complete_month(today or TODAY)
    first = add_months(as_of, -months + 1)

    n_departments = departments or max(4, min(30, n_measures // 25))
    departments = [
        {"id": i, "slug": f"dept-{i}", "name": f"Department {i}", "kind": DEPARTMENT_KINDS[i % len(DEPARTMENT_KINDS)],
         "contact_email": f"dept{i}@example.org"}
        for i in range(1, n_departments + 1)
    ]
    n_goals = max(3, n_measures // 10)
    goals = [
        {"id": g, "slug": f"goal-{g}", "title": f"Recovery goal {g}",
         "summary": f"Plain-language summary of recovery goal {g}.",
         "owner_department_id": rng.randint(1, n_departments), "display_order": g,
         # Most goals are public; a few are still being drafted.
         "published": rng.random() > 0.1}
        for g in range(1, n_goals + 1)
    ]

    measures, milestones, values = [], [], []
    milestone_id = 0
    for m in range(1, n_measures + 1):
        unit, decimals = rng.choice(UNIT_MIX)
        trajectory = rng.choices(("linear", "milestones", "constant"), weights=(6, 2, 2))[0]
        direction = "increase" if rng.random() < 0.75 else "decrease"
        # Plans start with the series (or a little before) and end anywhere from last year to four years out.
        baseline_period = add_months(first, -rng.randint(0, 6))
        # A short history can put "last year" before the baseline: a target always comes after its baseline.
        target_period = max(add_months(as_of, rng.randint(-12, 48)), add_months(baseline_period, 1))
        scale = {"percent": 100.0, "usd": 250e6, "days": 120.0}.get(unit, float(rng.choice((500, 5_000, 20_000))))
        if trajectory == "constant":
            baseline, target = 0.0, scale * rng.uniform(0.3, 0.8)
        elif direction == "increase":
            baseline = scale * rng.uniform(0.0, 0.2)
            target = scale * rng.uniform(0.6, 1.0)
        else:
            baseline = scale * rng.uniform(0.6, 1.0)
            target = scale * rng.uniform(0.0, 0.3)
        measures.append({
            "id": m, "slug": f"measure-{m}", "goal_id": (m - 1) % n_goals + 1,
            "name": f"Synthetic measure {m}", "definition": f"How measure {m} is counted, in plain words.",
            "unit": unit, "decimals": decimals, "direction": direction, "trajectory": trajectory,
            "baseline_value": round(baseline, decimals), "baseline_period": baseline_period,
            "target_value": round(target, decimals), "target_period": target_period,
            "owner_department_id": rng.randint(1, n_departments), "data_source": rng.choice(SOURCES),
            "citation": "synthetic", "valid_min": None, "valid_max": None,
            "on_track_tolerance": 0.05, "at_risk_tolerance": 0.15, "due_day": rng.choice((10, 15, 15, 20)),
            "display_order": m, "published": rng.random() > 0.15,
        })
        span = max(1, target_period.year * 12 + target_period.month - baseline_period.year * 12
                   - baseline_period.month)
        if trajectory == "milestones":
            periods: set[date] = set()
            for k in range(1, rng.randint(2, 4) + 1):
                share = k / 5 + rng.uniform(-0.05, 0.05)
                period = add_months(baseline_period, max(1, round(span * k / 5)))
                if period in periods:  # a short plan: one milestone a month at most
                    continue
                periods.add(period)
                milestone_id += 1
                milestones.append({
                    "id": milestone_id, "measure_id": m, "period": period,
                    "target_value": round(baseline + (target - baseline) * share, decimals), "citation": "synthetic",
                })

        # How the measure really goes: a pace around plan, noise, and a few that stop reporting or start late.
        pace = rng.uniform(0.7, 1.25)
        noise = abs(target - baseline) * 0.02 + (scale * 0.02 if trajectory == "constant" else 0.0)
        roll = rng.random()
        start, stop = 0, months
        if roll < 0.06:  # stopped reporting: overdue, some long enough to fall out of the history window
            stop = months - rng.randint(2, 30)
        elif roll < 0.09:  # a newer measure
            start = months - rng.randint(3, 24)
        elif roll < 0.10:  # defined, never reported
            stop = 0
        level = baseline
        for i in range(start, stop):
            period = add_months(first, i)
            if trajectory == "constant":
                value = target * pace + rng.gauss(0, noise)
            else:
                elapsed = (period.year * 12 + period.month) - (baseline_period.year * 12 + baseline_period.month)
                planned = baseline + (target - baseline) * min(1.0, max(0.0, elapsed / span)) * pace
                level = 0.85 * level + 0.15 * planned + rng.gauss(0, noise)
                value = level
            if unit == "percent":
                value = min(100.0, value)
            value = round(max(0.0, value), decimals)
            age = months - 1 - i  # 0 for the latest month
            r = rng.random()
            if age == 0:
                state = "submitted" if r < 0.45 else ("returned" if r < 0.5 else "approved")
            elif age <= 2:
                state = "submitted" if r < 0.15 else ("returned" if r < 0.18 else "approved")
            else:
                state = "approved" if r < 0.93 else ("submitted" if r < 0.97 else "returned")
            values.append((m, period, value, state))
    return Dataset(departments, goals, measures, milestones, values)


# --- loading -----------------------------------------------------------------------------------------------------


def _chunks(rows: list, size: int = CHUNK):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _approved(value: float, state: str) -> float | None:
    """The approved figure a stored month carries: its value once approved (what the public sees), else none."""
    return value if state == "approved" else None


def load(engine: Engine, data: Dataset) -> float:
    """Create the schema and bulk-insert the data set; return the seconds it took."""
    started = time.perf_counter()
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        for table, rows in (
            (Department.__table__, data.departments),
            (Goal.__table__, data.goals),
            (Measure.__table__, data.measures),
            (Milestone.__table__, data.milestones),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
        if engine.dialect.name == "postgresql":
            # COPY: 120k rows in well under a second, where row-by-row inserts would take minutes.
            raw = conn.connection.dbapi_connection
            with raw.cursor() as cursor:
                with cursor.copy("COPY measurement (measure_id, period, value, approved_value, state, version) "
                                 "FROM STDIN") as copy:
                    for measure_id, period, value, state in data.values:
                        copy.write_row((measure_id, period, value, _approved(value, state), state, 1))
        else:
            table = Measurement.__table__
            for chunk in _chunks(data.values):
                conn.execute(insert(table), [
                    {"measure_id": m, "period": p, "value": v, "approved_value": _approved(v, s), "state": s, "version": 1}
                    for m, p, v, s in chunk
                ])
    if engine.dialect.name == "postgresql":
        # Autovacuum vacuums and analyzes a freshly loaded table within a minute or so in production (statistics
        # for the planner, a visibility map for index-only scans); do it now rather than time its absence.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


# --- timing ------------------------------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile of samples (q in 0..100)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def call(engine: Engine, history_months: int, options: dict):
    """One whole read: a session from the pool, overview() for one audience, committed and closed."""
    with Session(engine) as session:
        view = overview(session, as_of=last_complete_month(TODAY), today=TODAY, history_months=history_months,
                        **options)
        session.commit()  # as the app's db_session does: keeps what was evaluated for the next reader
        return view


def time_audience(engine: Engine, history_months: int, options: dict, repeat: int, warmup: int) -> dict:
    """Median and p95 (ms) of `repeat` overview() calls after `warmup` untimed ones, two ways.

    "cold": every measure evaluated (the kept evaluations of models.summary deleted before each call), as on a new
    day or after a change to every measure; "query": after a write to one figure (committed before each call, not
    timed), as after an approval or a correction: the changed measure is evaluated again, the rest are read kept.
    """
    result = None
    for _ in range(warmup):
        result = call(engine, history_months, options)
    cold, warm = [], []
    for _ in range(repeat):
        with engine.begin() as conn:
            conn.execute(delete(MeasureSummary))
        started = time.perf_counter()
        result = call(engine, history_months, options)
        cold.append((time.perf_counter() - started) * 1000)
    with engine.connect() as conn:
        written = conn.execute(select(Measurement.id).order_by(Measurement.period.desc(), Measurement.id).limit(1)
                               ).scalar_one()
    for _ in range(repeat):
        with engine.begin() as conn:  # a correction of the newest figure, as a reviewer would approve it
            conn.execute(update(Measurement).where(Measurement.id == written).values(
                value=Measurement.value + 1, approved_value=Measurement.value + 1, version=Measurement.version + 1))
        started = time.perf_counter()
        result = call(engine, history_months, options)
        warm.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(warm), 2),
        "p95_ms": round(percentile(warm, 95), 2),
        "min_ms": round(min(warm), 2),
        "cold_median_ms": round(statistics.median(cold), 2),
        "cold_p95_ms": round(percentile(cold, 95), 2),
        "measures": len(result.measures) if result else 0,
    }


def profile(engine: Engine, history_months: int, options: dict, label: str) -> None:
    """Print the top of a cProfile of one overview() call to stderr."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        call(engine, history_months, options)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
    print(f"--- profile: {label} (5 calls) ---\n{out.getvalue()}", file=sys.stderr)


# --- backends ----------------------------------------------------------------------------------------------------


class SQLiteBackend:
    """A temporary SQLite file per size, removed afterwards."""

    name = "sqlite"

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="recoverystat-bench-"))

    def engine(self, size: int) -> Engine:
        return make_engine(f"sqlite:///{self.folder / f'bench-{size}.db'}")

    def drop(self, size: int, engine: Engine) -> None:
        engine.dispose()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresBackend:
    """A scratch PostgreSQL database per size, created from the admin URL and dropped afterwards."""

    name = "postgresql"

    def __init__(self, url: str):
        self.admin_url = make_url(url).set(drivername="postgresql+psycopg")
        self.prefix = f"rs_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")

    def _database(self, size: int) -> str:
        return f"{self.prefix}_{size}"

    def engine(self, size: int) -> Engine:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self._database(size)}"'))
        url = self.admin_url.set(database=self._database(size)).render_as_string(hide_password=False)
        return make_engine(url)

    def drop(self, size: int, engine: Engine) -> None:
        engine.dispose()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self._database(size)}" WITH (FORCE)'))

    def close(self) -> None:
        self.admin.dispose()


def time_cached(engine: Engine, public: bool, repeat: int, warmup: int) -> dict:
    """Median and p95 (ms) of the path every page view takes: data-version check plus the cached overview.

    The app's cache is Redis when REDIS_URL is set (as with several gunicorn workers), in-process otherwise.
    """
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    from app import create_app
    from extensions import EXTENSION_KEY, cached_overview

    app = create_app({
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TESTING": True,
        "SECRET_KEY": "benchmark-only-secret",
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "CACHE_KEY_PREFIX": f"recoverystat-bench-{os.getpid()}-{time.time_ns()}:",
    })
    try:
        with app.server.app_context():
            for _ in range(warmup + 1):  # the first call fills the cache
                cached_overview(public=public, today=TODAY)
            samples = []
            for _ in range(repeat):
                started = time.perf_counter()
                cached_overview(public=public, today=TODAY)
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        app.server.extensions[EXTENSION_KEY].engine.dispose()
    return {"median_ms": round(statistics.median(samples), 2), "p95_ms": round(percentile(samples, 95), 2),
            "cache": "redis" if os.environ.get("REDIS_URL") else "in-process"}


def run_backend(backend, args) -> dict:
    """Load and time every size on one backend; return {size: {audience: figures}}."""
    results: dict[str, dict] = {}
    for size in args.sizes:
        data = generate(size, args.months, args.seed)
        engine = backend.engine(size)
        try:
            seconds = load(engine, data)
            print(f"[{backend.name}] {size} measures x {args.months} months: {data.describe()}; "
                  f"loaded in {seconds:.1f} s", file=sys.stderr)
            # A web worker does not hold 100,000 generated rows: drop them, or the garbage collector's full passes
            # would walk them during every timed call.
            del data
            gc.collect()
            if args.gc_freeze:
                # What a preloading server can do once before forking: move every object alive now out of the
                # collector's sight, so its full passes walk only what requests allocate.
                gc.freeze()
            results[str(size)] = {}
            for audience, options in AUDIENCES.items():
                results[str(size)][audience] = time_audience(
                    engine, args.history_months, options, args.repeat, args.warmup)
                results[str(size)][audience]["cached"] = time_cached(
                    engine, options.get("published_only", False), args.repeat, args.warmup)
                if args.profile and size == max(args.sizes):
                    profile(engine, args.history_months, options, f"{backend.name} {size} {audience}")
        finally:
            backend.drop(size, engine)
            if args.gc_freeze:
                gc.unfreeze()
    return results


# --- report ------------------------------------------------------------------------------------------------------


def summarize(results: dict, sizes: list[int]) -> dict:
    """Add the scaling ratio (largest over smallest size, by median) and whether the goal is met."""
    small, large = str(min(sizes)), str(max(sizes))
    ratios: dict[str, dict[str, float]] = {}
    met = True
    cold_met = True
    cached_met = True
    for backend, by_size in results.items():
        for audience in AUDIENCES:
            p95 = by_size[large][audience]["p95_ms"]
            met &= p95 <= GOAL_P95_MS
            cold_met &= by_size[large][audience]["cold_p95_ms"] <= GOAL_P95_MS
            cached_met &= by_size[large][audience].get("cached", {}).get("p95_ms", math.inf) <= GOAL_P95_MS
            if small != large:
                ratio = by_size[large][audience]["median_ms"] / by_size[small][audience]["median_ms"]
                ratios.setdefault(backend, {})[audience] = round(ratio, 2)
                met &= ratio <= GOAL_RATIO
    summary = dict(results)
    summary[f"ratio_{large}_over_{small}"] = ratios
    summary["goal"] = {"p95_ms_max": GOAL_P95_MS, "ratio_max": GOAL_RATIO, "at_measures": int(large),
                       "ratio_of": "median"}
    summary["met"] = bool(met)
    summary["cold_met"] = bool(cold_met)
    # The path a page view takes after the first read of each data version.
    summary["cached_met"] = bool(cached_met)
    return summary


def table(results: dict, args) -> str:
    """A readable table of every figure."""
    lines = [
        f"overview() read path: {args.months} months of values, history window {args.history_months} months, "
        f"{args.repeat} timed calls after {args.warmup} warm-up, seed {args.seed}"
        + (", gc.freeze()" if args.gc_freeze else ""),
        f"{'backend':<11} {'measures':>8} {'audience':<9} {'shown':>6} {'cold median':>12} {'cold p95':>9}"
        f" {'query median':>13} {'query p95':>10} {'cached median':>14} {'cached p95':>11}",
    ]
    lines.append("-" * len(lines[-1]))
    for backend, by_size in results.items():
        for size in args.sizes:
            for audience in AUDIENCES:
                f = by_size[str(size)][audience]
                cached = f.get("cached", {})
                lines.append(f"{backend:<11} {size:>8,} {audience:<9} {f['measures']:>6} "
                             f"{f['cold_median_ms']:>12.2f} {f['cold_p95_ms']:>9.2f}"
                             f" {f['median_ms']:>13.2f} {f['p95_ms']:>10.2f}"
                             f" {cached.get('median_ms', float('nan')):>14.2f} {cached.get('p95_ms', float('nan')):>11.2f}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated measure counts (default 100,1000)")
    parser.add_argument("--months", type=int, default=120, help="months of values per measure (default 120)")
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per audience (default 30)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed calls before timing (default 1)")
    parser.add_argument("--history-months", type=int, default=12, help="overview(history_months=...) (default 12)")
    parser.add_argument("--seed", type=int, default=2016, help="random seed (default 2016)")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="admin URL of a PostgreSQL server (default: $TEST_DATABASE_URL); a scratch database "
                             "is created and dropped there")
    parser.add_argument("--no-sqlite", action="store_true", help="skip SQLite")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL even when a URL is set")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the largest size to stderr")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="gc.freeze() after loading, as a preloading server could before forking (default: off)")
    args = parser.parse_args(argv)
    args.sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    if args.warmup < 1:
        parser.error("--warmup must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 0 whether or not the goal is met (the JSON line says)."""
    args = parse_args(argv)
    backends = []
    if not args.no_sqlite:
        backends.append(SQLiteBackend())
    if args.postgres_url and not args.no_postgres:
        backends.append(PostgresBackend(args.postgres_url))
    results: dict[str, dict] = {}
    for backend in backends:
        try:
            results[backend.name] = run_backend(backend, args)
        finally:
            backend.close()
    summary = summarize(results, args.sizes)
    print(table(results, args))
    print(f"goal: p95 <= {GOAL_P95_MS:g} ms at {max(args.sizes):,} measures and <= {GOAL_RATIO:g}x from "
          f"{min(args.sizes):,} to {max(args.sizes):,} (medians): query path {'met' if summary['met'] else 'NOT met'}; "
          f"cold p95 {'met' if summary['cold_met'] else 'NOT met'}; "
          f"cached path (every view after a write's first) p95 {'met' if summary['cached_met'] else 'NOT met'}")
    print(json.dumps(summary, sort_keys=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
