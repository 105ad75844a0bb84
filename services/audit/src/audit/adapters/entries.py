"""The kept audit records (``entries``) and the streams' heads (``chains``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from dvckit.mongo import Repository, Session, window_find
from dvckit.paging import Window

from ..domain.chain import Head
from .store import CHAINS, ENTRIES, VERIFICATIONS

NEWEST_FIRST = [("at", -1), ("stream", 1), ("seq", -1)]


class ChainMoved(OperationFailure):
    """Another writer appended to the stream since this transaction read its head: the transaction is
    run again (labelled as MongoDB labels a write conflict), never parked."""

    def __init__(self, stream: str) -> None:
        super().__init__(
            f"the head of audit stream {stream!r} moved: retried",
            code=112,
            details={"codeName": "WriteConflict", "errorLabels": ["TransientTransactionError"]},
        )


class Entries(Repository):
    collection = ENTRIES

    async def known(self, ids: Iterable[str], session: Session | None = None) -> set[str]:
        return {
            d["_id"] async for d in self.coll.find({"_id": {"$in": list(ids)}}, {"_id": 1}, session=session)
        }

    async def append(self, records: list[dict[str, Any]], session: Session) -> None:
        """Insert chained records. A seq taken already (another replica appended first) is a conflict to
        retry (:class:`ChainMoved`), not a duplicate event."""
        if not records:
            return
        try:
            await self.coll.insert_many(records, session=session)
        except (BulkWriteError, DuplicateKeyError) as e:
            if isinstance(e, BulkWriteError):
                errors = e.details.get("writeErrors") or []
                # 11000: the seq taken; 112: a write conflict reported per write.
                if not errors or not all(err.get("code") in (11000, 112) for err in errors):
                    raise
            raise ChainMoved(records[0]["stream"]) from e

    async def page(self, query: Mapping[str, Any], *, window: Window) -> tuple[list[dict[str, Any]], int]:
        # The whole trail's size from the collection's count (no scan); a filtered one counted.
        total = (
            await self.coll.estimated_document_count()
            if not query
            else await self.coll.count_documents(dict(query))
        )
        # (at, stream, seq) is a total order of the trail: a keyset cursor.
        return await window_find(self.coll, query, NEWEST_FIRST, window), total

    async def each(self, query: Mapping[str, Any], batch: int = 1000) -> AsyncIterator[dict[str, Any]]:
        """Every record ``query`` finds, newest first, read in batches (an export)."""
        async for r in self.coll.find(dict(query), batch_size=batch).sort(NEWEST_FIRST):
            yield r

    async def stream(self, stream: str, after: int = 0, batch: int = 2000) -> AsyncIterator[dict[str, Any]]:
        """A stream's records after seq ``after``, in seq order (verification)."""
        cursor = self.coll.find({"stream": stream, "seq": {"$gt": after}}, batch_size=batch).sort("seq", 1)
        async for r in cursor:
            yield r

    async def streams(self) -> list[str]:
        return sorted(s for s in await self.coll.distinct("stream") if isinstance(s, str))

    async def oldest_at(self) -> datetime | None:
        """When the oldest record kept was written (None: the trail is empty)."""
        first = await self.coll.find_one({}, {"at": 1}, sort=[("at", 1)])
        return first["at"] if first else None

    async def prefix_before(
        self, stream: str, after: int, cutoff: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` records of ``stream`` after seq ``after``, in seq order, while each is older
        than ``cutoff``: the start of the stream that retention may prune."""
        out: list[dict[str, Any]] = []
        cursor = (
            self.coll.find(
                {"stream": stream, "seq": {"$gt": after}}, {"seq": 1, "hash": 1, "at": 1}, batch_size=limit
            )
            .sort("seq", 1)
            .limit(limit)
        )
        async for r in cursor:
            if r["at"] >= cutoff:
                break
            out.append(r)
        return out

    async def remove_through(self, stream: str, after: int, through: int, session: Session) -> int:
        result = await self.coll.delete_many(
            {"stream": stream, "seq": {"$gt": after, "$lte": through}}, session=session
        )
        return result.deleted_count


def _head(doc: Mapping[str, Any] | None, stream: str) -> Head:
    doc = doc or {}
    return Head(
        stream=stream,
        seq=int(doc.get("seq", 0)),
        hash=str(doc.get("hash", "")),
        pruned_through=int(doc.get("pruned_through", 0)),
        pruned_hash=str(doc.get("pruned_hash", "")),
    )


class Chains(Repository):
    collection = CHAINS

    async def heads(self, streams: Iterable[str], session: Session | None = None) -> dict[str, Head]:
        wanted = sorted(set(streams))
        found = {d["_id"]: d async for d in self.coll.find({"_id": {"$in": wanted}}, session=session)}
        return {s: _head(found.get(s), s) for s in wanted}

    async def head(self, stream: str, session: Session | None = None) -> Head:
        return _head(await self.coll.find_one({"_id": stream}, session=session), stream)

    async def all(self) -> list[Head]:
        return [_head(d, d["_id"]) async for d in self.coll.find({}).sort("_id", 1)]

    async def move(self, old: Head, new: Head, at: datetime, session: Session) -> None:
        """Move a stream's head from ``old`` (as read in this transaction) to ``new``; a head that moved
        meanwhile (another replica) raises :class:`ChainMoved`."""
        if old.seq == 0:
            try:
                await self.coll.insert_one(
                    {"_id": new.stream, "seq": new.seq, "hash": new.hash, "updated_at": at}, session=session
                )
            except DuplicateKeyError as e:
                raise ChainMoved(new.stream) from e
            return
        result = await self.coll.update_one(
            {"_id": new.stream, "seq": old.seq, "hash": old.hash},
            {"$set": {"seq": new.seq, "hash": new.hash, "updated_at": at}},
            session=session,
        )
        if result.matched_count != 1:
            raise ChainMoved(new.stream)

    async def checkpoint(
        self, stream: str, after: int, through: int, hash_: str, at: datetime, session: Session
    ) -> bool:
        """Move the stream's checkpoint from ``after`` to ``through`` (its records up to ``through`` are
        pruned; ``hash_``: the last one's). False when the checkpoint is no longer at ``after`` (another
        replica pruned meanwhile): the caller gives up its round."""
        where: dict[str, Any] = {"_id": stream, "pruned_through": after if after else {"$in": [0, None]}}
        result = await self.coll.update_one(
            where,
            {"$set": {"pruned_through": through, "pruned_hash": hash_, "pruned_at": at}},
            session=session,
        )
        return result.matched_count == 1


class Verifications(Repository):
    """Each run of ``dvc-audit verify`` over the whole trail: when it ended and how many findings it had
    (the findings themselves are in its output). The service reports the last one on /metrics."""

    collection = VERIFICATIONS

    async def record(self, at: datetime, streams: int, checked: int, findings: int) -> None:
        await self.coll.insert_one({"at": at, "streams": streams, "checked": checked, "findings": findings})

    async def last(self) -> dict[str, Any] | None:
        return await self.coll.find_one({}, sort=[("at", -1)])
