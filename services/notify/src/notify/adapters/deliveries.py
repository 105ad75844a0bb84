"""Deliveries (``deliveries``): one an event and channel, with every attempt; claimed with a lease so
that replicas share the work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import UpdateOne

from dvckit.consumer import insert
from dvckit.mongo import Repository, Session

from .store import DELIVERIES

Doc = dict[str, Any]
PENDING, SENT, TEMPORARY, PERMANENT = "pending", "sent", "temporary_failure", "permanent_failure"


class DeliveryStore(Repository):
    collection = DELIVERIES

    async def add(self, jobs: list[Doc], session: Session) -> None:
        await insert(self.coll, jobs, session)  # with the consumer batch's other deliveries

    async def everything(self, user_id: str, *, page: int, size: int) -> tuple[list[Doc], int]:
        """Every delivery to the user, oldest first (a sealed code never leaves: ``sealed`` left out)."""
        skip = (page - 1) * size
        query = {"user_id": user_id}
        found = self.coll.find(query, {"sealed": 0, "lease": 0})
        docs = await found.sort([("created_at", 1), ("_id", 1)]).skip(skip).limit(size).to_list()
        return docs, await self.coll.count_documents(query)

    async def forget(self, user_id: str, session: Session) -> int:
        """Delete every delivery to the user, sent or still to send (their account was closed)."""
        return (await self.coll.delete_many({"user_id": user_id}, session=session)).deleted_count

    async def claim(self, batch: int, lease_seconds: float) -> list[Doc]:
        """Up to ``batch`` deliveries that are due, leased to this replica for ``lease_seconds``."""
        now = datetime.now(UTC)
        due = {"next_at": {"$lte": now}, "status": {"$in": [PENDING, TEMPORARY]}}  # only those have a next_at
        ids = [d["_id"] async for d in self.coll.find(due, {"_id": 1}).sort("next_at", 1).limit(batch)]
        if not ids:
            return []
        token = uuid.uuid4().hex
        await self.coll.update_many(
            {"_id": {"$in": ids}, **due},
            {"$set": {"lease": token, "next_at": now + timedelta(seconds=lease_seconds)}},
        )
        return await self.coll.find({"lease": token}).to_list()

    async def release(self, jobs: list[Doc]) -> int:
        """Make ``jobs`` due now for any replica: a stopping replica hands back what it was leased and never
        attempted, instead of leaving it until its lease runs out (``delivery_lease_seconds``). Only while
        the lease is still the one handed out and nothing was attempted: a job another replica already
        claimed, or one being sent, keeps its lease."""
        if not jobs:
            return 0
        done = await self.coll.update_many(
            {
                "$or": [{"_id": j["_id"], "lease": j["lease"]} for j in jobs],
                "status": PENDING,
                "attempts": {"$size": 0},
            },
            {"$set": {"next_at": datetime.now(UTC)}},
        )
        return done.modified_count

    async def record_many(self, outcomes: list[Outcome]) -> None:
        """Record one attempt at each job, in one round trip; see :class:`Outcome`."""
        if outcomes:
            await self.coll.bulk_write([o.update() for o in outcomes], ordered=False)


@dataclass(frozen=True)
class Outcome:
    """An attempt at ``job`` (``attempt["outcome"]`` is its new status): tried again at ``retry_at`` when
    given; ``sent_to``: the address it went to; ``forget_code``: drop the sealed code it carried. Written
    only while the job's lease is still the one it was attempted under."""

    job: Doc
    attempt: Doc
    retry_at: datetime | None = None
    sent_to: str | None = None
    forget_code: bool = False

    def update(self) -> UpdateOne:
        outcome = self.attempt["outcome"]
        update: Doc = {
            "$set": {"status": outcome},
            "$unset": {"lease": ""},
            "$push": {"attempts": self.attempt},
        }
        if self.retry_at is not None:
            update["$set"]["next_at"] = self.retry_at
        else:
            update["$unset"]["next_at"] = ""
        if outcome == SENT:
            update["$set"] |= {"sent_at": self.attempt["at"], "to": self.sent_to}
        if self.forget_code:
            update["$unset"]["sealed"] = ""
        return UpdateOne({"_id": self.job["_id"], "lease": self.job.get("lease")}, update)
