"""Organisations in MongoDB (``organisations``), their members embedded (an organisation has few)."""

from __future__ import annotations

import re
from typing import Any

from dvckit.mongo import Repository, Session, unique_key, windowed
from dvckit.paging import Window

from .store import ORGANISATIONS

Doc = dict[str, Any]


class Organisations(Repository):
    collection = ORGANISATIONS

    async def get(self, org_id: str) -> Doc | None:
        return await self.coll.find_one({"_id": org_id})

    async def insert(self, doc: Doc, session: Session | None = None) -> None:
        """Raises ``AlreadyExists`` when another organisation has the tax code."""
        with unique_key():
            await self.coll.insert_one(doc, session=session)

    async def of_member(self, user_id: str, limit: int = 100) -> list[Doc]:
        return await self.coll.find({"members.user_id": user_id}).sort("created_at", 1).limit(limit).to_list()

    async def set_members(
        self, org_id: str, version: int, members: list[Doc], session: Session | None = None
    ) -> Doc | None:
        """Replace the members if nobody changed them since ``version`` was read; None otherwise."""
        return await self.coll.find_one_and_update(
            {"_id": org_id, "version": version},
            {"$set": {"members": members}, "$inc": {"version": 1}},
            session=session,
            return_document=True,
        )

    async def page(self, q: str | None, *, window: Window) -> tuple[list[Doc], int]:
        query: Doc = {}
        if q:
            pattern = {"$regex": "^" + re.escape(q.strip()), "$options": "i"}
            query["$or"] = [{"tax_code": pattern}, {"name": pattern}]
        return await windowed(self.coll, query, window)
