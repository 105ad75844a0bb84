"""The catalogue as the indexes read it (``procedures``, domain/catalogue.py), from ``procedure.published``
and ``procedure.withdrawn``: a version older than the one kept is ignored."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo import InsertOne, ReplaceOne

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

    async def insert_many(self, procedures: Iterable[Procedure], batch: int = 5000) -> None:
        """A whole catalogue into an empty collection (the benchmark): plain inserts, in large batches."""
        docs = [p.doc() for p in procedures]
        for i in range(0, len(docs), batch):
            await self.coll.bulk_write([InsertOne(d) for d in docs[i : i + batch]], ordered=False)
