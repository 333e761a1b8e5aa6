"""The bare Flask app `make bench` serves beside RecoveryStat: one route answering pre-built response bytes.

The benchmark writes the public data callback's response (body and headers, gzip-compressed as the app sent it)
to the file named by BENCH_BARE_RESPONSE and serves this module with the same gunicorn configuration, so the
difference between the two is the application's own work per request.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response

_saved = json.loads(Path(os.environ["BENCH_BARE_RESPONSE"]).read_text())
BODY = bytes.fromhex(_saved["body_hex"])
HEADERS = dict(_saved["headers"])

app = Flask(__name__)


@app.route("/bare", methods=["GET", "POST"])
def bare() -> Response:
    """The pre-built bytes, with the headers the application sent them with."""
    return Response(BODY, status=200, headers=HEADERS)
