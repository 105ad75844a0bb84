"""Deliveries (``deliveries``): one an event and channel, with every attempt; claimed with a lease so
that replicas share the work."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit.mongo import Repository, Session

from .store import DELIVERIES

Doc = dict[str, Any]
PENDING, SENT, TEMPORARY, PERMANENT = "pending", "sent", "temporary_failure", "permanent_failure"


class DeliveryStore(Repository):
    collection = DELIVERIES

    async def add(self, jobs: list[Doc], session: Session) -> None:
        for job in jobs:
            await self.coll.insert_one(job, session=session)

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

    async def record(
        self,
        job: Doc,
        attempt: Doc,
        *,
        retry_at: datetime | None = None,
        sent_to: str | None = None,
        forget_code: bool = False,
    ) -> None:
        """Record an attempt at ``job`` (``attempt["outcome"]`` is its new status): tried again at
        ``retry_at`` when given; ``sent_to``: the address it went to; ``forget_code``: drop the sealed
        code it carried. Written only while this replica holds the job's lease."""
        outcome = attempt["outcome"]
        update: Doc = {"$set": {"status": outcome}, "$unset": {"lease": ""}, "$push": {"attempts": attempt}}
        if retry_at is not None:
            update["$set"]["next_at"] = retry_at
        else:
            update["$unset"]["next_at"] = ""
        if outcome == SENT:
            update["$set"] |= {"sent_at": attempt["at"], "to": sent_to}
        if forget_code:
            update["$unset"]["sealed"] = ""
        await self.coll.update_one({"_id": job["_id"], "lease": job.get("lease")}, update)
