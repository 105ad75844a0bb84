"""The catalogue as the indexes read it (``procedures``, domain/catalogue.py), from ``procedure.published``
and ``procedure.withdrawn``, and from the catalog's summary (the seed never makes events): a version older
than the one kept is ignored."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

from dvckit.mongo import Repository, Session

from ..domain.catalogue import Procedure
from .store import PROCEDURES


class Procedures(Repository):
    collection = PROCEDURES

    async def all(self) -> list[Procedure]:
        return [Procedure.of_doc(d) async for d in self.coll.find({})]

    async def put(self, procedures: Iterable[Procedure], session: Session | None = None) -> None:
        latest: dict[str, Procedure] = {}
        for p in procedures:
            if p.code not in latest or latest[p.code].version <= p.version:
                latest[p.code] = p
        if not latest:
            return
        kept = {
            d["_id"]: d.get("version") or 0
            async for d in self.coll.find({"_id": {"$in": list(latest)}}, {"version": 1}, session=session)
        }
        ops: list[Any] = [
            ReplaceOne({"_id": p.code}, p.doc(), upsert=True)
            for p in latest.values()
            if kept.get(p.code, -1) <= p.version
        ]
        if ops:
            await self.coll.bulk_write(ops, ordered=False, session=session)

    async def empty(self) -> bool:
        return await self.coll.find_one({}, {"_id": 1}) is None

    async def put_unless_newer(self, procedures: Iterable[Procedure], batch: int = 1000) -> int:
        """The catalog's summary, outside any transaction: each procedure written unless a newer version
        is kept. The condition is in each write (an event may be applied between a read and a write): a
        kept newer version makes the upsert a duplicate key, which is the "no" wanted. How many written."""
        ops = [
            ReplaceOne({"_id": p.code, "version": {"$lte": p.version}}, p.doc(), upsert=True)
            for p in procedures
        ]
        written = 0
        for i in range(0, len(ops), batch):
            try:
                r = await self.coll.bulk_write(ops[i : i + batch], ordered=False)
                written += r.upserted_count + r.modified_count
            except BulkWriteError as e:
                d = e.details
                if d.get("writeConcernErrors") or any(
                    w.get("code") != 11000 for w in d.get("writeErrors", [])
                ):
                    raise
                written += int(d.get("nUpserted", 0)) + int(d.get("nModified", 0))
        return written

    async def insert_many(self, procedures: Iterable[Procedure], batch: int = 5000) -> None:
        """A whole catalogue into an empty collection (the benchmark): plain inserts, in large batches."""
        docs = [p.doc() for p in procedures]
        for i in range(0, len(docs), batch):
            await self.coll.bulk_write([InsertOne(d) for d in docs[i : i + batch]], ordered=False)
