"""models.values.parse_figure: one reading of typed figures for every entry path, never a silent re-reading."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ValidationError
from models.values import MAX_FIGURE_LENGTH, parse_figure

# raw, unit, decimals, expected value (float) or a phrase the refusal must contain
TABLE = [
    ("12,430", "households", 0, 12430.0),
    ("12.430,5", "count", 0, "if you meant 12430.5, type 12430.5"),
    ("1.234.567", "count", 0, "if you meant 1234567, type 1234567"),
    ("1 234", "count", 0, 1234.0),
    ("1\u00a0234", "count", 0, 1234.0),
    ("1\u202f234", "count", 0, 1234.0),
    ("45%", "percent", 1, 45.0),
    ("45 %", "percent", 1, 45.0),
    ("45%", "count", 0, "has a % sign"),
    ("$1.2M", "usd", 0, 1_200_000.0),
    ("$250K", "usd", 0, 250_000.0),
    ("1.2 million", "usd", 0, 1_200_000.0),
    ("$1,250,000", "usd", 0, 1_250_000.0),
    ("$12", "count", 0, "has a $ sign"),
    ("12.7", "households", 0, "is whole here"),
    ("62.55", "percent", 1, "keeps 1 decimal"),
    ("١٢", "count", 0, 12.0),
    ("\u200f١٢٣\u200f", "count", 0, 123.0),
    ("１２", "count", 0, 12.0),
    ("12,5", "count", 0, "is ambiguous"),
    ("1e5", "count", 0, "exponent"),
    ("nan", "count", 0, "Enter a finite number"),
    ("12 homes", "count", 0, "is not a number"),
    ("−3", "count", 0, -3.0),
    ("-0", "count", 0, 0.0),
    ("9" * 20, "count", 0, "far larger"),
    ("", "count", 0, "Enter a number"),
]


@pytest.mark.parametrize(("raw", "unit", "decimals", "expected"), TABLE)
def test_the_table_of_typed_figures(raw, unit, decimals, expected):
    if isinstance(expected, float):
        figure = parse_figure(raw, unit=unit, decimals=decimals)
        assert figure.value == expected and type(figure.value) is float
        assert str(figure.value) != "-0.0"
    else:
        with pytest.raises(ValidationError) as caught:
            parse_figure(raw, unit=unit, decimals=decimals)
        assert expected in caught.value.message
        assert caught.value.field == "value"


def test_what_was_understood_reads_in_the_unit():
    assert parse_figure("12,430", unit="households", decimals=0).shown == "12,430 households"
    assert parse_figure("45%", unit="percent", decimals=1).shown == "45.0%"
    assert parse_figure("$1.2M", unit="usd", decimals=0).shown == "$1.2M"
    assert parse_figure("33", unit="days", decimals=0).shown == "33 days"


def test_a_european_number_is_never_stored_as_a_smaller_one():
    with pytest.raises(ValidationError) as caught:
        parse_figure("12.430,5", unit="count", decimals=1)
    assert "12.4305" not in caught.value.message


def test_a_long_input_is_refused_without_being_echoed():
    text = "1" * 10_000
    with pytest.raises(ValidationError) as caught:
        parse_figure(text)
    assert "10,000 characters" in caught.value.message
    assert len(caught.value.message) < 200
    with pytest.raises(ValidationError) as caught:
        parse_figure("x" * (MAX_FIGURE_LENGTH - 1))
    assert len(caught.value.message) < 200


@given(st.text(max_size=60))
def test_any_text_is_a_number_or_a_message_never_a_crash(text):
    try:
        figure = parse_figure(text, unit="count", decimals=0)
    except ValidationError as error:
        assert error.message and len(error.message) < 400
    else:
        assert figure.value == int(figure.value)


@given(st.integers(min_value=0, max_value=10**12))
def test_a_whole_number_written_with_commas_reads_back_exactly(number):
    assert parse_figure(f"{number:,}", unit="count", decimals=0).value == number
