"""The administrator's calendar overrides (``calendar``): one document a year, ``{_id: year, days_off,
working_days, version, updated_at, updated_by, history}``, the dates as ISO text. ``history`` is the
audit trail: who changed the year, when, and what it said before (kept on the document it audits)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from dvckit.mongo import Repository, Session

from .store import CALENDAR


class CalendarStore(Repository):
    collection = CALENDAR

    async def all(self, session: Session | None = None) -> list[dict[str, Any]]:
        """Every year's overrides (a few small documents; the history is left out)."""
        return [d async for d in self.coll.find({}, {"history": 0}, session=session)]

    async def get(self, year: int, session: Session | None = None) -> dict[str, Any] | None:
        return await self.coll.find_one({"_id": year}, {"history": 0}, session=session)

    async def put(
        self,
        year: int,
        version: int,
        days_off: list[str],
        working_days: list[str],
        *,
        by: str,
        at: datetime,
        before: dict[str, Any] | None,
        session: Session,
    ) -> bool:
        """Write the year's overrides as ``version + 1`` if it is still at ``version`` (0: none stored yet).
        Whether it was written (False: someone changed it meanwhile)."""
        entry = {
            "version": version + 1,
            "by": by,
            "at": at,
            "days_off": days_off,
            "working_days": working_days,
            "before": {k: (before or {}).get(k, []) for k in ("days_off", "working_days")},
        }
        fields = {"days_off": days_off, "working_days": working_days, "updated_at": at, "updated_by": by}
        if version == 0:
            try:
                await self.coll.insert_one(
                    {"_id": year, **fields, "version": 1, "history": [entry]}, session=session
                )
            except DuplicateKeyError:
                return False  # another administrator wrote the year first
            return True
        done = await self.coll.update_one(
            {"_id": year, "version": version},
            {"$set": {**fields, "version": version + 1}, "$push": {"history": entry}},
            session=session,
        )
        return done.modified_count == 1
