"""Deadlines in working days (docs/architecture.md §7). Pure: no I/O.

Weekends and Vietnamese public holidays (Tết and the other lunar-calendar holidays, and the days off the
government substitutes) do not count; they come from the `holidays` library. A dossier accepted on a
working day before 15:00 starts counting that day; later, or on a day off, it starts on the next working
day. The appointment is the end of the N-th working day after that start.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from dvckit.vn import ZONE

# The zone of the law's working days; services pass their own (``ServiceSettings.zone``), this by default.
VN = ZONE
CUTOFF = time(15, 0)  # accepted after this, the clock starts the next working day
CLOSING = time(17, 0)  # an appointment is for the end of the working day


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


def is_working_day(d: date) -> bool:
    return d.weekday() < 5 and d not in _holidays(d.year)


def next_working_day(d: date) -> date:
    d += timedelta(days=1)
    while not is_working_day(d):
        d += timedelta(days=1)
    return d


def add_working_days(d: date, n: int) -> date:
    for _ in range(n):
        d = next_working_day(d)
    return d


def clock_start(accepted_at: datetime, zone: ZoneInfo = ZONE) -> date:
    """Day 0 of the count: the acceptance day, or the next working day when accepted late or off."""
    local = accepted_at.astimezone(zone)
    day = local.date()
    if is_working_day(day) and local.time() < CUTOFF:
        return day
    return next_working_day(day)


def appointment(accepted_at: datetime, working_days: int, zone: ZoneInfo = ZONE) -> datetime:
    """When the result is due: the end of the N-th working day after the clock starts."""
    due = add_working_days(clock_start(accepted_at, zone), max(0, working_days))
    return datetime.combine(due, CLOSING, tzinfo=zone)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        if is_working_day(d):
            n += 1
    return n


def shift(
    appointment_at: datetime, paused_from: datetime, resumed_at: datetime, zone: ZoneInfo = ZONE
) -> datetime:
    """Move an appointment by the working days a supplement request paused the clock."""
    lost = working_days_between(paused_from.astimezone(zone).date(), resumed_at.astimezone(zone).date())
    due = add_working_days(appointment_at.astimezone(zone).date(), lost)
    return datetime.combine(due, CLOSING, tzinfo=zone)


def deadline_state(
    appointment_at: datetime | None, now: datetime, *, done: bool = False, zone: ZoneInfo = ZONE
) -> dict[str, object]:
    """On time, due soon (this or the next working day) or overdue, with the working days left."""
    if appointment_at is None:
        return {"state": None, "working_days_left": None}
    today = now.astimezone(zone).date()
    due = appointment_at.astimezone(zone).date()
    if done:
        return {"state": "done", "working_days_left": None}
    if now > appointment_at:
        return {"state": "overdue", "working_days_left": -working_days_between(due, today)}
    left = working_days_between(today, due)
    return {"state": "due_soon" if left <= 1 else "on_time", "working_days_left": left}
