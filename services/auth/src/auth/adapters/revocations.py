"""The public revocation list's store (``revocations``): sessions ended and accounts locked, each kept for
an access token's lifetime, then dropped by the TTL index. Every replica of every service reads it by
time (``since``), so one index range answers each poll however many entries are older."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

from pymongo import UpdateOne

from dvckit.mongo import Repository, Session

from .store import REVOCATIONS

Doc = dict[str, Any]
Kind = Literal["session", "user"]


class Revocations(Repository):
    collection = REVOCATIONS

    async def add(
        self, kind: Kind, keys: Iterable[str], *, at: datetime, keep: timedelta, session: Session
    ) -> None:
        """List ``keys`` (session ids, or account keys) as ended at ``at``; listed again, the later time
        wins (an account locked, unlocked and locked again)."""
        ops = [
            UpdateOne(
                {"_id": f"{kind}:{key}"},
                {"$set": {"kind": kind, "key": key, "at": at, "expires_at": at + keep}},
                upsert=True,
            )
            for key in keys
        ]
        if ops:
            await self.coll.bulk_write(ops, ordered=False, session=session)

    async def since(self, since: datetime, limit: int, after: str | None = None) -> list[Doc]:
        """Entries listed at or after ``since`` (those at ``since`` only after the entry ``after``, when
        given: the next page), oldest first, at most ``limit``."""
        query: Doc = {"at": {"$gte": since}}
        if after is not None:
            query = {"$or": [{"at": {"$gt": since}}, {"at": since, "_id": {"$gt": after}}]}
        cursor = self.coll.find(query, {"kind": 1, "key": 1, "at": 1})
        return await cursor.sort([("at", 1), ("_id", 1)]).limit(limit).to_list()
