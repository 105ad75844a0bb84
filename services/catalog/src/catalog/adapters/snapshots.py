"""Snapshots of a replica's in-memory catalogue, in the catalog's own database, so a fresh replica starts
from one read instead of reading every procedure and indexing it again.

A snapshot is opaque bytes (``service/view.py`` encodes them) stored as a head document and chunks
(a document holds 16 MB at most):

- head ``{_id: <key>, kind: "head", snap: <key>, revision, seed, token, chunks, size, sha256, at}``;
- chunks ``{_id: "<key>/<token>/<n>", kind: "chunk", snap: <key>, token, n, data, at}``.

``key`` names the code that wrote it (a replica of other code reads and writes another key). A writer
stores its chunks under a fresh token, then swaps the head in only if it is newer than the head there
(or replaces a damaged one), then deletes the chunks of the head it replaced: a reader sees one whole
snapshot or, in a race, chunks that are gone, which it reads again. The sha256 catches the rest.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import Binary
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from dvckit import logs
from dvckit.mongo import unique_key
from dvckit.store import AlreadyExists

from .store import SNAPSHOTS

log = logs.get(__name__)
CHUNK = 4 * 1024 * 1024
OTHER_CODE_KEPT = timedelta(days=2)  # another code version's snapshot, for a rollout that goes back
ORPHANS_KEPT = timedelta(minutes=10)  # chunks of a writer that died before it swapped its head in


class CorruptSnapshot(ValueError):
    """The stored snapshot is not whole (missing chunks, other bytes than its checksum says)."""

    def __init__(self, why: str, token: str | None = None) -> None:
        super().__init__(why)
        self.token = token


@dataclass(frozen=True)
class Stored:
    revision: int
    seed: str
    token: str
    blob: bytes


class Snapshots:
    def __init__(self, db: AsyncDatabase[Any], key: str) -> None:
        self.coll = db[SNAPSHOTS]
        self.key = key

    async def head(self) -> dict[str, Any] | None:
        return await self.coll.find_one({"_id": self.key}, {"data": 0})

    async def read(self) -> Stored | None:
        """The snapshot of this code, or None; ``CorruptSnapshot`` when it is damaged. A head swapped
        while its chunks were read (another replica wrote a newer one) is read again."""
        for _ in range(3):
            head = await self.head()
            if head is None:
                return None
            token = str(head.get("token", ""))
            chunks = await self.coll.find({"snap": self.key, "kind": "chunk", "token": token}).to_list()
            chunks.sort(key=lambda c: c["n"])
            if len(chunks) != head.get("chunks") or [c["n"] for c in chunks] != list(range(len(chunks))):
                newer = await self.head()
                if newer is not None and newer.get("token") != token:
                    continue
                raise CorruptSnapshot("chunks missing", token)
            blob = b"".join(bytes(c["data"]) for c in chunks)
            if hashlib.sha256(blob).hexdigest() != head.get("sha256"):
                raise CorruptSnapshot("checksum differs", token)
            return Stored(int(head["revision"]), str(head.get("seed", "")), token, blob)
        return None

    async def write(self, revision: int, seed: str, blob: bytes, *, replacing: str | None = None) -> bool:
        """Store ``blob`` as the snapshot at ``revision`` unless one as new is there already (True when
        stored). ``replacing``: the token of a damaged snapshot, replaced whatever its revision."""
        now = datetime.now(UTC)
        token = secrets.token_hex(8)
        parts = [blob[i : i + CHUNK] for i in range(0, len(blob), CHUNK)] or [b""]
        for n, part in enumerate(parts):  # one at a time: each insert stays small on a busy server
            await self.coll.insert_one(
                {
                    "_id": f"{self.key}/{token}/{n}",
                    "kind": "chunk",
                    "snap": self.key,
                    "token": token,
                    "n": n,
                    "data": Binary(part),
                    "at": now,
                }
            )
        head = {
            "kind": "head",
            "snap": self.key,
            "revision": revision,
            "seed": seed,
            "token": token,
            "chunks": len(parts),
            "size": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "at": now,
        }
        # Older, or of another seed (a load taken over by other code), or the damaged one we read.
        older: list[dict[str, Any]] = [{"revision": {"$lt": revision}}, {"seed": {"$ne": seed}}]
        if replacing:
            older.append({"token": replacing})
        try:
            with unique_key():  # a head as new is there: the upsert's insert collides with it
                before = await self.coll.find_one_and_update(
                    {"_id": self.key, "$or": older},
                    {"$set": head},
                    upsert=True,
                    return_document=ReturnDocument.BEFORE,
                    projection={"token": 1},
                )
        except AlreadyExists:
            await self.coll.delete_many({"snap": self.key, "kind": "chunk", "token": token})
            return False
        gone = [before["token"]] if before and before.get("token") else []
        await self.coll.delete_many({"snap": self.key, "kind": "chunk", "token": {"$in": gone}})
        await self._tidy(token, now)
        return True

    async def _tidy(self, token: str, now: datetime) -> None:
        """Chunks no head names (a writer that died halfway), and other code's snapshots unused for days."""
        await self.coll.delete_many(
            {"snap": self.key, "kind": "chunk", "token": {"$ne": token}, "at": {"$lt": now - ORPHANS_KEPT}}
        )
        await self.coll.delete_many({"snap": {"$ne": self.key}, "at": {"$lt": now - OTHER_CODE_KEPT}})
