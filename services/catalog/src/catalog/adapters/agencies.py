"""The agency directory in MongoDB: the current agencies and every version an administrator replaced
(with who and when: the directory's audit trail). The only place their documents are read and written."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from dvckit.mongo import Session

from ..domain.agencies import Agency
from .store import AGENCIES, AGENCY_VERSIONS


def _doc(a: Agency, who: str | None) -> dict[str, Any]:
    return {"_id": a.code, **a.model_dump(), "changed_by": who, "changed_at": datetime.now(UTC)}


def _agency(doc: dict[str, Any]) -> Agency:
    return Agency.model_validate({k: v for k, v in doc.items() if k in Agency.model_fields})


class Agencies:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.current = db[AGENCIES]
        self.versions = db[AGENCY_VERSIONS]

    async def seed(self, agencies: Iterable[Agency]) -> int:
        """Add the seed's agencies the collection does not have (an administrator's changes are kept;
        a commune the package adds later appears). How many were new."""
        ops = [UpdateOne({"_id": a.code}, {"$setOnInsert": _doc(a, "seed")}, upsert=True) for a in agencies]
        if not ops:
            return 0
        return (await self.current.bulk_write(ops, ordered=False)).upserted_count

    async def all(self, session: Session | None = None) -> list[Agency]:
        return [_agency(d) async for d in self.current.find({}, session=session).sort("_id", 1)]

    async def get(self, code: str, session: Session | None = None) -> Agency | None:
        doc = await self.current.find_one({"_id": code}, session=session)
        return None if doc is None else _agency(doc)

    async def put(self, old: Agency | None, new: Agency, who: str, session: Session) -> bool:
        """Write ``new`` in place of ``old`` (None: a new code), keeping ``old`` among the versions;
        False (nothing written) when someone changed it meanwhile."""
        if old is None:
            res = await self.current.update_one(
                {"_id": new.code}, {"$setOnInsert": _doc(new, who)}, upsert=True, session=session
            )
            return res.upserted_id is not None
        res = await self.current.replace_one(
            {"_id": old.code, "version": old.version}, _doc(new, who), session=session
        )
        if res.modified_count != 1:
            return False
        await self.versions.insert_one(
            {
                "_id": f"{old.code}@{old.version}",
                "code": old.code,
                **old.model_dump(),
                "replaced_by": who,
                "replaced_at": datetime.now(UTC),
            },
            session=session,
        )
        return True
