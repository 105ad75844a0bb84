"""The counters (``counters``): one document a grain (``d`` day, ``m`` month), period, unit and field,
``m`` holding each metric's sum. ``_id`` is ``<unit>|<field>|<grain>|<period>`` (domain/fold.counter_id),
so a unit's period is read by its exact ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import InsertOne, UpdateOne

from dvckit.mongo import Repository, Session

from ..domain.fold import split_counter_id
from .store import COUNTERS


def _meta(cid: str) -> dict[str, Any]:
    unit, field, grain, period = split_counter_id(cid)
    return {"u": unit, "k": unit.split(":", 1)[0], "f": field, "g": grain, "p": period}


class Counters(Repository):
    collection = COUNTERS

    async def apply(self, moves: Mapping[str, Mapping[str, int]], session: Session | None) -> None:
        """Move each counter by its metrics' changes (created at the first one), in one round trip."""
        ops = [
            UpdateOne(
                {"_id": cid},
                {"$inc": {f"m.{k}": n for k, n in metrics.items()}, "$setOnInsert": _meta(cid)},
                upsert=True,
            )
            for cid, metrics in sorted(moves.items())
            if metrics
        ]
        if ops:
            await self.coll.bulk_write(ops, ordered=False, session=session)

    async def insert(self, sums: Mapping[str, Mapping[str, int]], batch: int = 5000) -> None:
        """Write counters from scratch (a rebuild, the benchmark): plain inserts, in large batches."""
        docs = [{"_id": cid, **_meta(cid), "m": dict(m)} for cid, m in sums.items() if any(m.values())]
        for i in range(0, len(docs), batch):
            await self.coll.bulk_write([InsertOne(d) for d in docs[i : i + batch]], ordered=False)

    async def read(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        return await self.coll.find({"_id": {"$in": list(ids)}}, {"m": 1}).to_list()

    async def of_kind(
        self,
        kind: str,
        field: str,
        days: Iterable[str] = (),
        months: Iterable[str] = (),
        opened: bool = False,
        metrics: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Every unit of ``kind``'s rows: day rows of ``days``, month rows of ``months``, and (``opened``)
        the open rows. One query a grain, so each reads its own stretch of the index. ``metrics``: only
        these of the day and month rows (hundreds of units' rows: less to send)."""
        wanted: list[dict[str, Any]] = []
        if months := sorted(set(months)):
            wanted.append({"g": "m", "p": {"$in": months}})
        if days := sorted(set(days)):
            wanted.append({"g": "d", "p": {"$in": days}})
        if opened:
            wanted.append({"g": "o"})
        whole = {"u": 1, "g": 1, "p": 1, "m": 1}
        some = whole if metrics is None else {"u": 1, "g": 1, "p": 1, **{f"m.{k}": 1 for k in metrics}}
        out: list[dict[str, Any]] = []
        for q in wanted:
            # The open row's keys are due days: always whole.
            out += await self.coll.find(
                {"k": kind, "f": field, **q}, whole if q["g"] == "o" else some
            ).to_list()
        return out

    async def fields(self) -> list[str]:
        return sorted(f for f in await self.coll.distinct("f", {"k": "city"}) if f != "*")

    async def clear(self) -> None:
        await self.coll.delete_many({})

    async def everything(self) -> list[dict[str, Any]]:
        return await self.coll.find({}).sort([("_id", 1)]).to_list()
