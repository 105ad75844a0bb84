"""The catalogue in MongoDB: current procedures, the versions they replaced, the catalogue's revision
(every replica rebuilds its search index when it moves) and the seed marker. The only place their
documents are read and written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import AutoReconnect, BulkWriteError, NetworkTimeout

from dvckit import logs
from dvckit.mongo import Session, unique_key
from dvckit.store import AlreadyExists

from ..domain.model import Procedure
from .store import META, PROCEDURES, VERSIONS, from_doc, to_doc

log = logs.get(__name__)
SEED_ATTEMPTS = 3
READ_BATCH = 500  # codes an $in query asks for
CHANGES_KEPT = 200  # the latest changes kept on the revision document
Doc = dict[str, Any]


class Procedures:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.current = db[PROCEDURES]
        self.versions = db[VERSIONS]
        self.meta = db[META]

    # -- the seed ----------------------------------------------------------------------------------
    async def seed_marker(self) -> Doc | None:
        """``{"state": "loading" | "done", "owner", "seed", "at", "count"}``, or None before the first
        load. ``seed`` names the seed file (its sha256); while loading, ``at`` is the loader's last sign of
        progress."""
        return await self.meta.find_one({"_id": "seed"})

    async def claim_seed(self, owner: str, seed: str) -> bool:
        """Mark the seed as being loaded by ``owner``; False when a marker is there already."""
        try:
            with unique_key():
                await self.meta.insert_one(
                    {"_id": "seed", "state": "loading", "owner": owner, "seed": seed, "at": datetime.now(UTC)}
                )
        except AlreadyExists:
            return False
        return True

    async def take_over_seed(self, stalled: Doc, owner: str, seed: str) -> bool:
        """Take a stalled load (the marker ``stalled``, unchanged since it was read) over; False when
        another replica took it first or it moved on."""
        res = await self.meta.update_one(
            {"_id": "seed", "state": "loading", "owner": stalled.get("owner"), "at": stalled.get("at")},
            {"$set": {"owner": owner, "seed": seed, "at": datetime.now(UTC)}},
        )
        return res.modified_count == 1

    async def seed_progress(self, owner: str, seed: str) -> None:
        """The loader's sign of life (others take over a load that shows none for a while)."""
        await self.meta.update_one(
            {"_id": "seed", "state": "loading", "owner": owner},
            {"$set": {"at": datetime.now(UTC), "seed": seed}},
        )

    async def insert_batch(self, procedures: list[Procedure]) -> int:
        """Insert a batch of the seed; how many were new. A batch that times out on a busy server is sent
        again: what it did insert comes back as duplicates, which count as done (the same as after an
        interrupted load)."""
        docs = [to_doc(p) for p in procedures]
        for attempt in range(1, SEED_ATTEMPTS + 1):
            try:
                return len((await self.current.insert_many(docs, ordered=False)).inserted_ids)
            except BulkWriteError as e:  # a previous, interrupted load inserted some of them already
                if any(err.get("code") != 11000 for err in e.details.get("writeErrors", [])):
                    raise
                return int(e.details.get("nInserted", 0))
            except (NetworkTimeout, AutoReconnect) as e:
                if attempt == SEED_ATTEMPTS:
                    raise
                log.warning("seed batch timed out; sending it again", attempt=attempt, error=str(e)[:200])
        raise AssertionError("unreachable")

    async def seed_loaded(self, count: int, seed: str, revision: int) -> None:
        """The seed is all written: the catalogue is at ``revision`` (from 0: no change is taken before
        the seed is written; ``$max`` since a loader that died here may have set it already)."""
        await self.meta.update_one({"_id": "revision"}, {"$max": {"value": revision}}, upsert=True)
        await self.meta.update_one(
            {"_id": "seed"},
            {"$set": {"state": "done", "count": count, "seed": seed, "at": datetime.now(UTC)}},
        )

    # -- reading -----------------------------------------------------------------------------------
    async def revision(self) -> int:
        doc = await self.meta.find_one({"_id": "revision"})
        return int(doc["value"]) if doc else 0

    async def changes_since(self, revision: int) -> tuple[int, list[str] | None]:
        """The catalogue's revision and the codes of the procedures changed after ``revision`` (one
        read); None for the codes when that is further back than the changes kept."""
        doc = await self.meta.find_one({"_id": "revision"})
        if doc is None:
            return 0, None
        value, kept = int(doc["value"]), doc.get("changes", [])
        revs = {int(c["rev"]) for c in kept}
        if any(r not in revs for r in range(revision + 1, value + 1)):
            return value, None
        return value, list(dict.fromkeys(c["code"] for c in kept if revision < int(c["rev"]) <= value))

    async def current_versions(self) -> list[tuple[str, int]]:
        """(code, version) of every current procedure: what changed since a snapshot, in one small read."""
        return [(d["_id"], int(d["version"])) async for d in self.current.find({}, {"version": 1})]

    async def current_procedures(self, codes: list[str] | None = None) -> list[Procedure]:
        """Every current procedure (withdrawn ones too) in one bulk read, or those of ``codes``."""
        if codes is None:
            docs = await self.current.find({}).to_list()
        else:
            docs = []
            for start in range(0, len(codes), READ_BATCH):
                part = codes[start : start + READ_BATCH]
                docs += await self.current.find({"_id": {"$in": part}}).to_list()
        # Validating thousands of documents is CPU work: off the event loop, which serves meanwhile.
        return await asyncio.to_thread(lambda: [from_doc(d) for d in docs])

    async def get(self, code: str, session: Session | None = None) -> Procedure | None:
        doc = await self.current.find_one({"_id": code}, session=session)
        return None if doc is None else from_doc(doc)

    async def past(self, code: str, version: int) -> Procedure | None:
        """A version that was replaced (the current one is ``get``)."""
        doc = await self.versions.find_one({"_id": f"{code}@{version}"})
        return None if doc is None else from_doc(doc)

    # -- writing (inside the caller's transaction) -------------------------------------------------
    async def insert(self, p: Procedure, session: Session) -> None:
        """Raises ``AlreadyExists`` when the code is taken."""
        with unique_key():
            await self.current.insert_one(to_doc(p), session=session)

    async def replace(self, old: Procedure, new: Procedure, session: Session) -> bool:
        """Put ``new`` in place of ``old`` and keep ``old`` among the past versions; False (nothing
        written) when the current version is no longer ``old``'s."""
        res = await self.current.replace_one(
            {"_id": old.code, "version": old.version}, to_doc(new), session=session
        )
        if res.modified_count != 1:
            return False
        await self.versions.insert_one(
            {"_id": f"{old.code}@{old.version}", **old.model_dump()}, session=session
        )
        return True

    async def bump_revision(self, code: str, session: Session | None = None) -> None:
        """The catalogue moves on because ``code`` changed: the revision, and the change among the last
        CHANGES_KEPT, so that a replica reads only what changed since its own (``changes_since``)."""
        doc = await self.meta.find_one_and_update(
            {"_id": "revision"},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        change = {"rev": int(doc["value"]), "code": code}
        await self.meta.update_one(
            {"_id": "revision"},
            {"$push": {"changes": {"$each": [change], "$slice": -CHANGES_KEPT}}},
            session=session,
        )
