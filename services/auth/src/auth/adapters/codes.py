"""One-time codes awaiting use (``codes``, by key) and the messages sent per destination and hour
(``code_requests``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from dvckit.mongo import Session, upsert_and_read

from .store import CODE_REQUESTS, CODES

Doc = dict[str, Any]


class CodeStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.coll = db[CODES]
        self.requests = db[CODE_REQUESTS]

    async def count_message(self, dest: str, purpose: str) -> int:
        """Count one more message to ``dest`` in this clock hour, atomically; the hour's count so far."""
        now = datetime.now(UTC)
        doc = await upsert_and_read(
            self.requests,
            f"{dest}|{now:%Y%m%d%H}",
            {"$inc": {"n": 1}, "$setOnInsert": {"at": now, "purpose": purpose}},
        )
        return int(doc["n"])

    async def put(self, key: str, record: Doc, session: Session | None = None) -> None:
        """Keep ``record`` as the code of ``key``, replacing an earlier one."""
        await self.coll.replace_one({"_id": key}, record, upsert=True, session=session)

    async def spend_try(self, key: str) -> Doc | None:
        """Take one try from the live code of ``key``; the record after, or None when there is no live
        code (none, expired, or out of tries)."""
        return await self.coll.find_one_and_update(
            {"_id": key, "expires_at": {"$gt": datetime.now(UTC)}, "tries_left": {"$gt": 0}},
            {"$inc": {"tries_left": -1}},
            return_document=ReturnDocument.AFTER,
        )

    async def remove(self, key: str, digest: str, session: Session) -> bool:
        """Remove the code of ``key`` if it is still the one with ``digest``; False when it was gone."""
        gone = await self.coll.delete_one({"_id": key, "digest": digest}, session=session)
        return gone.deleted_count == 1

    async def live_for(self, user_id: str, purpose: str) -> list[Doc]:
        """A user's codes for ``purpose`` that can still be used."""
        live = {"expires_at": {"$gt": datetime.now(UTC)}, "tries_left": {"$gt": 0}}
        return await self.coll.find({"user_id": user_id, "purpose": purpose, **live}).to_list()

    async def forget_user(self, user_id: str, session: Session) -> None:
        """Every code of the user (their account was closed)."""
        await self.coll.delete_many({"user_id": user_id}, session=session)
