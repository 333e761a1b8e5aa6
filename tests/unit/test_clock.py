"""models.clock: one "today" for the app, pinned by the TODAY setting or RECOVERYSTAT_TODAY."""
from __future__ import annotations

import time
from datetime import date

import pytest

from conftest import TEST_TODAY
from models import clock


def test_tests_run_on_the_pinned_day():
    assert clock.today() == date.fromisoformat(TEST_TODAY)


def test_set_today_accepts_a_date_or_iso_text_and_none_falls_back_to_the_environment(monkeypatch):
    clock.set_today(date(2029, 3, 4))
    assert clock.today() == date(2029, 3, 4)
    clock.set_today("2030-01-31")
    assert clock.today() == date(2030, 1, 31)
    monkeypatch.setenv("RECOVERYSTAT_TODAY", "2027-07-07")
    clock.set_today(None)
    assert clock.today() == date(2027, 7, 7)
    monkeypatch.delenv("RECOVERYSTAT_TODAY")
    assert clock.today() == date.fromtimestamp(time.time())  # the machine's own date


def test_a_malformed_setting_names_the_setting_and_the_format(monkeypatch):
    clock.set_today(None)
    monkeypatch.setenv("RECOVERYSTAT_TODAY", "28/11/2026")
    with pytest.raises(ValueError, match="RECOVERYSTAT_TODAY / TODAY must be a date like 2026-11-15"):
        clock.today()
