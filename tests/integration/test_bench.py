"""`make bench --quick` runs end to end and its last line is the JSON object issue 10 names (never a timing)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from bench_served import KEYS  # noqa: E402

# Smaller than --quick itself, so the smoke run stays well inside the suite's time; the browser figures are the
# e2e suite's business and are left out here.
SMOKE = ["--quick", "--measures", "20", "--months", "12", "--departments", "4", "--growth-small", "10",
         "--growth-months-small", "6", "--repeat", "2", "--duration", "1", "--rss-requests", "20",
         "--rss-top-up-s", "1", "--no-browser", "--import-rows", "200"]


@pytest.mark.services
def test_the_benchmark_runs_and_ends_with_the_json_line():
    required = os.environ.get("REQUIRE_POSTGRES") == "1"
    if not os.environ.get("TEST_DATABASE_URL"):
        skip_or_fail("the served benchmark needs PostgreSQL (TEST_DATABASE_URL)", required)
    if shutil.which("wrk") is None:
        skip_or_fail("the served benchmark needs wrk (apt-get install wrk)", required)
    completed = subprocess.run([sys.executable, str(ROOT / "tests" / "bench_served.py"), *SMOKE], cwd=ROOT,
                               capture_output=True, text=True, timeout=240)
    assert completed.returncode == 0, completed.stderr[-3000:]
    last = completed.stdout.strip().splitlines()[-1]
    figures = json.loads(last)
    assert list(figures)[:len(KEYS)] == list(KEYS)
    # The served part ran (wrk answered for both servers), so those figures are numbers, not null.
    for key in ("public_callback_rps", "bare_route_rps", "public_callback_rps_ratio", "worker_rss_mb",
                "save_50_values_ms", "overview_p95_ms_sqlite", "overview_p95_ms_postgres"):
        assert isinstance(figures[key], int | float), (key, figures[key])
    # Another number of rows than 10,000: the key stays null and the detail says what was measured.
    assert figures["import_10000_rows_s"] is None
    seconds, _, imported = figures["detail"]["import_10000"]
    assert seconds is None and imported["rows"] == 200 and isinstance(imported["apply"], int | float)
    served = figures["detail"]["served"]
    assert served["public_callback"]["non_2xx"] == 0 and served["bare_route"]["non_2xx"] == 0
    assert set(served) >= {"public_callback", "measure_callback", "api_measures", "index", "bare_route"}
