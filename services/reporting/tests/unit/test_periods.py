"""Reporting periods (domain, pure)."""

from __future__ import annotations

from datetime import date

from reporting.domain.periods import last_months


def test_the_last_months_end_with_todays_oldest_first_across_a_year():
    assert last_months(date(2026, 2, 28), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert last_months(date(2026, 12, 1), 1) == ["2026-12"]
