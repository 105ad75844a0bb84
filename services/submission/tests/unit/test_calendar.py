"""Deadlines in working days on real Vietnamese calendar cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from submission.domain.calendar import (
    VN,
    add_working_days,
    appointment,
    clock_start,
    deadline_state,
    is_working_day,
    next_working_day,
    shift,
    working_days_between,
)


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


# -- exact boundaries ------------------------------------------------------------------------------------
# Late November 2026: Tuesday 24/11 is a day off (Vietnam Cultural Day); no other holiday up to 11/12.


@pytest.mark.parametrize(
    ("hh", "mm", "start"),
    [
        (14, 30, date(2026, 11, 26)),  # before the cut-off: the day itself
        (14, 59, date(2026, 11, 26)),
        (15, 0, date(2026, 11, 27)),  # at 15:00 exactly it is already late
        (15, 30, date(2026, 11, 27)),
        (16, 30, date(2026, 11, 27)),
    ],
)
def test_the_clock_starts_the_same_day_only_before_15_00(hh, mm, start):
    assert clock_start(at(2026, 11, 26, hh, mm)) == start  # a Thursday


def test_the_cut_off_is_read_on_vietnam_time_whatever_the_offset_given():
    assert clock_start(datetime(2026, 11, 26, 7, 59, tzinfo=UTC)) == date(2026, 11, 26)  # 14:59 in Vietnam
    assert clock_start(datetime(2026, 11, 26, 8, 0, tzinfo=UTC)) == date(2026, 11, 27)  # 15:00 in Vietnam
    # 23:30 on Wednesday in UTC is Thursday 06:30 in Vietnam: Thursday starts the count.
    assert clock_start(datetime(2026, 11, 25, 23, 30, tzinfo=UTC)) == date(2026, 11, 26)


def test_accepted_on_a_day_off_starts_on_the_next_working_day_even_in_the_morning():
    assert clock_start(at(2026, 11, 28, 8)) == date(2026, 11, 30)  # Saturday → Monday
    assert clock_start(at(2026, 9, 2, 8)) == date(2026, 9, 3)  # National Day → Thursday


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 24), False),  # Vietnam Cultural Day
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2027, 2, 8), False),  # Tết, a Monday
    ],
)
def test_working_days_are_monday_to_friday_except_holidays(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "after"),
    [
        (date(2026, 11, 25), date(2026, 11, 26)),  # Wednesday → Thursday
        (date(2026, 11, 27), date(2026, 11, 30)),  # Friday → Monday
        (date(2026, 11, 28), date(2026, 11, 30)),  # Saturday → Monday
        (date(2026, 8, 28), date(2026, 9, 3)),  # Friday → Thursday after 31/8, 1/9 and 2/9
    ],
)
def test_the_next_working_day_skips_weekends_and_holidays(day, after):
    assert next_working_day(day) == after


def test_adding_working_days_counts_only_working_days():
    assert add_working_days(date(2026, 11, 26), 0) == date(2026, 11, 26)
    assert add_working_days(date(2026, 11, 26), 1) == date(2026, 11, 27)
    assert add_working_days(date(2026, 11, 26), 2) == date(2026, 11, 30)
    assert add_working_days(date(2026, 11, 26), 5) == date(2026, 12, 3)


def test_a_deadline_of_zero_working_days_is_the_end_of_the_first_counted_day():
    assert appointment(at(2026, 11, 26, 10), 0) == datetime(2026, 11, 26, 17, 0, tzinfo=VN)
    assert appointment(at(2026, 11, 26, 15, 0), 0) == datetime(2026, 11, 27, 17, 0, tzinfo=VN)


def test_a_negative_number_of_working_days_counts_as_zero():
    assert appointment(at(2026, 11, 26, 10), -3) == appointment(at(2026, 11, 26, 10), 0)


def test_the_appointment_is_17_00_vietnam_time():
    a = appointment(datetime(2026, 11, 26, 2, 0, tzinfo=UTC), 1)  # 09:00 in Vietnam, Thursday
    assert a == datetime(2026, 11, 27, 17, 0, tzinfo=VN)
    assert a.tzinfo == VN and (a.hour, a.minute, a.second) == (17, 0, 0)


@pytest.mark.parametrize(
    ("start", "end", "n"),
    [
        (date(2026, 11, 23), date(2026, 11, 23), 0),  # the same day
        (date(2026, 11, 27), date(2026, 11, 23), 0),  # end before start
        (date(2026, 11, 25), date(2026, 11, 26), 1),  # the end day counts, the start day does not
        (date(2026, 11, 23), date(2026, 11, 27), 3),  # 24/11 is off
        (date(2026, 11, 30), date(2026, 12, 4), 4),
        (date(2026, 11, 27), date(2026, 11, 30), 1),  # the weekend between does not count
        (date(2026, 11, 27), date(2026, 11, 29), 0),  # ending on a Sunday
        (date(2026, 8, 28), date(2026, 9, 3), 1),  # 31/8, 1/9, 2/9 off
    ],
)
def test_working_days_between_two_dates(start, end, n):
    assert working_days_between(start, end) == n


def test_a_pause_within_the_same_day_moves_nothing():
    base = appointment(at(2026, 11, 30, 9), 3)  # Thursday 3 December
    moved = shift(base, at(2026, 12, 1, 9), at(2026, 12, 1, 16))
    assert moved == base == datetime(2026, 12, 3, 17, 0, tzinfo=VN)


def test_a_pause_over_a_weekend_moves_the_appointment_by_its_working_days_only():
    base = appointment(at(2026, 11, 30, 9), 3)  # Thursday 3 December
    # Paused Friday 4/12, resumed Monday 7/12: Monday is the one working day lost.
    assert shift(base, at(2026, 12, 4, 9), at(2026, 12, 7, 9)) == datetime(2026, 12, 4, 17, 0, tzinfo=VN)


def test_the_paused_dates_are_read_on_vietnam_time():
    base = appointment(at(2026, 11, 30, 9), 3)  # Thursday 3 December
    # 17:30 UTC on Monday is already Tuesday in Vietnam; 16:00 UTC on Tuesday is 23:00 Tuesday: no day lost.
    paused = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    resumed = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert shift(base, paused, resumed) == base


# Appointment: Thursday 3 December 2026, 17:00.
APPOINTMENT = datetime(2026, 12, 3, 17, 0, tzinfo=VN)


@pytest.mark.parametrize(
    ("now", "state", "left"),
    [
        (at(2026, 11, 27, 9), "on_time", 4),
        (at(2026, 12, 1, 9), "on_time", 2),  # two working days left is not yet "due soon"
        (at(2026, 12, 2, 9), "due_soon", 1),  # the next working day
        (at(2026, 12, 3, 9), "due_soon", 0),  # the day itself
        (at(2026, 12, 3, 17, 0), "due_soon", 0),  # 17:00 exactly is still on time
        (at(2026, 12, 3, 17, 1), "overdue", 0),
        (at(2026, 12, 4, 9), "overdue", -1),
        (at(2026, 12, 7, 9), "overdue", -2),  # the weekend does not count
    ],
)
def test_deadline_state_boundaries(now, state, left):
    assert deadline_state(APPOINTMENT, now) == {"state": state, "working_days_left": left}


def test_a_dossier_without_an_appointment_has_no_deadline_state():
    assert deadline_state(None, at(2026, 12, 1)) == {"state": None, "working_days_left": None}


def test_a_done_dossier_is_done_even_when_its_appointment_has_passed():
    assert deadline_state(APPOINTMENT, at(2026, 12, 9), done=True) == {
        "state": "done",
        "working_days_left": None,
    }
    assert deadline_state(APPOINTMENT, at(2026, 12, 1), done=True)["state"] == "done"


def test_deadline_days_are_counted_on_vietnam_dates():
    # 20:00 UTC on Tuesday 1 December is 03:00 Wednesday in Vietnam: one working day left, not two.
    now = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)
    assert deadline_state(APPOINTMENT, now) == {"state": "due_soon", "working_days_left": 1}
