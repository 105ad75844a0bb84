"""Reporting periods: the calendar months a figure is given for, in local (Asia/Ho_Chi_Minh) days."""

from __future__ import annotations

from datetime import date


def last_months(today: date, n: int) -> list[str]:
    """The ``n`` calendar months up to and including ``today``'s, oldest first, as ``YYYY-MM``."""
    if n < 1:
        raise ValueError("at least one month")
    index = today.year * 12 + today.month - 1  # months since year 0: steps across years without a calendar
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - n + 1, index + 1)]
