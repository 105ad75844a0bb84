"""Periods: inclusive local days, checked, and cut into the counters' rows (pure).

A period reads whole months from the month rows and the ragged ends from the day rows, so a year for
the whole city is twelve documents, and 15 January – 31 December is 17 day rows and 11 month rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

MAX_SPAN_DAYS = 3 * 366  # "no more than three years"


class BadPeriod(ValueError):
    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def reaches(self, today: date) -> bool:
        return self.end >= today


def parse_day(text: str | None, name: str) -> date | None:
    if text is None or text == "":
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadPeriod(
            f"'{name}' phải là một ngày dạng YYYY-MM-DD", f"'{name}' must be a date, YYYY-MM-DD"
        ) from None


def period(start: str | None, end: str | None, today: date) -> Period:
    """``from``/``to`` as given (either may be missing: the current month to today)."""
    s, e = parse_day(start, "from"), parse_day(end, "to")
    if s is None and e is None:
        s, e = today.replace(day=1), today
    elif s is None:
        assert e is not None
        s = e.replace(day=1)
    elif e is None:
        e = today if s <= today else s
    if s > e:
        raise BadPeriod("'from' phải trước hoặc bằng 'to'", "'from' must not be after 'to'")
    p = Period(s, e)
    if p.days > MAX_SPAN_DAYS:
        raise BadPeriod("Khoảng thời gian không được quá 3 năm", "The period must not exceed 3 years")
    return p


def month_end(d: date) -> date:
    nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)


def pieces(p: Period) -> tuple[list[str], list[str]]:
    """The period as (day rows, month rows): whole months by month, the ragged ends day by day."""
    days: list[str] = []
    months: list[str] = []
    d = p.start
    while d <= p.end:
        end = month_end(d)
        if d.day == 1 and end <= p.end:
            months.append(d.isoformat()[:7])
            d = end + timedelta(days=1)
        else:
            stop = min(end, p.end)
            while d <= stop:
                days.append(d.isoformat())
                d += timedelta(days=1)
    return days, months


def last_months(today: date, n: int) -> list[str]:
    """The ``n`` months up to and including today's, oldest first (``2026-07``)."""
    out: list[str] = []
    y, m = today.year, today.month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


def month_period(month: str) -> Period:
    """A whole month (its row; the current month's row holds what happened so far)."""
    start = date.fromisoformat(f"{month}-01")
    return Period(start, month_end(start))
