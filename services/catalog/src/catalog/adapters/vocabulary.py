"""The search vocabulary in MongoDB: the current entries, every version an administrator replaced or
deleted (with who and when: its audit trail), and the vocabulary's revision (``catalog_meta``
``vocabulary``), which every change moves so each replica knows when to read it again."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from dvckit.mongo import Session

from ..domain.vocabulary import Term
from .store import META, VOCABULARY, VOCABULARY_VERSIONS

REVISION = "vocabulary"


def _doc(t: Term, who: str | None) -> dict[str, Any]:
    return {"_id": t.id, **t.model_dump(), "changed_by": who, "changed_at": datetime.now(UTC)}


def _term(doc: dict[str, Any]) -> Term:
    return Term.model_validate({k: v for k, v in doc.items() if k in Term.model_fields})


class TermStore:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.current = db[VOCABULARY]
        self.versions = db[VOCABULARY_VERSIONS]
        self.meta = db[META]

    async def seed(self, terms: Iterable[Term]) -> int:
        """Add the seed's entries once, on the first start (the marker in ``catalog_meta``): an entry an
        administrator deleted is not brought back. How many were added."""
        marker = await self.meta.find_one_and_update(
            {"_id": REVISION},
            {"$setOnInsert": {"value": 1, "seeded_at": datetime.now(UTC)}},
            upsert=True,
            return_document=ReturnDocument.BEFORE,
        )
        if marker is not None:
            return 0
        ops = [UpdateOne({"_id": t.id}, {"$setOnInsert": _doc(t, "seed")}, upsert=True) for t in terms]
        if not ops:
            return 0
        return (await self.current.bulk_write(ops, ordered=False)).upserted_count

    async def revision(self) -> int:
        doc = await self.meta.find_one({"_id": REVISION})
        return int(doc["value"]) if doc else 0

    async def all(self, session: Session | None = None) -> list[Term]:
        return [_term(d) async for d in self.current.find({}, session=session).sort("_id", 1)]

    async def get(self, term_id: str, session: Session | None = None) -> Term | None:
        doc = await self.current.find_one({"_id": term_id}, session=session)
        return None if doc is None else _term(doc)

    async def put(self, old: Term | None, new: Term | None, who: str, session: Session) -> int | None:
        """Write ``new`` in place of ``old`` (old None: a new entry; new None: delete ``old``), keeping
        ``old`` among the versions. The vocabulary's new revision, or None (nothing written) when someone
        changed it meanwhile."""
        if old is None:
            assert new is not None
            res = await self.current.update_one(
                {"_id": new.id}, {"$setOnInsert": _doc(new, who)}, upsert=True, session=session
            )
            if res.upserted_id is None:
                return None
        else:
            if new is None:
                res = await self.current.delete_one({"_id": old.id, "version": old.version}, session=session)
                done = res.deleted_count == 1
            else:
                res = await self.current.replace_one(
                    {"_id": old.id, "version": old.version}, _doc(new, who), session=session
                )
                done = res.modified_count == 1
            if not done:
                return None
            await self.versions.insert_one(
                {
                    "_id": f"{old.id}@{old.version}",
                    **old.model_dump(),
                    "replaced_by": who,
                    "replaced_at": datetime.now(UTC),
                    "deleted": new is None,
                },
                session=session,
            )
        doc = await self.meta.find_one_and_update(
            {"_id": REVISION},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return int(doc["value"])
