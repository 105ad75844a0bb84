"""What payment knows of each dossier (``dossiers``), from the dossier events: whose it is, its agency,
its code, its frozen fee lines (for the filing order), its status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dvckit.mongo import Repository, Session

from .store import DOSSIERS


class Dossiers(Repository):
    collection = DOSSIERS

    async def get(self, dossier_id: str, session: Session | None = None) -> dict[str, Any] | None:
        return await self.coll.find_one({"_id": dossier_id}, session=session)

    async def remember(self, dossier_id: str, fields: dict[str, Any], session: Session) -> None:
        await self.coll.update_one({"_id": dossier_id}, {"$set": fields}, upsert=True, session=session)

    async def status(self, dossier_id: str, status: str, rev: int, at: datetime, session: Session) -> None:
        """The dossier's status, if this event is newer than the last one seen (events may come out of
        order: ``rev`` orders them)."""
        await self.coll.update_one(
            {"_id": dossier_id, "$or": [{"rev": {"$lt": rev}}, {"rev": {"$exists": False}}]},
            {"$set": {"status": status, "rev": rev, "status_at": at}},
            session=session,
        )
