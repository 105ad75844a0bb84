"""The agencies' daily dossier-code counters (``<agency code>|<yyMMdd>`` → the last number issued)."""

from __future__ import annotations

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from dvckit.mongo import Repository

from .store import COUNTERS


class Counters(Repository):
    collection = COUNTERS

    async def take(self, key: str, block: int) -> int | None:
        """Take ``block`` numbers with one atomic increment: the last of them, or None when creating the
        counter kept racing (two first dossiers of the day)."""
        for _ in range(3):
            try:
                doc = await self.coll.find_one_and_update(
                    {"_id": key}, {"$inc": {"seq": block}}, upsert=True, return_document=ReturnDocument.AFTER
                )
            except DuplicateKeyError:
                continue
            return int(doc["seq"])
        return None
