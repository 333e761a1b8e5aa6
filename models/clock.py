"""The app's one notion of "today": every rule that depends on the date asks here.

By default it is the machine's date. `RECOVERYSTAT_TODAY=YYYY-MM-DD` in the environment (or the `TODAY` setting,
which the app passes to `set_today`) pins it, so tests, demos and screenshots judge data the same way whatever day
they run on.
"""
from __future__ import annotations

import os
from datetime import date

_pinned: date | None = None


def parse_day(text: str) -> date:
    """A day from ISO text ("2026-11-15"), with a message naming the setting when it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"RECOVERYSTAT_TODAY / TODAY must be a date like 2026-11-15, not {text!r}") from None


def today() -> date:
    """Today's date as the app judges it: the pinned day when one is set, else the machine's date."""
    if _pinned is not None:
        return _pinned
    configured = os.environ.get("RECOVERYSTAT_TODAY")
    return parse_day(configured) if configured else date.today()


def set_today(day: date | str | None) -> None:
    """Pin "today" to `day` (a date or ISO text); None goes back to the environment or the machine's date."""
    global _pinned
    _pinned = parse_day(day) if isinstance(day, str) else day
