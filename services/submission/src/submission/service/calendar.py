"""The working-day calendar deadlines are counted in: the public holidays (``holidays``) with an
administrator's overrides per year, kept in memory on every replica.

A change is written with its audit entry and ``calendar.changed.v1`` in one transaction. The replica that
made it reloads at once; the event reaches one replica of the service (a shared queue), which reloads too;
every other replica rereads the overrides every ``calendar_refresh_seconds``, as the procedure cache
expires its copies. A deadline is computed with what the replica holds at that moment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from dvckit import logs
from dvckit.audit import changes
from dvckit.contracts import CalendarChangedV1
from dvckit.errors import Problem, Text
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.calendars import CalendarStore
from ..config import Settings
from ..domain.calendar import Calendar, check_overrides, holidays_of, parse_hours, weekend_workdays_of
from ..domain.model import Actor
from . import audit

log = logs.get(__name__)


def version_conflict(current: int) -> Problem:
    return Problem(
        412,
        "version-conflict",
        Text(
            "Lịch đã được người khác sửa; vui lòng tải lại",
            "The calendar was changed by someone else; reload",
        ),
        extra={"current_version": current},
    )


def invalid(errors: list[dict[str, str]]) -> Problem:
    return Problem(
        422,
        "invalid-calendar",
        Text("Lịch làm việc không hợp lệ", "Invalid calendar"),
        Text(
            "; ".join(e["message"] for e in errors),
            "; ".join(e["message_en"] for e in errors),
        ),
        extra={"errors": errors},
    )


class CalendarBook:
    """The replica's current calendar (``current``), and the administrator's changes to it."""

    def __init__(self, rt: Runtime, settings: Settings, store: CalendarStore) -> None:
        self.rt = rt
        self.settings = settings
        self.store = store
        self._years: dict[int, dict[str, Any]] = {}
        self.current = self._build()

    def _build(self) -> Calendar:
        s = self.settings
        days_off = {date.fromisoformat(d) for y in self._years.values() for d in y.get("days_off", [])}
        worked = {date.fromisoformat(d) for y in self._years.values() for d in y.get("working_days", [])}
        return Calendar(
            days_off=frozenset(days_off),
            working_days=frozenset(worked),
            office=parse_hours(s.office_hours),
            cutoff=s.acceptance_cutoff,
            zone=s.zone,
            reception_hours=s.reception_due_working_hours,
            default_days=s.default_processing_working_days,
        )

    async def load(self, session: Session | None = None) -> None:
        """Reread every year's overrides; a new ``Calendar`` replaces the current one only if they changed
        (a calendar remembers the days it judged)."""
        years = {int(d["_id"]): d for d in await self.store.all(session)}
        if {y: d.get("version") for y, d in years.items()} != {
            y: d.get("version") for y, d in self._years.items()
        }:
            self._years = years
            self.current = self._build()

    async def refresh(self) -> None:
        await self.load()

    async def on_changed(self, e: CalendarChangedV1, env: Envelope, session: Session) -> None:
        await self.load(session)

    # -- the administrator's view and change ----------------------------------------------------------
    def view(self, year: int) -> dict[str, object]:
        """A year as deadlines count it: the overrides, the library's holidays and make-up working days,
        and the version to send back in If-Match."""
        doc = self._years.get(year) or {}
        return {
            "year": year,
            "version": doc.get("version", 0),
            "days_off": doc.get("days_off", []),
            "working_days": doc.get("working_days", []),
            "holidays": holidays_of(year),
            "weekend_workdays": weekend_workdays_of(year),
            "updated_at": doc.get("updated_at"),
            "updated_by": doc.get("updated_by"),
            "office_hours": self.settings.office_hours,
            "acceptance_cutoff": self.current.cutoff.isoformat("minutes") if self.current.cutoff else None,
            "reception_due_working_hours": self.current.reception_hours,
            "default_processing_working_days": self.current.default_days,
        }

    async def year(self, year: int) -> dict[str, object]:
        await self.load()  # an administrator reads what is stored, not what this replica last saw
        return self.view(year)

    async def change(
        self, who: Actor, year: int, days_off: list[date], working_days: list[date], expected: int | None
    ) -> dict[str, object]:
        """Replace a year's overrides (``expected``: the version the administrator read, from If-Match)."""
        errors = check_overrides(year, days_off, working_days)
        if errors:
            raise invalid(errors)
        off = sorted({d.isoformat() for d in days_off})
        worked = sorted({d.isoformat() for d in working_days})
        now = datetime.now(UTC)

        async def txn(session: Session) -> int | None:
            before = await self.store.get(year, session)
            version = int(before["version"]) if before else 0
            if expected is not None and expected != version:
                return version
            if not await self.store.put(
                year, version, off, worked, by=who.id, at=now, before=before, session=session
            ):
                return -1
            event = CalendarChangedV1(
                year=year,
                version=version + 1,
                days_off=off,
                working_days=worked,
                changed_by=who.id,
                changed_at=now,
            )
            await self.rt.outbox.add(session, event)
            was = {k: (before or {}).get(k, []) for k in ("days_off", "working_days")}
            was, then = changes(was, {"days_off": off, "working_days": worked})
            await self.rt.audit.add(
                session,
                audit.principal(who),
                kind="change",
                action="calendar.changed",
                target_type="calendar",
                target_id=str(year),
                before=was,
                after=then,
            )
            return None

        stale = await self.rt.transaction(txn)
        if stale is not None:
            current = await self.store.get(year)
            raise version_conflict(int(current["version"]) if current else 0)
        log.info("calendar changed", year=year, by=who.id, days_off=len(off), working_days=len(worked))
        await self.load()
        return self.view(year)
