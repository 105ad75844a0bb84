"""The dossiers' facts (``facts``): the fold of each dossier's events, written under its version ``v`` so
that two replicas folding the same dossier at once cannot both win: the loser's transaction is run again
on what the winner wrote (optimistic concurrency)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError, PyMongoError

from dvckit.mongo import Repository, Session
from dvckit.paging import Window

from .store import FACTS


class Conflict(PyMongoError):
    """Another transaction changed a fact this one read: the whole transaction runs again (labelled
    transient, as the server labels its own write conflicts, so ``dvckit.mongo.transaction`` retries)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_labels={"TransientTransactionError"})


class Facts(Repository):
    collection = FACTS

    async def get_many(self, ids: Iterable[str], session: Session | None = None) -> dict[str, dict[str, Any]]:
        return {
            d["_id"]: d async for d in self.coll.find({"_id": {"$in": sorted(set(ids))}}, session=session)
        }

    async def save(
        self, changes: Sequence[tuple[Mapping[str, Any] | None, dict[str, Any]]], session: Session | None
    ) -> None:
        """Write each new fact over the old one it was folded after (None: there was none); raise
        :class:`Conflict` when any old one is no longer what is stored."""
        ops: list[Any] = []
        for old, new in changes:
            if old is None:
                ops.append(InsertOne({**new, "v": 1}))
            else:
                ops.append(ReplaceOne({"_id": old["_id"], "v": old["v"]}, {**new, "v": old["v"] + 1}))
        if not ops:
            return
        try:
            result = await self.coll.bulk_write(ops, ordered=False, session=session)
        except BulkWriteError as e:
            if all(err.get("code") == 11000 for err in e.details.get("writeErrors") or []):
                raise Conflict("a fact was created meanwhile") from e
            raise
        replaced = sum(1 for old, _ in changes if old is not None)
        if result.matched_count != replaced:
            raise Conflict("a fact changed meanwhile")

    async def ids_of_agencies(self, codes: list[str]) -> list[str]:
        return [d["_id"] async for d in self.coll.find({"agency_code": {"$in": codes}}, {"_id": 1})]

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await self.coll.insert_many([{**d, "v": 1} for d in docs], ordered=False)

    async def clear(self) -> None:
        await self.coll.delete_many({})

    async def page(
        self, query: Mapping[str, Any], *, window: Window, sort: list[tuple[str, int]]
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of facts (the drill orders have keys that may be null: an offset cursor)."""
        total = await self.coll.count_documents(dict(query))
        found = self.coll.find(dict(query)).sort(sort).skip(window.skip).limit(window.size)
        docs = await found.to_list()
        window.found(len(docs), total)
        return docs, total
