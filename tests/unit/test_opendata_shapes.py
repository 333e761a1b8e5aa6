"""Pure pieces of the open-data files: CSV numbers, the catalog's temporal interval, the embed snippet."""
from __future__ import annotations

from datetime import date

from api.catalog import _temporal
from api.opendata import csv_number
from layouts._opendata import embed_snippet


def test_csv_numbers_are_plain_digits_that_keep_their_value():
    assert csv_number(12430.0) == "12430"
    assert csv_number(-5.0) == "-5"
    assert csv_number(62.5) == "62.5"
    assert csv_number(0.1 + 0.2) == repr(0.1 + 0.2)  # exact, not rounded
    assert float(csv_number(1.2e20)) == 1.2e20


def test_temporal_runs_from_the_first_day_of_the_first_month_to_the_last_day_of_the_last():
    assert _temporal(date(2017, 4, 1), date(2026, 10, 1)) == "2017-04-01/2026-10-31"
    assert _temporal(date(2024, 2, 1), date(2024, 2, 1)) == "2024-02-01/2024-02-29"
    assert _temporal(date(2025, 12, 1), date(2025, 12, 1)) == "2025-12-01/2025-12-31"
    assert _temporal(None, date(2025, 12, 1)) is None


def test_embed_snippet_points_at_the_embed_and_has_a_title():
    code = embed_snippet("https://stat.example", "ocd-rental-units-repaired")
    assert code.startswith('<iframe src="https://stat.example/embed/measures/ocd-rental-units-repaired"')
    assert 'title="' in code and code.endswith("</iframe>")
