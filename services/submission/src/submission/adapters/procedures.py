"""The copy of the catalogue's procedures (``procedures``): the record as published, and its version."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from dvckit.contracts import PublishedProcedure
from dvckit.mongo import Repository, Session

from .store import PROCEDURES


class ProcedureStore(Repository):
    collection = PROCEDURES

    async def get(self, code: str, session: Session | None = None) -> PublishedProcedure | None:
        doc = await self.coll.find_one({"_id": code}, session=session)
        return None if doc is None else PublishedProcedure.model_validate(doc["procedure"])

    async def add(self, procedure: PublishedProcedure) -> None:
        """Keep a record fetched from the catalogue, unless an event stored a version meanwhile."""
        record = {"procedure": procedure.as_json(), "version": procedure.version, "at": datetime.now(UTC)}
        try:
            await self.coll.update_one({"_id": procedure.code}, {"$setOnInsert": record}, upsert=True)
        except DuplicateKeyError:
            pass  # another request cached it at the same moment

    async def refresh(self, procedure: PublishedProcedure) -> None:
        """Replace a copy kept before the catalogue published routing with the catalogue's record of the
        same version (an event's newer version, stored meanwhile, stays)."""
        record = {"procedure": procedure.as_json(), "version": procedure.version, "at": datetime.now(UTC)}
        await self.coll.update_one(
            {"_id": procedure.code, "version": {"$lte": procedure.version}}, {"$set": record}
        )

    async def put(self, code: str, version: int, procedure: PublishedProcedure, session: Session) -> bool:
        """Store a published version, unless a newer (or the same) one is there: events can arrive out of
        order, and an older version never replaces a newer one. Whether it was stored."""
        current = await self.coll.find_one({"_id": code}, {"version": 1}, session=session)
        if current is not None and current.get("version", 0) >= version:
            return False
        await self.coll.replace_one(
            {"_id": code},
            {"procedure": procedure.as_json(), "version": version, "at": datetime.now(UTC)},
            upsert=True,
            session=session,
        )
        return True
