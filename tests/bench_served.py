"""`make bench`: RecoveryStat as served, beside a bare Flask route, plus the read path, growth, browser and writes.

Run with `make bench` (or `.venv/bin/python tests/bench_served.py [--quick] [--measures 1000 --months 120]`). Needs
PostgreSQL (TEST_DATABASE_URL: an admin URL; a scratch database is created and dropped here), Redis (REDIS_URL),
`wrk` (`apt-get install wrk`) and, for the browser figures, Chromium at /usr/bin/chromium with Playwright.

It builds the synthetic data set (tests/benchmark.py), serves it with gunicorn under gunicorn.conf.py exactly as
`make serve` does, serves tests/bench_bare.py (the same response bytes, no work) under the same configuration, and
loads both with wrk on loopback for a bounded time. It prints a readable table and, as its last line, one JSON
object (milliseconds, bytes, seconds, plain ratios; null where a feature does not exist or could not be measured).
"""
from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from argparse import Namespace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
for folder in (ROOT, TESTS):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import benchmark  # noqa: E402
from sqlalchemy import create_engine, make_url, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from models import clock  # noqa: E402
from models.progress import last_complete_month  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run", "--disable-quic"]
# The keys of the last line, in this order (issue 10); more may follow them.
KEYS = ("overview_p95_ms_sqlite", "overview_p95_ms_postgres", "public_callback_rps", "bare_route_rps",
        "public_callback_rps_ratio", "growth_measures_100_to_1000", "growth_months_24_to_120",
        "public_first_load_gzip_bytes", "save_50_values_ms", "import_10000_rows_s", "worker_rss_mb",
        "public_render_ms_1000", "public_render_ms_seed")
WRK_SCRIPT = r"""
wrk.method = "{method}"
wrk.headers["Accept-Encoding"] = "gzip"
{body}
local limit = {limit}
local count = 0
response = function(status, headers, body)
  count = count + 1
  if limit > 0 and count >= limit then wrk.thread:stop() end
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('WRK {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non_2xx": %d, ' ..
    '"socket_errors": %d}}\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, errors))
end
"""


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the table and the JSON line."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    """The machine's 1/5/15-minute load averages, as `uptime` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


# --- servers -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn under the project's gunicorn.conf.py serving one WSGI app on a free loopback port."""

    def __init__(self, target: str, env: dict[str, str], *, pythonpath: Path | None = None, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(self.port),
                       "WEB_CONCURRENCY": str(workers), "RECOVERYSTAT_ENV": "production"}
        command = [str(Path(sys.executable).with_name("gunicorn")), "--config", str(ROOT / "gunicorn.conf.py")]
        if pythonpath:
            command += ["--pythonpath", str(pythonpath)]
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115
        # The access log goes to /dev/null through the same "-" setting production uses.
        self.process = subprocess.Popen(command + [target], cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                                        stderr=self.log, start_new_session=True)

    def wait(self, path: str, timeout: float = 180.0) -> None:
        """Block until `path` answers 200, or raise with the server's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.url + path, timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"gunicorn did not serve {path}:\n{Path(self.log.name).read_text()[-3000:]}")

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def rss_mb(self) -> list[float]:
        """Resident memory of each worker, MB."""
        sizes = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(round(int(line.split()[1]) / 1024, 1))
        return sizes

    def stop(self) -> None:
        """Stop the master (it stops its workers) and remove the log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def fetch(url: str, body: dict | None = None) -> tuple[bytes, dict[str, str]]:
    """One request as a browser sends it (gzip accepted); the raw response bytes and headers."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Accept-Encoding": "gzip",
                                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read(), dict(response.headers.items())


def wrk(url: str, *, method: str = "GET", body: dict | None = None, duration: float, threads: int,
        connections: int, limit: int = 0) -> dict:
    """requests/s, p50 and p99 (ms) of `url` under wrk for `duration` seconds (or until `limit` responses)."""
    body_line = ""
    if body is not None:
        body_line = (f"wrk.body = {json.dumps(json.dumps(body, separators=(',', ':')))}\n"
                     'wrk.headers["Content-Type"] = "application/json"')
    per_thread = -(-limit // threads) if limit else 0
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT.format(method=method, body=body_line, limit=per_thread))
    try:
        completed = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
             "-s", script.name, url], capture_output=True, text=True, timeout=duration + 120, check=True)
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next(li for li in completed.stdout.splitlines() if li.startswith("WRK "))
    raw = json.loads(line[4:])
    seconds = raw["duration_us"] / 1e6
    return {"rps": round(raw["requests"] / seconds, 1) if seconds else 0.0, "p50_ms": round(raw["p50_us"] / 1000, 2),
            "p99_ms": round(raw["p99_us"] / 1000, 2), "requests": raw["requests"], "non_2xx": raw["non_2xx"],
            "socket_errors": raw["socket_errors"]}


# --- data --------------------------------------------------------------------------------------------------------


class ScratchPostgres:
    """A PostgreSQL database created for the served app and dropped afterwards."""

    def __init__(self, admin_url: str):
        self.admin_url = make_url(admin_url).set(drivername="postgresql+psycopg")
        self.name = f"rs_served_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.admin_url.set(database=self.name).render_as_string(hide_password=False)

    def drop(self) -> None:
        """Drop the database (closing whatever still holds it) and the admin pool."""
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def build_served_database(url: str, args: Namespace) -> str:
    """Migrate the scratch database as production does, then bulk-load the synthetic data; a one-line summary."""
    from alembic import command

    from cli import alembic_config
    from models.base import make_engine

    command.upgrade(alembic_config(url), "head")
    data = benchmark.generate(args.measures, args.months, args.seed, departments=args.departments,
                              today=clock.today())
    engine = make_engine(url)
    try:
        seconds = benchmark.load(engine, data)
        with engine.begin() as conn:  # the ids were given explicitly: move PostgreSQL's sequences past them
            for table in ("department", "goal", "measure", "milestone", "measurement"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))
    finally:
        engine.dispose()
    return f"{data.describe()}; loaded in {seconds:.1f} s"


def public_body(month: str) -> dict:
    """What the browser posts for the public page's data callback (the month picker's value)."""
    return {"output": "pub-overview.children", "outputs": {"id": "pub-overview", "property": "children"},
            "inputs": [{"id": "pub-month", "property": "value", "value": month}],
            "changedPropIds": ["pub-month.value"], "parsedChangedPropsIds": ["pub-month.value"], "state": []}


def measure_body(slug: str) -> dict:
    """What the browser posts for a measure page's callback (its chart and figures, from the slug)."""
    return {"output": "pub-measure-page.children", "outputs": {"id": "pub-measure-page", "property": "children"},
            "inputs": [{"id": "pub-measure-slug", "property": "data", "value": slug}],
            "changedPropIds": ["pub-measure-slug.data"], "parsedChangedPropsIds": ["pub-measure-slug.data"],
            "state": []}


def published_measure_slug(url: str) -> str:
    """A published measure of a published goal with figures (what a resident would open)."""
    from models.base import make_engine
    from models.catalog import Goal, Measure

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.scalars(select(Measure.slug).join(Goal, Goal.id == Measure.goal_id)
                                   .where(Measure.published.is_(True), Goal.published.is_(True))
                                   .order_by(Measure.id)).first()
    finally:
        engine.dispose()


# --- measurements beside the server ------------------------------------------------------------------------------


def save_50_values_ms(url: str, repeat: int = 5) -> tuple[float | None, str]:
    """Median milliseconds to save 50 figures through models.batch.save_figures (one transaction each, committed),
    after one untimed save (a fresh connection's first statements are prepared and planned), and what happened."""
    from models.base import make_engine
    from models.batch import FigureRow, save_figures
    from models.catalog import Measure
    from models.measurements import Measurement
    from models.services import Actor

    engine = make_engine(url)
    period = last_complete_month(clock.today())
    timings: list[float] = []
    try:
        for attempt in range(repeat + 1):
            with Session(engine) as session:
                measures = session.scalars(select(Measure).order_by(Measure.id).limit(50)).all()
                versions = dict(session.execute(select(Measurement.measure_id, Measurement.version).where(
                    Measurement.period == period, Measurement.measure_id.in_([m.id for m in measures]))).all())
                # Far from recent figures (a note says why, as a person would have to), and new each time.
                share = 0.5 + attempt / 100
                rows = [FigureRow(m.id, f"{(m.target_value or 10) * share:.{m.decimals}f}",
                                  reason="Benchmark correction", note="Benchmark figure",
                                  seen_version=versions.get(m.id)) for m in measures]
                admin = Actor(id=None, email="bench@example.org", role="admin", department_id=None)
                started = time.perf_counter()
                result = save_figures(session, admin, period=period, rows=rows)
                session.commit()
                elapsed = (time.perf_counter() - started) * 1000
            if not result.saved:
                refused = next((r for r in result.rows if r.outcome == "refused"), None)
                outcomes = {o: result.count(o) for o in ("stored", "corrected", "unchanged", "refused")}
                return None, f"not saved: {getattr(refused, 'message', outcomes)}"
            if attempt:
                timings.append(elapsed)
        outcomes = {o: result.count(o) for o in ("stored", "corrected", "unchanged", "refused")}
        described = ", ".join(f"{k} {v}" for k, v in outcomes.items() if v)
        return round(statistics.median(timings), 1), f"median of {repeat} after one untimed ({described} each)"
    finally:
        engine.dispose()


def import_rows_s(admin_url: str, rows: int) -> tuple[float | None, str, dict | None]:
    """Seconds to apply a `rows`-row file through the importer (tests/benchmark_import.py: a seeded scratch
    PostgreSQL database, one transaction, committed); (seconds when rows is 10,000 else None, what happened, every
    figure)."""
    import benchmark_import

    database = ScratchPostgres(admin_url)
    clock.set_today(benchmark_import.TODAY)  # the file's months and the seed's measures are judged on its day
    try:
        with contextlib.redirect_stdout(sys.stderr):  # its step lines are progress: stdout is the table and JSON
            figures = benchmark_import.run(database.url, rows)
    finally:
        clock.set_today(None)
        database.drop()
    text = (f"{rows:,} rows on PostgreSQL through tests/benchmark_import.py: preview {figures['preview']} s, "
            f"apply {figures['apply']} s, the same file again {figures['apply again']} s")
    return (figures["apply"] if rows == 10_000 else None), text, figures


# Run in the page before its own scripts: the time (ms since navigation started, the page's own clock) of the first
# animation frame in which a measure card is laid out and visible. Read in the page, not by polling it from here:
# Playwright sees the card 60-500 ms after the page drew it (its polling round trips compete with the page's scripts).
FIRST_CARD_SCRIPT = """
(() => {
  const look = () => {
    const card = document.querySelector(".measure-card");
    if (card && card.checkVisibility({opacityProperty: true, visibilityProperty: true})) {
      window.__recoverystatFirstCardMs = performance.now();
    } else {
      requestAnimationFrame(look);
    }
  };
  requestAnimationFrame(look);
})();
"""


def browser_figures(base_url: str, timeout_s: float) -> dict:
    """First load of the public page in headless Chromium: transferred bytes, and ms from the start of navigation to
    the first frame with a card visible (`render_ms`, the page's clock; `observed_ms`: when Playwright saw it)."""
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"note": "Playwright not installed"}
    if not os.access(CHROMIUM, os.X_OK):
        return {"note": f"no Chromium at {CHROMIUM}"}
    figures: dict = {"render_ms": None, "observed_ms": None, "bytes": None, "requests": 0}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            page.add_init_script(FIRST_CARD_SCRIPT)
            finished = []
            page.on("requestfinished", lambda request: finished.append(request))
            started = time.perf_counter()
            page.goto(base_url + "/", wait_until="commit", timeout=timeout_s * 1000)
            try:
                page.locator(".measure-card").first.wait_for(state="visible", timeout=timeout_s * 1000)
                figures["observed_ms"] = round((time.perf_counter() - started) * 1000)
                drawn = page.evaluate("window.__recoverystatFirstCardMs")
                figures["render_ms"] = round(drawn) if drawn is not None else None
            except PlaywrightTimeout:
                figures["note"] = f"no card visible after {timeout_s:g} s"
            try:
                page.wait_for_load_state("networkidle", timeout=10_000)
            except PlaywrightTimeout:
                pass
            total = 0
            for request in finished:
                sizes = request.sizes()
                total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
            figures["bytes"] = total
            figures["requests"] = len(finished)
        finally:
            browser.close()
    return figures


# --- the run -----------------------------------------------------------------------------------------------------


def served(args: Namespace, admin_url: str, redis_url: str | None) -> dict:
    """Serve the synthetic data with gunicorn beside the bare route and measure both; every served figure."""
    out: dict = {}
    database = ScratchPostgres(admin_url)
    app_server = bare_server = None
    folder = Path(tempfile.mkdtemp(prefix="recoverystat-served-"))
    try:
        log(f"served data: {build_served_database(database.url, args)}")
        env = {"SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database.url}
        if redis_url:
            env["REDIS_URL"] = redis_url
        app_server = Gunicorn("app:server", env, workers=args.workers)
        app_server.wait("/healthz")
        month = last_complete_month(clock.today()).isoformat()
        slug = published_measure_slug(database.url)
        body, headers = fetch(app_server.url + "/_dash-update-component", public_body(month))
        plain = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
        out["public_callback_bytes"] = {"gzip": len(body), "json": len(plain)}
        saved = {"body_hex": body.hex(), "headers": {k: v for k, v in headers.items()
                                                     if k.lower() in ("content-type", "content-encoding", "vary")}}
        (folder / "response.json").write_text(json.dumps(saved))
        bare_server = Gunicorn("bench_bare:app", {**env, "BENCH_BARE_RESPONSE": str(folder / "response.json")},
                               pythonpath=TESTS, workers=args.workers)
        bare_server.wait("/bare")
        fetch(app_server.url + "/_dash-update-component", measure_body(slug))  # warm, as the overview is
        fetch(app_server.url + "/api/v1/measures")
        fetch(app_server.url + "/")
        load = {"duration": args.duration, "threads": args.threads, "connections": args.connections}
        runs = {
            "public_callback": (app_server.url + "/_dash-update-component", "POST", public_body(month)),
            "measure_callback": (app_server.url + "/_dash-update-component", "POST", measure_body(slug)),
            "api_measures": (app_server.url + "/api/v1/measures", "GET", None),
            "index": (app_server.url + "/", "GET", None),
            "bare_route": (bare_server.url + "/bare", "POST", public_body(month)),
        }
        served_requests = 0
        for name, (url, method, payload) in runs.items():
            figures = wrk(url, method=method, body=payload, **load)
            figures["load"] = load_average()
            out[name] = figures
            if name != "bare_route":
                served_requests += figures["requests"]
            log(f"{name}: {figures}")
        bare_server.stop()
        bare_server = None
        if served_requests < args.rss_requests:  # top up with page views, bounded in time
            extra = wrk(app_server.url + "/_dash-update-component", method="POST", body=public_body(month),
                        duration=args.rss_top_up_s, threads=args.threads, connections=args.connections,
                        limit=args.rss_requests - served_requests)
            served_requests += extra["requests"]
        out["worker_rss_mb"] = app_server.rss_mb()
        out["worker_rss_after_requests"] = served_requests
        if not args.no_browser:
            log("browser: first load of the public page")
            out["browser"] = browser_figures(app_server.url, args.render_timeout)
            out["browser"]["measures"] = args.measures
        out["save_50"] = save_50_values_ms(database.url)
    finally:
        for server in (bare_server, app_server):
            if server is not None:
                server.stop()
        database.drop()
        shutil.rmtree(folder, ignore_errors=True)
    return out


def seed_page_render(loads: int, timeout_s: float) -> dict:
    """The public page on the seed data: gunicorn (`gunicorn.conf.py`) on a freshly migrated and seeded SQLite file;
    navigation to the first visible card in headless Chromium, `loads` times (the first one warms the server)."""
    folder = Path(tempfile.mkdtemp(prefix="recoverystat-seed-"))
    database_url = f"sqlite:///{folder / 'seed.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "RECOVERYSTAT_ENV": "development"}
    flask = str(Path(sys.executable).with_name("flask"))
    server = None
    try:
        for command in (["db", "upgrade"], ["seed"]):
            subprocess.run([flask, "--app", "app", *command], cwd=ROOT, env=env, check=True, capture_output=True)
        server = Gunicorn("app:server", {"SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url})
        server.wait("/healthz")
        runs = [browser_figures(server.url, timeout_s) for _ in range(loads)]
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    times = [run["render_ms"] for run in runs]
    finished = [ms for ms in times if ms is not None]
    return {"render_ms": times, "median_ms": statistics.median(finished) if finished else None,
            "observed_ms": [run["observed_ms"] for run in runs], "bytes": runs[-1].get("bytes")}


def read_path(args: Namespace, admin_url: str | None) -> dict:
    """The existing read-path benchmark (cold / after a write / served) at two sizes, and the months growth."""
    sizes = f"{args.growth_small},{args.measures}"
    common = ["--repeat", str(args.repeat), "--history-months", "12", "--seed", str(args.seed), "--gc-freeze"]
    out: dict = {}
    backends: list = [benchmark.SQLiteBackend()]
    if admin_url:
        backends.append(benchmark.PostgresBackend(admin_url))
    read_args = benchmark.parse_args(["--sizes", sizes, "--months", str(args.months), *common])
    for backend in backends:
        try:
            log(f"read path on {backend.name}: {sizes} measures x {args.months} months")
            out[backend.name] = benchmark.run_backend(backend, read_args)
        finally:
            backend.close()
    short = benchmark.SQLiteBackend()
    try:
        log(f"read path on sqlite: {args.measures} measures x {args.growth_months_small} months")
        months_args = benchmark.parse_args(["--sizes", str(args.measures), "--months",
                                            str(args.growth_months_small), *common])
        out["sqlite_short_history"] = benchmark.run_backend(short, months_args)
    finally:
        short.close()
    return out


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 4) if top is not None and bottom else None


def summarize(args: Namespace, reads: dict, serving: dict | None, imported: tuple | None = None) -> dict:
    """The JSON object of the last line: the issue's keys first, then the detail."""
    large, small = str(args.measures), str(args.growth_small)

    def query(backend: str, size: str, field: str = "p95_ms") -> float | None:
        by_size = reads.get(backend, {}).get(size)
        return max(by_size[a][field] for a in benchmark.AUDIENCES) if by_size else None

    serving = serving or {}
    public = serving.get("public_callback", {}).get("rps")
    bare = serving.get("bare_route", {}).get("rps")
    browser = serving.get("browser", {})
    rss = serving.get("worker_rss_mb") or []
    result = {
        "overview_p95_ms_sqlite": query("sqlite", large),
        "overview_p95_ms_postgres": query("postgresql", large),
        "public_callback_rps": public,
        "bare_route_rps": bare,
        "public_callback_rps_ratio": _ratio(public, bare) if public is not None else None,
        "growth_measures_100_to_1000": _ratio(query("sqlite", large, "median_ms"), query("sqlite", small, "median_ms")),
        "growth_months_24_to_120": _ratio(query("sqlite", large, "median_ms"),
                                          query("sqlite_short_history", large, "median_ms")),
        "public_first_load_gzip_bytes": browser.get("bytes"),
        "save_50_values_ms": (serving.get("save_50") or (None,))[0],
        "import_10000_rows_s": imported[0] if imported else None,
        "worker_rss_mb": max(rss) if rss else None,
        "public_render_ms_1000": browser.get("render_ms") if args.measures == 1000 else None,
        # The seed page (23 cards): the median of five loads, the first one included.
        "public_render_ms_seed": serving.get("seed_page", {}).get("median_ms"),
    }
    result["detail"] = {
        "sizes": {"measures": args.measures, "months": args.months, "departments": args.departments,
                  "growth_from_measures": args.growth_small, "growth_from_months": args.growth_months_small,
                  "quick": args.quick},
        "served": {k: v for k, v in serving.items() if k != "save_50"},
        "save_50": serving.get("save_50"), "import_10000": imported,
        "read_path": reads, "load_average": load_average(), "cpus": os.cpu_count(),
    }
    return result


def table(args: Namespace, summary: dict) -> str:
    """The readable table printed before the JSON line."""
    detail = summary["detail"]
    served_figures = detail["served"]
    lines = [f"RecoveryStat benchmark: {args.measures:,} measures x {args.months} months, {args.departments} "
             f"departments; {os.cpu_count()} CPUs, load average now {detail['load_average']}",
             "", f"served (gunicorn.conf.py, {args.workers} workers; wrk -t{args.threads} -c{args.connections} "
                 f"-d{args.duration:g}s, gzip accepted)",
             f"  {'route':<18} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'requests':>9} {'non-2xx':>8}  load"]
    for name in ("public_callback", "measure_callback", "api_measures", "index", "bare_route"):
        f = served_figures.get(name)
        if f:
            lines.append(f"  {name:<18} {f['rps']:>9.1f} {f['p50_ms']:>9.2f} {f['p99_ms']:>9.2f} "
                         f"{f['requests']:>9,} {f['non_2xx']:>8}  {f['load']}")
    if served_figures.get("public_callback_bytes"):
        b = served_figures["public_callback_bytes"]
        lines.append(f"  public callback response: {b['json']:,} bytes of JSON, {b['gzip']:,} gzip")
    lines.append("")
    lines.append("read path, models.queries.overview() (ms; worst audience)")
    lines.append(f"  {'backend':<11} {'measures':>8} {'months':>6} {'cold p50':>9} {'cold p95':>9} "
                 f"{'write p50':>10} {'write p95':>10} {'served p50':>11} {'served p95':>11}")
    for backend, months in (("sqlite", args.months), ("postgresql", args.months),
                            ("sqlite_short_history", args.growth_months_small)):
        for size, by_audience in detail["read_path"].get(backend, {}).items():
            def worst(field: str, cached: bool = False, figures: dict = by_audience) -> float:
                return max((figures[a].get("cached", {}) if cached else figures[a]).get(field, float("nan"))
                           for a in benchmark.AUDIENCES)
            lines.append(f"  {backend.split('_')[0]:<11} {int(size):>8,} {months:>6} {worst('cold_median_ms'):>9.2f} "
                         f"{worst('cold_p95_ms'):>9.2f} {worst('median_ms'):>10.2f} {worst('p95_ms'):>10.2f} "
                         f"{worst('median_ms', True):>11.2f} {worst('p95_ms', True):>11.2f}")
    lines.append("")
    for key in KEYS:
        lines.append(f"  {key:<32} {summary[key]!s:>12}")
    if detail.get("save_50"):
        lines.append(f"  save 50 values: {detail['save_50'][1]}")
    if detail.get("import_10000"):
        lines.append(f"  import: {detail['import_10000'][1]}")
    browser = served_figures.get("browser")
    if browser:
        lines.append(f"  browser at {browser.get('measures')} measures: {browser}")
    if served_figures.get("seed_page"):
        lines.append(f"  browser on the seed data (five loads): {served_figures['seed_page']}")
    if served_figures.get("worker_rss_mb"):
        lines.append(f"  worker RSS {served_figures['worker_rss_mb']} MB after "
                     f"{served_figures['worker_rss_after_requests']:,} requests")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> Namespace:
    """Command-line options; --quick shrinks every size and duration for a smoke run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (a smoke test, < 3 min)")
    parser.add_argument("--measures", type=int, help="measures served and timed (default 1000; quick 60)")
    parser.add_argument("--months", type=int, help="months of values per measure (default 120; quick 24)")
    parser.add_argument("--departments", type=int, help="departments (default 40; quick 6)")
    parser.add_argument("--growth-small", type=int, help="smaller size for the growth ratio (default 100; quick 20)")
    parser.add_argument("--growth-months-small", type=int, help="shorter history for the growth ratio (default 24; "
                                                                 "quick 12)")
    parser.add_argument("--repeat", type=int, help="timed overview() calls per audience (default 30; quick 5)")
    parser.add_argument("--duration", type=float, help="seconds of wrk per route (default 10; quick 2)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, both servers (default 2)")
    parser.add_argument("--rss-requests", type=int, help="requests served before reading worker RSS "
                                                         "(default 10000; quick 500)")
    parser.add_argument("--rss-top-up-s", type=float, help="at most this long topping up to --rss-requests "
                                                           "(default 60; quick 5)")
    parser.add_argument("--render-timeout", type=float, help="seconds to wait for the first card in Chromium "
                                                             "(default 60; quick 30)")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium figures")
    parser.add_argument("--no-served", action="store_true", help="skip gunicorn, wrk and the browser")
    parser.add_argument("--no-read-path", action="store_true", help="skip the read-path and growth timings")
    parser.add_argument("--import-rows", type=int, default=10_000,
                        help="rows of the import benchmark (default 10000, quick too; import_10000_rows_s is null "
                             "for any other number, whose figures are in the detail)")
    parser.add_argument("--no-import", action="store_true", help="skip the import benchmark")
    parser.add_argument("--seed", type=int, default=2016, help="random seed (default 2016)")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL"),
                        help="admin URL of PostgreSQL (default $TEST_DATABASE_URL); scratch databases are created "
                             "and dropped there")
    args = parser.parse_args(argv)
    defaults = {"measures": (1000, 60), "months": (120, 24), "departments": (40, 6), "growth_small": (100, 20),
                "growth_months_small": (24, 12), "repeat": (30, 5), "duration": (10.0, 2.0),
                "rss_requests": (10_000, 500), "rss_top_up_s": (60.0, 5.0), "render_timeout": (60.0, 30.0)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


def main(argv: list[str] | None = None) -> int:
    """Run everything that can run here; the last line of stdout is the JSON object."""
    args = parse_args(argv)
    log(f"load average at start: {load_average()}")
    reads = {} if args.no_read_path else read_path(args, args.postgres_url)
    serving = None
    if args.no_served:
        log("served figures skipped (--no-served)")
    elif not args.postgres_url:
        log("served figures skipped: set TEST_DATABASE_URL (PostgreSQL admin URL) to serve the app")
    elif shutil.which("wrk") is None:
        log("served figures skipped: wrk is not installed (apt-get install wrk)")
    else:
        serving = served(args, args.postgres_url, os.environ.get("REDIS_URL"))
    if not args.no_browser and not args.quick:
        log("browser: first load of the public page on the seed data")
        serving = {**(serving or {}), "seed_page": seed_page_render(5, args.render_timeout)}
    imported = None
    if args.no_import or not args.postgres_url:
        log("import figures skipped" + (" (--no-import)" if args.no_import else ": set TEST_DATABASE_URL"))
    else:
        log(f"import: {args.import_rows:,} rows through tests/benchmark_import.py")
        imported = import_rows_s(args.postgres_url, args.import_rows)
    summary = summarize(args, reads, serving, imported)
    print(table(args, summary))
    print(json.dumps(summary, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
