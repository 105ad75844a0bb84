"""Reading the reports: the indexes of a unit and period, the dossiers behind a number, the monthly trend,
the ranking of agencies or communes, the overdue list, the units a caller may choose, the public
scorecard. Every figure comes from the counters (a period is a dozen rows or so: domain/periods.py), the
open list and the catalogue held in memory; no answer reads the facts except the drill-down."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, tzinfo
from datetime import time as clock_time
from math import ceil
from typing import Any

from dvckit.paging import Window

from ..adapters import drill
from ..adapters.counters import Counters
from ..adapters.drill import unit_filter
from ..adapters.facts import Facts
from ..adapters.opened import Opened
from ..domain.catalogue import Tally
from ..domain.fold import OPEN_ROW, counter_id, open_counts
from ..domain.indexes import (
    CATALOGUE_COMPONENTS,
    COMPONENTS,
    COUNT_KEYS,
    INDEX_METRICS,
    MAX_SCORE,
    counts,
    evaluate,
    summed_rows,
)
from ..domain.periods import BadPeriod, Period, last_months, period, pieces
from ..domain.units import CITY, Caller, Directory, Kind, Unit
from . import errors
from .reference import Reference

Clock = Callable[[], datetime]
FIELD_SECONDS = 60.0  # how long the list of fields is reused
# The public scorecard is the same for everyone and asked without signing in: one computation a minute
# and a replica, whatever the traffic (its answer says public, max-age=300 to caches in between).
SCORECARD_SECONDS = 60.0


def _now() -> datetime:
    return datetime.now(UTC)


def _rows_ids(unit: Unit, field: str | None, p: Period) -> list[str]:
    days, months = pieces(p)
    f = field or "*"
    return [counter_id(unit.key, f, "d", d) for d in days] + [counter_id(unit.key, f, "m", m) for m in months]


class Reports:
    def __init__(
        self,
        zone: tzinfo,
        counters: Counters,
        opened: Opened,
        facts: Facts,
        reference: Reference,
        clock: Clock = _now,
    ) -> None:
        self.zone = zone
        self.counters, self.opened, self.facts, self.reference = counters, opened, facts, reference
        self.clock = clock
        self._fields: tuple[float, list[str]] = (0.0, [])
        self._scorecards: dict[int, tuple[float, dict[str, Any]]] = {}

    def today(self, now: datetime | None = None) -> date:
        return (now or self.clock()).astimezone(self.zone).date()

    def midnight(self, now: datetime) -> datetime:
        """The start of today, local, as a moment."""
        return datetime.combine(self.today(now), clock_time(), self.zone).astimezone(UTC)

    async def _open_of(
        self, unit: Unit, field: str | None, row: Mapping[str, int], now: datetime
    ) -> tuple[int, int]:
        late_today = await self.opened.due_between(
            unit_filter(unit.kind, unit.code, field), self.midnight(now), now
        )
        return open_counts(dict(row), self.today(now).isoformat(), late_today)

    async def _open_by_unit(self, kind: Kind, field: str | None, now: datetime) -> dict[str, tuple[int, int]]:
        """Every unit of ``kind``'s (within time, overdue): their open rows and today's late ones."""
        rows = await self.counters.of_kind(kind, field or "*", opened=True)
        if kind == "city":
            today = {
                "city": await self.opened.due_between(
                    unit_filter("city", None, field), self.midnight(now), now
                )
            }
        else:
            key = "agency_code" if kind == "agency" else "commune"
            got = await self.opened.due_between_by(key, field, self.midnight(now), now)
            today = {f"{kind}:{k}": n for k, n in got.items()}
        day = self.today(now).isoformat()
        return {r["u"]: open_counts(r.get("m") or {}, day, today.get(r["u"], 0)) for r in rows}

    # -- who and what ------------------------------------------------------------------------------
    async def scope(self, who: Caller, unit_key: str | None) -> tuple[Directory, Unit]:
        """The unit asked for (the widest the caller may see when none is): 403 for a caller who sees no
        report or a unit not theirs, 422 for a unit that does not exist."""
        if not (who.admin or who.leader):
            raise errors.FORBIDDEN
        directory = await self.reference.directory()
        if unit_key is None or unit_key == "":
            mine = directory.choosable(who)
            if not mine:
                raise errors.UNIT_FORBIDDEN
            return directory, mine[0]
        unit = Unit.parse(unit_key)
        if unit is None or not directory.known(unit):
            raise errors.UNKNOWN_UNIT
        if not directory.allowed(who, unit):
            raise errors.UNIT_FORBIDDEN
        return directory, unit

    def period(self, start: str | None, end: str | None, now: datetime) -> Period:
        try:
            return period(start, end, self.today(now))
        except BadPeriod as e:
            name = "to" if "'to'" in e.en and "'from'" not in e.en else "from"
            raise errors.bad_period(name, e.vi, e.en) from None

    # -- the indexes ---------------------------------------------------------------------------------
    async def _figures(
        self,
        directory: Directory,
        tally: Tally,
        unit: Unit,
        field: str | None,
        summed: Mapping[str, int],
        open_counts: tuple[int, int],
        overdue_counts: bool,
    ) -> tuple[dict[str, Any], float | None, list[dict[str, Any]]]:
        c = counts(summed, *open_counts)
        agency = directory.agencies.get(unit.code or "") if unit.kind == "agency" else None
        score, indexes = evaluate(c, tally.count(unit, agency, field), overdue_counts=overdue_counts)
        return c, score, indexes

    async def indexes(
        self, who: Caller, start: str | None, end: str | None, unit_key: str | None, field: str | None
    ) -> dict[str, Any]:
        now = self.clock()
        p = self.period(start, end, now)
        directory, unit = await self.scope(who, unit_key)
        return await self.indexes_of(directory, unit, p, field, now)

    async def indexes_of(
        self, directory: Directory, unit: Unit, p: Period, field: str | None, now: datetime
    ) -> dict[str, Any]:
        open_id = counter_id(unit.key, field or "*", *OPEN_ROW)
        rows = await self.counters.read([*_rows_ids(unit, field, p), open_id])
        open_row = next((r.get("m") or {} for r in rows if r["_id"] == open_id), {})
        open_counts_ = await self._open_of(unit, field, open_row, now)
        tally = await self.reference.tally()
        c, score, indexes = await self._figures(
            directory,
            tally,
            unit,
            field,
            summed_rows([r for r in rows if r["_id"] != open_id]),
            open_counts_,
            p.reaches(self.today(now)),
        )
        return {
            "from": p.start.isoformat(),
            "to": p.end.isoformat(),
            "unit": directory.out(unit),
            "field": field,
            "as_of": now,
            "score": score,
            "max": MAX_SCORE,
            "indexes": indexes,
            "counts": c,
        }

    # -- the dossiers behind a number ------------------------------------------------------------------
    async def dossiers(
        self,
        who: Caller,
        start: str | None,
        end: str | None,
        unit_key: str | None,
        field: str | None,
        metric: str,
        window: Window,
    ) -> dict[str, Any]:
        now = self.clock()
        p = self.period(start, end, now)
        if metric in CATALOGUE_COMPONENTS:
            raise errors.NO_DOSSIERS
        if metric not in drill.DRILLABLE or (metric not in COUNT_KEYS and metric not in COMPONENTS):
            raise errors.UNKNOWN_METRIC
        _, unit = await self.scope(who, unit_key)
        query, order = drill.query(
            metric,
            p.start.isoformat(),
            p.end.isoformat(),
            unit.kind,
            unit.code,
            field,
            now,
            p.reaches(self.today(now)),
        )
        docs, total = await self.facts.page(query, window=window, sort=order)
        items = [item(d) for d in docs]
        return {"items": items, "total": total, "page": window.page, "limit": window.size}

    # -- months --------------------------------------------------------------------------------------
    async def _months(
        self,
        directory: Directory,
        units: list[Unit],
        kind: Kind,
        field: str | None,
        months: list[str],
        now: datetime,
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """For each unit (all of one kind) and month: score, index values, received, finished, on time."""
        rows = await self.counters.of_kind(
            kind, field or "*", months=months, metrics=(*INDEX_METRICS, "finished_on_time")
        )
        by_unit: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
        for r in rows:
            by_unit[r["u"]][r["p"]].append(r)
        current = last_months(self.today(now), 1)[0]
        overdue: dict[str, int] = {}
        if current in months:
            overdue = {u: late for u, (_, late) in (await self._open_by_unit(kind, field, now)).items()}
        tally = await self.reference.tally()
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for unit in units:
            per: dict[str, dict[str, Any]] = {}
            for month in months:
                summed = summed_rows(by_unit.get(unit.key, {}).get(month, []))
                late = overdue.get(unit.key, 0) if month == current else 0
                c, score, indexes = await self._figures(
                    directory, tally, unit, field, summed, (0, late), month == current
                )
                per[month] = month_entry(month, c, score, indexes)
            out[unit.key] = per
        return out

    async def trend(
        self, who: Caller, months: int, unit_key: str | None, field: str | None
    ) -> dict[str, Any]:
        now = self.clock()
        directory, unit = await self.scope(who, unit_key)
        wanted = last_months(self.today(now), months)
        if unit.kind == "city":
            got = await self._months(directory, [unit], "city", field, wanted, now)
        else:
            got = await self._months_of_one(directory, unit, field, wanted, now)
        return {"unit": directory.out(unit), "field": field, "months": list(got[unit.key].values())}

    async def _months_of_one(
        self, directory: Directory, unit: Unit, field: str | None, months: list[str], now: datetime
    ) -> dict[str, dict[str, dict[str, Any]]]:
        # One unit's month rows by exact ids (not every unit of its kind).
        ids = [counter_id(unit.key, field or "*", "m", m) for m in months]
        rows = {r["_id"]: r for r in await self.counters.read(ids)}
        current = last_months(self.today(now), 1)[0]
        tally = await self.reference.tally()
        open_id = counter_id(unit.key, field or "*", *OPEN_ROW)
        got = await self.counters.read([open_id])
        late = (await self._open_of(unit, field, got[0].get("m") or {} if got else {}, now))[1]
        per: dict[str, dict[str, Any]] = {}
        for month, cid in zip(months, ids, strict=True):
            summed = summed_rows([rows[cid]] if cid in rows else [])
            c, score, indexes = await self._figures(
                directory, tally, unit, field, summed, (0, late if month == current else 0), month == current
            )
            per[month] = month_entry(month, c, score, indexes)
        return {unit.key: per}

    # -- the ranking -----------------------------------------------------------------------------------
    async def ranking(
        self, who: Caller, start: str | None, end: str | None, kind: Kind, field: str | None
    ) -> dict[str, Any]:
        now = self.clock()
        p = self.period(start, end, now)
        if not (who.admin or who.leader):
            raise errors.FORBIDDEN
        directory = await self.reference.directory()
        if not directory.sees_city(who):
            raise errors.RANKING_FORBIDDEN
        return await self.ranking_of(directory, p, kind, field, now)

    async def ranking_of(
        self, directory: Directory, p: Period, kind: Kind, field: str | None, now: datetime
    ) -> dict[str, Any]:
        days, months = pieces(p)
        rows = await self.counters.of_kind(
            kind, field or "*", days=days, months=months, metrics=INDEX_METRICS
        )
        by_unit: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            by_unit[r["u"]].append(r)
        reaches = p.reaches(self.today(now))
        overdue: dict[str, int] = {}
        if reaches:
            overdue = {u: late for u, (_, late) in (await self._open_by_unit(kind, field, now)).items()}
        tally = await self.reference.tally()
        items = []
        for unit in directory.all_units(kind):
            c, score, indexes = await self._figures(
                directory,
                tally,
                unit,
                field,
                summed_rows(by_unit.get(unit.key, [])),
                (0, overdue.get(unit.key, 0)),
                reaches,
            )
            items.append(
                {
                    "unit": directory.out(unit),
                    "score": score,
                    "indexes": {i["key"]: i["value"] for i in indexes},
                    "received": c["received"],
                    "finished": c["finished"],
                }
            )
        # Best first; units nothing can be measured of last; equal scores by volume, then by key.
        items.sort(key=lambda i: (i["score"] is None, -(i["score"] or 0), -i["received"], i["unit"]["key"]))
        return {
            "kind": kind,
            "from": p.start.isoformat(),
            "to": p.end.isoformat(),
            "field": field,
            "items": items,
        }

    # -- the overdue list ------------------------------------------------------------------------------
    async def overdue(self, who: Caller, unit_key: str | None, limit: int) -> dict[str, Any]:
        now = self.clock()
        directory, unit = await self.scope(who, unit_key)
        docs = await self.opened.overdue(unit_filter(unit.kind, unit.code, None), now, limit)
        return {
            "unit": directory.out(unit),
            "as_of": now,
            "items": [
                {
                    "id": d["_id"],
                    "code": d.get("code"),
                    "procedure_name": d.get("procedure_name"),
                    "agency_name": d.get("agency_name"),
                    "legal_due_at": d.get("legal_due_at"),
                    # Calendar days begun since the due time (a dossier an hour late is one day late).
                    "days_overdue": max(1, ceil((now - d["legal_due_at"]).total_seconds() / 86400)),
                    "holder": d.get("holder"),
                    "step": d.get("step"),
                }
                for d in docs
            ],
        }

    # -- what a caller may choose ----------------------------------------------------------------------
    async def units(self, who: Caller) -> dict[str, Any]:
        if not (who.admin or who.leader):
            raise errors.FORBIDDEN
        directory = await self.reference.directory()
        return {"units": [directory.out(u) for u in directory.choosable(who)], "fields": await self.fields()}

    async def fields(self) -> list[str]:
        at, cached = self._fields
        if time.monotonic() - at < FIELD_SECONDS and cached:
            return cached
        tally = await self.reference.tally()
        names = sorted(set(await self.counters.fields()) | set(tally.fields))
        self._fields = (time.monotonic(), names)
        return names

    # -- the public scorecard --------------------------------------------------------------------------
    async def scorecard(self, months: int) -> dict[str, Any]:
        at, body = self._scorecards.get(months, (0.0, {}))
        if body and time.monotonic() - at < SCORECARD_SECONDS:
            return body
        body = await self._scorecard(months)
        self._scorecards[months] = (time.monotonic(), body)
        return body

    async def _scorecard(self, months: int) -> dict[str, Any]:
        now = self.clock()
        wanted = last_months(self.today(now), months)
        directory = await self.reference.directory()
        city = await self._months(directory, [CITY], "city", None, wanted, now)
        communes = directory.all_units("commune")
        per = await self._months(directory, communes, "commune", None, wanted, now)

        def card(unit: Unit, data: dict[str, dict[str, Any]]) -> dict[str, Any]:
            return {
                "unit": directory.out(unit),
                "months": [
                    {"month": m, "score": data[m]["score"], "indexes": data[m]["indexes"]} for m in wanted
                ],
            }

        return {
            "months": wanted,
            "as_of": now,
            "city": card(CITY, city["city"]),
            "communes": [card(u, per[u.key]) for u in communes],
        }


def item(d: Mapping[str, Any]) -> dict[str, Any]:
    rating = d.get("rating")
    return {
        "id": d["_id"],
        "code": d.get("code"),
        "procedure_code": d.get("procedure_code"),
        "procedure_name": d.get("procedure_name"),
        "agency_code": d.get("agency_code"),
        "agency_name": d.get("agency_name"),
        "commune": d.get("commune_name"),
        "field": d.get("field"),
        "status": d.get("status"),
        "status_code": d.get("status_code"),
        "channel": d.get("channel"),
        "received_at": d.get("received_at"),
        "legal_due_at": d.get("legal_due_at"),
        "finished_at": d.get("finished_at"),
        "on_time": d.get("on_time"),
        "holder": d.get("holder"),
        "rating": {"scores": rating["scores"], "comment": rating.get("comment")} if rating else None,
    }


def month_entry(
    month: str, c: dict[str, Any], score: float | None, indexes: list[dict[str, Any]]
) -> dict[str, Any]:
    """One month of a trend or of the scorecard: the score, each index's value and the main counts."""
    return {
        "month": month,
        "score": score,
        "indexes": {i["key"]: i["value"] for i in indexes},
        "received": c["received"],
        "finished": c["finished"],
        "finished_on_time": c["finished_on_time"],
    }
