"""The agency directory as reporting keeps it (``agencies``): the catalog's, read once at start when the
copy is empty, then kept by ``agency.changed.v1``. A version older than the one kept is ignored (events
and the start-up read may cross)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ReplaceOne

from dvckit.mongo import Repository, Session

from .store import AGENCIES

KEEP = ("code", "name", "level", "kind", "ward_code", "commune", "active", "version")


def doc(a: Mapping[str, Any]) -> dict[str, Any]:
    d = {"active": True, **{k: a.get(k) for k in KEEP if k in a}}
    d["version"] = int(a.get("version") or 0)
    return {"_id": str(a["code"]), **d}


class Agencies(Repository):
    collection = AGENCIES

    async def all(self) -> list[dict[str, Any]]:
        return await self.coll.find({}).to_list()

    async def empty(self) -> bool:
        return await self.coll.find_one({}, {"_id": 1}) is None

    async def put(self, agencies: Iterable[Mapping[str, Any]], session: Session | None = None) -> int:
        """Keep each agency unless a newer version of it is kept already; how many were written."""
        docs = [doc(a) for a in agencies if a.get("code")]
        if not docs:
            return 0
        kept = {
            d["_id"]: d.get("version") or 0
            async for d in self.coll.find(
                {"_id": {"$in": [d["_id"] for d in docs]}}, {"version": 1}, session=session
            )
        }
        ops = [
            ReplaceOne({"_id": d["_id"]}, d, upsert=True)
            for d in docs
            if d["_id"] not in kept or kept[d["_id"]] <= d["version"]
        ]
        if ops:
            await self.coll.bulk_write(ops, ordered=False, session=session)
        return len(ops)
