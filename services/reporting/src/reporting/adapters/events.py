"""The kept events (``events``): every event the service consumed, once, as it came, with when it was
applied. A rebuild folds them again; the lag (``applied_at − occurred_at``) is measured from them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any

from pymongo.errors import BulkWriteError, DuplicateKeyError

from dvckit.mongo import Repository, Session

from .store import EVENTS


class Events(Repository):
    collection = EVENTS

    async def keep(self, docs: list[dict[str, Any]], session: Session | None) -> None:
        """Keep ``docs`` (``_id``: the event id). The consumer hands over only events it has not recorded
        (``processed_events``), so these are new: plain inserts, several times cheaper than upserts on the
        stand-in. One kept already (a record lost, a replay) raises ``DuplicateKeyError``, which the
        consumer takes as a redelivery: the kept one and its ``applied_at`` stay as they were."""
        if not docs:
            return
        try:
            await self.coll.insert_many(docs, ordered=False, session=session)
        except BulkWriteError as e:
            errors = e.details.get("writeErrors") or []
            if errors and all(err.get("code") == 11000 for err in errors):
                raise DuplicateKeyError(errors[0].get("errmsg", "duplicate key"), 11000) from e
            raise

    async def of_dossiers(
        self, ids: Iterable[str], session: Session | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = defaultdict(list)
        projection = {"type": 1, "data": 1, "dossier_id": 1}
        async for e in self.coll.find({"dossier_id": {"$in": sorted(set(ids))}}, projection, session=session):
            out[e["dossier_id"]].append(e)
        return out

    async def by_dossier(self, batch: int = 2000) -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
        """Every dossier's events, one dossier at a time (in the order of their ids)."""
        current: str | None = None
        held: list[dict[str, Any]] = []
        cursor = self.coll.find(
            {"dossier_id": {"$type": "string"}}, {"type": 1, "data": 1, "dossier_id": 1}, batch_size=batch
        ).sort([("dossier_id", 1)])
        async for e in cursor:
            if e["dossier_id"] != current:
                if current is not None:
                    yield current, held
                current, held = e["dossier_id"], []
            held.append(e)
        if current is not None:
            yield current, held

    async def of_types(self, types: Iterable[str]) -> AsyncIterator[dict[str, Any]]:
        async for e in self.coll.find({"type": {"$in": list(types)}}, {"type": 1, "data": 1}):
            yield e
