"""Per-agency settings of the auth service (``agency_settings``, one document an agency code): who is its
default specialist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dvckit.mongo import Repository, Session

from .store import AGENCY_SETTINGS

Doc = dict[str, Any]


class AgencySettings(Repository):
    collection = AGENCY_SETTINGS

    async def get(self, code: str, session: Session | None = None) -> Doc | None:
        return await self.coll.find_one({"_id": code}, session=session)

    async def set_default_specialist(
        self, code: str, user_id: str, by: str, session: Session | None = None
    ) -> None:
        await self.coll.update_one(
            {"_id": code},
            {"$set": {"default_specialist": user_id, "set_by": by, "set_at": datetime.now(UTC)}},
            upsert=True,
            session=session,
        )

    async def clear_default_specialist(self, code: str, by: str, session: Session | None = None) -> None:
        await self.coll.update_one(
            {"_id": code},
            {"$unset": {"default_specialist": ""}, "$set": {"set_by": by, "set_at": datetime.now(UTC)}},
            session=session,
        )
