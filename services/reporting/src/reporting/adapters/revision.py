"""The reference data's revision (``meta``): moved in the same transaction as any change of the agencies
or the procedures, so a replica reads those again only when the one number it polls has moved."""

from __future__ import annotations

from typing import Any

from dvckit.mongo import Repository, Session

from .store import META

KEY = "reference"
SUMMARY = "catalog-summary"  # the catalog's summary last stored: its revision and ETag


class Revision(Repository):
    collection = META

    async def bump(self, session: Session | None = None) -> None:
        await self.coll.update_one({"_id": KEY}, {"$inc": {"rev": 1}}, upsert=True, session=session)

    async def get(self) -> int:
        doc = await self.coll.find_one({"_id": KEY}, {"rev": 1})
        return int(doc["rev"]) if doc else 0

    async def summary_seen(self) -> dict[str, Any] | None:
        return await self.coll.find_one({"_id": SUMMARY})

    async def saw_summary(self, revision: int, etag: str | None) -> None:
        await self.coll.update_one(
            {"_id": SUMMARY}, {"$set": {"revision": revision, "etag": etag}}, upsert=True
        )
