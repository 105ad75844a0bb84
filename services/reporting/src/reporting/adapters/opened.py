"""The dossiers open now (``open_dossiers``): within time or overdue, with who holds each. Small (the open
ones only), so the counts and the overdue list read it instead of every fact."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo import DeleteOne, InsertOne, ReplaceOne

from dvckit.mongo import Repository, Session

from .store import OPEN

FIELDS = (
    "code",
    "procedure_name",
    "agency_code",
    "agency_name",
    "commune",
    "field",
    "legal_due_at",
    "received_at",
    "holder",
    "step",
    "status",
    "status_code",
)


def entry(fact: Mapping[str, Any]) -> dict[str, Any]:
    return {"_id": fact["_id"], **{k: fact.get(k) for k in FIELDS}}


class Opened(Repository):
    collection = OPEN

    async def sync(
        self, changes: Iterable[tuple[Mapping[str, Any] | None, Mapping[str, Any]]], session: Session | None
    ) -> None:
        """Each changed fact's entry as it is now: there while it is open, gone once it is closed; nothing
        written when the entry is what it was (a rating or a payment of a closed dossier)."""
        ops: list[Any] = []
        for old, f in changes:
            was = entry(old) if old is not None and old.get("open") else None
            now = entry(f) if f.get("open") else None
            if was == now:
                continue
            if now is not None:
                ops.append(ReplaceOne({"_id": f["_id"]}, now, upsert=True))
            elif old is not None:
                ops.append(DeleteOne({"_id": f["_id"]}))
        if ops:
            await self.coll.bulk_write(ops, ordered=False, session=session)

    async def insert_many(self, facts: Iterable[Mapping[str, Any]], batch: int = 5000) -> None:
        docs = [entry(f) for f in facts if f.get("open")]
        for i in range(0, len(docs), batch):
            await self.coll.bulk_write([InsertOne(d) for d in docs[i : i + batch]], ordered=False)

    async def due_between(self, query: Mapping[str, Any], start: datetime, end: datetime) -> int:
        """Open dossiers ``query`` finds due in [start, end): today's overdue ones (the counters hold the
        days before)."""
        return await self.coll.count_documents({**query, "legal_due_at": {"$gte": start, "$lt": end}})

    async def due_between_by(
        self, key: str, field: str | None, start: datetime, end: datetime
    ) -> dict[str, int]:
        """The same by ``key`` (``agency_code`` or ``commune``), in one round trip."""
        match: dict[str, Any] = {"legal_due_at": {"$gte": start, "$lt": end}}
        if field is not None:
            match["field"] = field
        rows = await (
            await self.coll.aggregate([{"$match": match}, {"$group": {"_id": f"${key}", "n": {"$sum": 1}}}])
        ).to_list()
        return {r["_id"]: r["n"] for r in rows if r["_id"]}

    async def overdue(self, query: Mapping[str, Any], now: datetime, limit: int) -> list[dict[str, Any]]:
        q = {**query, "legal_due_at": {"$lt": now}}
        return await self.coll.find(q).sort([("legal_due_at", 1), ("_id", 1)]).limit(limit).to_list()

    async def tally(self, now: datetime) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
        """The open dossiers by (status code, agency code), and those overdue at ``now`` by agency code:
        two grouped queries over the open list (small: the open ones only)."""
        by_status = await (
            await self.coll.aggregate(
                [{"$group": {"_id": {"s": "$status_code", "a": "$agency_code"}, "n": {"$sum": 1}}}]
            )
        ).to_list()
        late = await (
            await self.coll.aggregate(
                [
                    {"$match": {"legal_due_at": {"$lt": now}}},
                    {"$group": {"_id": "$agency_code", "n": {"$sum": 1}}},
                ]
            )
        ).to_list()
        opened = {(str(r["_id"].get("s") or ""), str(r["_id"].get("a") or "")): r["n"] for r in by_status}
        return opened, {str(r["_id"] or ""): r["n"] for r in late}

    async def clear(self) -> None:
        await self.coll.delete_many({})
