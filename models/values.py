"""Reading a figure the way people type it, for every entry path (form, grid, spreadsheet, API).

One parser, so "12,430" means the same everywhere and nothing is ever silently re-read as another number: a European
"12.430,5" is refused with a message saying how to type it, never stored as 12.4305; a fraction for a whole count is
refused, never rounded. Pure functions, no database.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from models.errors import ValidationError
from models.progress import format_value

# A figure is a number, not an essay: longer text is refused without being echoed back in full.
MAX_FIGURE_LENGTH = 40
# Larger magnitudes are keying errors (no recovery programme counts in quadrillions) and lose float precision.
MAX_MAGNITUDE = 1e15
UNIT_NOUNS = {"households": "households", "days": "days"}
_BIDI_AND_FORMAT = dict.fromkeys(
    [0x200E, 0x200F, 0x061C, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF]
)
_SPACES = "\u00a0\u202f\u2009\u2007 "
_MINUS = "\u2212\u2013"  # the minus sign and an en dash typed for one
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9}
_US_NUMBER = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$|^\.\d+$")
_SPACED_NUMBER = re.compile(r"^\d{1,3}( \d{3})+(\.\d+)?$")
_EUROPEAN = re.compile(r"^\d{1,3}(\.\d{3})*,\d+$|^\d{1,3}(\.\d{3})+$")


@dataclass(frozen=True)
class Figure:
    """A figure as understood: the number to store and how it reads in the measure's unit ("12,430 households")."""

    value: float
    shown: str


def describe(value: float, unit: str, decimals: int) -> str:
    """A value in its unit with the unit's noun where the format lacks one: "12,430 households", "62.5%"."""
    text = format_value(value, unit, decimals)
    noun = UNIT_NOUNS.get(unit)
    return f"{text} {noun}" if noun and not text.endswith(("day", "days")) else text


def parse_figure(raw: Any, *, unit: str = "count", decimals: int | None = None) -> Figure:
    """Read what a person typed for a measure in `unit` with `decimals` places; raise ValidationError saying how to fix it.

    Accepted: "12,430", "1 234", "12430.5", "-3", "45%" (percent measures), "$1.2M" / "$250K" / "1.2 million" (dollar
    measures), Unicode digits such as "١٢". Refused with a message: European separators ("12.430,5"), ambiguous commas
    ("12,5"), exponents, words, a % sign on a measure that is not a percent, more decimals than the measure keeps
    (a count is whole), NaN, infinities and absurdly large numbers.
    """
    if isinstance(raw, bool) or raw is None:
        raise ValidationError("Enter a number.", field="value")
    if isinstance(raw, (int, float)):
        number = float(raw)
        if not math.isfinite(number):
            raise ValidationError("Enter a finite number.", field="value")
    else:
        number = _parse_text(str(raw), unit)
    if abs(number) > MAX_MAGNITUDE:
        raise ValidationError(f"{number:.3g} is far larger than any figure this measure can have. Check the digits "
                              "and type the number again.", field="value")
    if decimals is not None and round(number, decimals) != number:
        raise ValidationError(_too_precise(number, unit, decimals), field="value")
    if number == 0:
        number = 0.0  # never store or show "-0"
    return Figure(number, describe(number, unit, decimals if decimals is not None else _decimals_of(number)))


def _decimals_of(number: float) -> int:
    """How many decimals a number needs to be shown exactly (at most 6)."""
    for places in range(7):
        if round(number, places) == number:
            return places
    return 6


def _too_precise(number: float, unit: str, decimals: int) -> str:
    """Why a value with too many decimals is refused, and what to type instead."""
    rounded = round(number, decimals)
    if decimals == 0:
        kind = {"households": "A count of households", "days": "A number of days", "usd": "A dollar amount"}.get(
            unit, "A count")
        return (f"{kind} is whole here: {number:g} cannot be stored. Type a whole number, e.g. "
                f"{format_value(rounded, unit, 0)}. (If you typed a dot as a thousands separator, leave it out.)")
    return (f"This measure keeps {decimals} decimal{'s' if decimals != 1 else ''}: {number:g} has more. Type it "
            f"rounded, e.g. {format_value(rounded, unit, decimals)}.")


def _parse_text(raw: str, unit: str) -> float:
    """The number in a typed text, or a ValidationError that never repeats more than a short excerpt of it."""
    text = raw.translate(_BIDI_AND_FORMAT).strip()
    if not text:
        raise ValidationError("Enter a number.", field="value")
    if len(text) > MAX_FIGURE_LENGTH:
        raise ValidationError(f"That is {len(text):,} characters, too long for a figure. Type just the number, "
                              "e.g. 12430.", field="value")
    text = "".join(_ascii_digit(c) for c in text)
    for minus in _MINUS:
        text = text.replace(minus, "-")
    sign = 1.0
    if text.startswith("-"):
        sign, text = -1.0, text[1:].strip()
    scale = 1.0
    if text.endswith("%"):
        if unit != "percent":
            raise ValidationError(f"'{raw.strip()}' has a % sign, but this measure is counted in "
                                  f"{_unit_words(unit)}. Type the number only.", field="value")
        text = text[:-1].strip()
    if text.startswith("$"):
        if unit != "usd":
            raise ValidationError(f"'{raw.strip()}' has a $ sign, but this measure is counted in "
                                  f"{_unit_words(unit)}. Type the number only.", field="value")
        text = text[1:].strip()
    if unit == "usd":
        match = re.match(r"^(.*?)\s*([A-Za-z]+)$", text)
        if match and match.group(2).lower() in _SCALES:
            text, scale = match.group(1).strip(), _SCALES[match.group(2).lower()]
    if not text:
        raise ValidationError("Enter a number.", field="value")
    spaced = "".join(" " if c in _SPACES else c for c in text)
    if _SPACED_NUMBER.match(spaced):
        text = spaced.replace(" ", "")
    if _US_NUMBER.match(text):
        return sign * float(text.replace(",", "")) * scale
    if text.lower() in ("nan", "inf", "infinity"):
        raise ValidationError("Enter a finite number.", field="value")
    if re.match(r"^\d+,\d{1,2}$|^\d+,\d{4,}$", text):
        raise ValidationError(f"'{_excerpt(raw)}' is ambiguous: commas separate thousands here. Use a dot for "
                              "decimals (12.5), or write thousands in full (12,500).", field="value")
    if _EUROPEAN.match(text):
        meant = text.replace(".", "").replace(",", ".")
        raise ValidationError(f"'{_excerpt(raw)}' looks like a number written with dots for thousands and a comma "
                              f"for decimals. Here a dot marks decimals and commas (or nothing) separate thousands: "
                              f"if you meant {meant}, type {meant}.", field="value")
    if re.search(r"\d[eE][+-]?\d", text):
        raise ValidationError(f"'{_excerpt(raw)}' is written with an exponent. Type the number in full, e.g. 120000.",
                              field="value")
    raise ValidationError(f"'{_excerpt(raw)}' is not a number. Type digits only, e.g. 12430 or 62.5.", field="value")


def _ascii_digit(character: str) -> str:
    """A Unicode decimal digit (Arabic-Indic, Devanagari, full-width, ...) as its ASCII digit; anything else unchanged."""
    if character.isascii():
        return character
    value = unicodedata.decimal(character, None)
    return str(value) if value is not None else character


def _excerpt(raw: str) -> str:
    """The typed text, shortened for a message."""
    text = raw.strip()
    return text if len(text) <= 20 else text[:17] + "..."


def _unit_words(unit: str) -> str:
    """How a unit reads in a sentence."""
    return {"count": "a plain count", "households": "households", "usd": "dollars", "days": "days",
            "percent": "percent"}.get(unit, unit)
