"""`make serve`'s gunicorn configuration, started for real on a free port against a seeded database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture
def gunicorn(templates, tmp_path):
    """gunicorn with gunicorn.conf.py on a copy of the seeded SQLite database; HOME is a scratch folder."""
    url, cleanup = templates.clone("sqlite", True)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "serve-test-secret", "PORT": str(port),
           "HOST": "127.0.0.1", "HOME": str(tmp_path), "WEB_CONCURRENCY": "1", "GUNICORN_THREADS": "2"}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:server"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield f"http://127.0.0.1:{port}", tmp_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        cleanup()


@pytest.mark.services
def test_the_production_server_answers_and_opens_no_shared_control_socket(gunicorn):
    base, home = gunicorn
    assert wait_for(f"{base}/healthz") == 200
    with urllib.request.urlopen(f"{base}/", timeout=10) as response:
        assert b"RecoveryStat" in response.read()
    # gunicorn 27 would put its control socket at ~/.gunicorn/gunicorn.ctl, shared by every instance of one user.
    assert not (home / ".gunicorn").exists(), list(home.rglob("*"))
