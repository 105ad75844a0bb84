"""The agencies' daily dossier-code counters (``<agency code>|<yyMMdd>`` → the last number issued)."""

from __future__ import annotations

from dvckit.mongo import Repository, upsert_and_read

from .store import COUNTERS


class Counters(Repository):
    collection = COUNTERS

    async def take(self, key: str, block: int) -> int:
        """Take ``block`` numbers with one atomic increment: the last of them."""
        return int((await upsert_and_read(self.coll, key, {"$inc": {"seq": block}}))["seq"])
