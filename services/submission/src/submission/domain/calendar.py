"""Working days, office hours and deadlines (docs/submission.md, "Calendar and deadlines"). Pure: no I/O.

A day is a working day unless it is a weekend or a public holiday, with the government's moves: Tết and
the other lunar-calendar holidays, days off substituted for a holiday on a weekend, and the Saturdays
worked to pay back a bridge day off (2025-04-26 worked for 2025-05-02), all from the ``holidays`` library
(``holidays.VN``: ``weekend_workdays``). An administrator adds what the library cannot know yet: a day off
the Prime Minister decides (``days_off``) and an extra working day (``working_days``); those win.

A deadline is counted in the procedure's own unit:

- working days: day 0 is the day the clock starts (that day, or the next working day when it starts on a
  day off or after the optional cut-off); the deadline is the close of the N-th working day after it;
- calendar days and months, as the Civil Code counts (Bộ luật Dân sự 2015, arts. 147-148): the period
  starts the day after the event; a month period ends on the same-numbered day of its last month, or on
  that month's last day when it has none; a period whose last day is a day off ends at the close of the
  next working day;
- working hours: only time within office hours on working days counts.
"""

from __future__ import annotations

import calendar as gregorian
import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from dvckit.vn import ZONE

# The zone of the law's working days; services pass their own (``ServiceSettings.zone``), this by default.
VN = ZONE
# Office hours of the one-stop service (morning and afternoon; Hải Phòng's offices: 07:30-11:30, 13:30-17:00).
OFFICE: tuple[tuple[time, time], ...] = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
UNITS = ("working_day", "day", "month", "hour")


@cache
def _library(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("VN", years=year)


@cache
def _names(year: int, language: str) -> dict[date, str]:
    return dict(holidays.country_holidays("VN", years=year, language=language).items())


def holidays_of(year: int) -> list[dict[str, str]]:
    """The library's days off of a year (public holidays and substituted days), named in Vietnamese and
    English."""
    vi, en = _names(year, "vi"), _names(year, "en_US")
    return [{"date": d.isoformat(), "name": vi[d], "name_en": en.get(d, vi[d])} for d in sorted(vi)]


def weekend_workdays_of(year: int) -> list[str]:
    """The Saturdays (or Sundays) the government made working days that year, from the library."""
    return sorted(d.isoformat() for d in _library(year).weekend_workdays if d.year == year)


def parse_hours(text: str) -> tuple[tuple[time, time], ...]:
    """``"07:30-11:30,13:30-17:00"`` → office spans, in order, not overlapping (ValueError otherwise)."""
    spans: list[tuple[time, time]] = []
    for part in text.split(","):
        start, _, end = part.strip().partition("-")
        a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
        if not a < b or (spans and a < spans[-1][1]):
            raise ValueError(f"office hours must be increasing, non-overlapping spans: {text!r}")
        spans.append((a, b))
    if not spans:
        raise ValueError("office hours: at least one span")
    return tuple(spans)


@dataclass(frozen=True)
class Duration:
    """A processing time: ``value`` of ``unit`` (``working_day``, ``day``, ``month``, ``hour``)."""

    value: float
    unit: str = "working_day"


@dataclass(frozen=True)
class Due:
    """A deadline, and whether it came from the configured default (the procedure states no time)."""

    at: datetime
    defaulted: bool = False


@dataclass(frozen=True)
class Calendar:
    """Working days and office hours with an administrator's overrides; every deadline is computed here."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    office: tuple[tuple[time, time], ...] = OFFICE
    # Accepted at or after this on a working day, a working-day count starts the next working day. Off
    # (None) unless configured: no general rule is known (docs/submission.md).
    cutoff: time | None = None
    zone: ZoneInfo = ZONE
    reception_hours: float = 8.0  # the reception due time, in working hours from filing
    default_days: int = 10  # working days, for a procedure that states no processing time
    _memo: dict[date, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def closing(self) -> time:
        """The close of a working day: an appointment in days is for this time."""
        return self.office[-1][1]

    # -- days ----------------------------------------------------------------------------------------------
    def is_working_day(self, d: date) -> bool:
        hit = self._memo.get(d)
        if hit is None:
            if d in self.days_off:
                hit = False
            elif d in self.working_days:
                hit = True
            else:
                hit = _library(d.year).is_working_day(d)  # weekends, holidays and weekend workdays
            self._memo[d] = hit
        return hit

    def next_working_day(self, d: date) -> date:
        d += timedelta(days=1)
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def on_or_after(self, d: date) -> date:
        """``d`` if it is a working day, else the next working day."""
        return d if self.is_working_day(d) else self.next_working_day(d)

    def add_working_days(self, d: date, n: int) -> date:
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        n, d = 0, start
        while d < end:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n += 1
        return n

    def close_of(self, d: date) -> datetime:
        return datetime.combine(d, self.closing, tzinfo=self.zone)

    def clock_start(self, at: datetime) -> date:
        """Day 0 of a working-day count: the day itself, or the next working day when it is a day off (or
        past the cut-off, when one is set)."""
        local = at.astimezone(self.zone)
        day = local.date()
        if self.is_working_day(day) and (self.cutoff is None or local.time() < self.cutoff):
            return day
        return self.next_working_day(day)

    # -- deadlines -----------------------------------------------------------------------------------------
    def due(self, start: datetime, d: Duration) -> datetime:
        """The deadline of a period of ``d`` that starts at ``start`` (an acceptance, a filing)."""
        if d.unit == "hour":
            return self.add_working_time(start, timedelta(hours=max(0.0, d.value)))
        n = max(0, math.ceil(d.value))  # a fraction of a day is the whole day it starts
        if d.unit == "working_day":
            return self.close_of(self.add_working_days(self.clock_start(start), n))
        event = start.astimezone(self.zone).date()
        if d.unit == "day":
            last = event + timedelta(days=n)
        elif d.unit == "month":
            last = add_months(event, n)
        else:
            raise ValueError(f"unknown unit {d.unit!r}")
        return self.close_of(self.on_or_after(last))  # the last day off: the next working day's close

    def processing(self, accepted_at: datetime, d: Duration | None) -> Due:
        """The appointment: the procedure's time from acceptance, or the default when it states none."""
        if d is None or d.value <= 0:
            return Due(self.due(accepted_at, Duration(self.default_days)), defaulted=True)
        return Due(self.due(accepted_at, d))

    def reception(self, submitted_at: datetime) -> datetime:
        """When a filed dossier must be accepted or refused: ``reception_hours`` working hours on."""
        return self.due(submitted_at, Duration(self.reception_hours, "hour"))

    # -- working hours -------------------------------------------------------------------------------------
    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (datetime.combine(day, a, tzinfo=self.zone), datetime.combine(day, b, tzinfo=self.zone))
            for a, b in self.office
        ]

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """``start`` plus ``amount`` of office time on working days (outside office hours the count waits
        for the next opening; an amount that ends exactly at a close ends then, not at the next opening)."""
        at = start.astimezone(self.zone)
        left = amount
        day = at.date()
        for _ in range(3660):  # ten years of days: a bound, never reached by a real deadline
            for a, b in self._spans(day):
                if b <= at:
                    continue
                begin = max(a, at)
                if begin + left <= b:
                    return begin + left
                left -= b - begin
            day += timedelta(days=1)
            at = datetime.combine(day, time(0), tzinfo=self.zone)
        raise ValueError("working time too long")

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time on working days between two instants (0 when end <= start)."""
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta()
        day = a.date()
        while day <= b.date():
            for s, e in self._spans(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    # -- pauses --------------------------------------------------------------------------------------------
    def shift(
        self, due_at: datetime, paused_from: datetime, resumed_at: datetime, *, hours: bool = False
    ) -> datetime:
        """The deadline once the clock stood still (a supplement, a payment): later by the working days lost,
        or by the office time lost for a deadline in working hours."""
        if hours:
            return self.add_working_time(due_at, self.working_time_between(paused_from, resumed_at))
        z = self.zone
        lost = self.working_days_between(paused_from.astimezone(z).date(), resumed_at.astimezone(z).date())
        return self.close_of(self.add_working_days(due_at.astimezone(z).date(), lost))

    def state(self, due_at: datetime | None, now: datetime, *, done: bool = False) -> dict[str, object]:
        """On time, due soon (this or the next working day) or overdue, with the working days left."""
        if due_at is None:
            return {"state": None, "working_days_left": None}
        if done:
            return {"state": "done", "working_days_left": None}
        today = now.astimezone(self.zone).date()
        due = due_at.astimezone(self.zone).date()
        if now > due_at:
            return {"state": "overdue", "working_days_left": -self.working_days_between(due, today)}
        left = self.working_days_between(today, due)
        return {"state": "due_soon" if left <= 1 else "on_time", "working_days_left": left}


def add_months(d: date, n: int) -> date:
    """The same-numbered day ``n`` months on, or that month's last day when it has none (31/1 + 1: 28/2)."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, gregorian.monthrange(year, month)[1]))


def duration_of(value: float | None, unit: str | None) -> Duration | None:
    """A procedure's processing time as the catalogue publishes it; None when it states none (or a unit
    this service does not know, which then gets the default and is flagged)."""
    if value is None or value <= 0 or unit not in UNITS:
        return None
    return Duration(float(value), unit)


DEFAULT = Calendar()


# -- an administrator's overrides of a year ------------------------------------------------------------------
YEARS = (2000, 2100)  # a calendar outside these is a typing error, not a plan


def check_overrides(year: int, days_off: list[date], working_days: list[date]) -> list[dict[str, str]]:
    """What is wrong with a year's overrides (empty: nothing): the year in range, each date in that year,
    none both a day off and a working day. Each error names its field, in Vietnamese and in English."""
    errors: list[dict[str, str]] = []

    def wrong(where: str, vi: str, en: str) -> None:
        errors.append({"field": where, "message": vi, "message_en": en})

    lo, hi = YEARS
    if not lo <= year <= hi:
        wrong("year", f"Năm phải từ {lo} đến {hi}", f"The year must be between {lo} and {hi}")
    for name, days in (("days_off", days_off), ("working_days", working_days)):
        for i, d in enumerate(days):
            if d.year != year:
                wrong(f"{name}.{i}", f"Ngày {d} không thuộc năm {year}", f"{d} is not in {year}")
    for d in sorted(set(days_off) & set(working_days)):
        wrong(
            "working_days", f"Ngày {d} vừa là ngày nghỉ vừa là ngày làm việc", f"{d} is both off and worked"
        )
    return errors
