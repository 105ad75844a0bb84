"""Deadlines in working days on real Vietnamese calendar cases."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from submission.domain.calendar import VN, appointment, deadline_state, is_working_day, shift


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


def due(accepted: datetime, days: int) -> date:
    return appointment(accepted, days).date()


def test_holidays_come_from_the_library():
    assert not is_working_day(date(2027, 2, 8))  # Tết (3rd day of the lunar new year)
    assert not is_working_day(date(2026, 4, 30)) and not is_working_day(date(2026, 5, 1))
    assert not is_working_day(date(2026, 9, 2)) and not is_working_day(
        date(2026, 8, 31)
    )  # substituted day off
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert is_working_day(date(2026, 11, 27))


def test_accepted_just_before_tet():
    # Tết 2027: 4–10 February off. Accepted Wednesday 3 February, 3 working days.
    assert due(at(2027, 2, 3, 10), 3) == date(2027, 2, 15)
    # Tết 2026: 16–20 February off. Accepted Friday 13 February, 2 working days.
    assert due(at(2026, 2, 13, 9), 2) == date(2026, 2, 24)


def test_friday_after_three_pm_starts_on_monday():
    assert due(at(2026, 11, 27, 16, 5), 3) == date(2026, 12, 3)  # starts Monday 30/11
    assert due(at(2026, 11, 27, 14, 59), 3) == date(2026, 12, 2)  # starts Friday itself
    assert due(at(2026, 11, 28, 9), 1) == date(2026, 12, 1)  # accepted on a Saturday


def test_across_30_april_and_1_may():
    assert due(at(2026, 4, 29, 10), 2) == date(2026, 5, 5)


def test_across_2_september():
    assert due(at(2026, 8, 28, 10), 1) == date(2026, 9, 3)  # 31/8 (substituted), 1/9 and 2/9 off


def test_appointment_is_the_end_of_the_working_day_in_vietnam():
    a = appointment(at(2026, 11, 27, 16, 5), 3)
    assert (a.hour, a.minute) == (17, 0) and a.utcoffset().total_seconds() == 7 * 3600


def test_supplement_time_is_not_counted():
    base = appointment(at(2026, 11, 27, 16, 5), 3)  # Thursday 3 December
    moved = shift(base, at(2026, 11, 30, 9), at(2026, 12, 2, 11))  # paused Mon, back Wed: 2 working days
    assert moved.date() == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("now", "state", "left"),
    [
        (at(2026, 11, 30, 9), "on_time", 3),
        (at(2026, 12, 2, 9), "due_soon", 1),
        (at(2026, 12, 3, 16), "due_soon", 0),
        (at(2026, 12, 4, 9), "overdue", -1),
    ],
)
def test_deadline_states(now, state, left):
    a = appointment(at(2026, 11, 27, 16, 5), 3)
    assert deadline_state(a, now) == {"state": state, "working_days_left": left}
