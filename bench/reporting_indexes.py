"""The reporting service's index query over a year of the whole city, with a million dossiers' events.

    .venv/bin/python bench/reporting_indexes.py [--dossiers 1000000] [--queries 30] [--facts 50000]

1. Generates one year (2025) of events for ``--dossiers`` dossiers, as submission and payment publish
   them: the procedures of the committed catalogue seed, chosen by their national popularity, filed where
   the catalog's routing files them (a commune body of one of the 114 communes, or the city agency that
   receives them), with their fields; online or at the counter, fees paid online or not, supplements,
   finished on time or late, refused, withdrawn, rated, a few still open (some overdue).
2. Folds each dossier's events with the rebuild's code (``domain.fold.fold``, ``domain.totals.Totals``)
   and writes the read models into a MongoDB stand-in (secantusdb) of its own with bulk writes: every
   counter, the open list, the agency directory and the catalogue; the facts of a sample only
   (``--facts``: the index query, the ranking and the scorecard never read facts; the stand-in writes
   about 1,400 single documents a second, see the result's ``write`` figures for the bulk rate).
3. Starts the reporting service in-process on that database and times, ``--queries`` times each,
   ``GET /api/v1/reporting/indexes`` for the whole city over the year (and for one field, and a commune
   over a ragged period), the ranking of communes and of agencies, the trend and the public scorecard:
   median and p95 (goal: the index query under 200 ms).
4. Applies fresh events through the consumer's batch path (``Ingest.batch``, 32 events a transaction) on
   top of that database: events a second one replica keeps up with.

Results: bench/results/reporting_indexes.json.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, options, pct, save

from catalog.adapters.data_files import seed as agency_seed
from catalog.config import DEFAULT_SEED
from catalog.service.catalog import read_seed
from catalog.service.view import routing_of
from devstack.config import StackConfig
from devstack.infra import Mongo
from devstack.testing import free_port, running, trust_test_tokens
from dvckit import mongo
from dvckit.events import Envelope
from reporting.adapters.store import SCHEMA
from reporting.config import Settings
from reporting.domain.catalogue import Procedure
from reporting.domain.fold import fold
from reporting.domain.totals import Totals
from reporting.domain.units import Agency, Directory
from reporting.main import create_app, stores

ZONE_OFFSET = timedelta(hours=7)
YEAR = 2025
P = "/api/v1/reporting"


def directory() -> tuple[list[dict[str, Any]], Directory]:
    docs = [a.model_dump(mode="json") for a in agency_seed()]
    return docs, Directory.of(Agency.of(d) for d in docs)


def catalogue() -> tuple[list[Procedure], list[tuple[Any, Any]]]:
    """The committed seed as the reporting catalogue, and the fileable procedures with their routing."""
    procs, fileable = [], []
    for p in read_seed(DEFAULT_SEED):
        r = routing_of(p)
        procs.append(
            Procedure(
                code=p.code,
                version=p.version,
                published=p.status == "published",
                field=p.field,
                detailed=p.detailed,
                full_online=p.online_level == "full",
                level=r.level,
                receivers=tuple(r.receivers),
                commune_body=r.commune_body,
            )
        )
        if p.status == "published" and r.fileable_here and (r.level == "commune" or r.receivers):
            fileable.append((p, r))
    return procs, fileable


class Generator:
    """One dossier's events at a time, as dicts shaped like the kept events; times as datetimes (the fold
    reads ISO text, as events travel, or datetimes alike: parsing text would add about 10 % to the fold)."""

    def __init__(self, d: Directory, fileable: list[tuple[Any, Any]], now: datetime, seed: int = 766) -> None:
        self.rnd = random.Random(seed)
        self.now = now
        self.fileable = fileable
        self.weights = [1 + (p.popularity or 0) ** 0.5 for p, _ in fileable]
        bodies: dict[str, list[str]] = {}
        for a in d.agencies.values():
            if a.level == "commune" and a.ward_code:
                bodies.setdefault(a.kind, []).append(a.code)
        self.bodies = bodies
        self.names = {a.code: a.name for a in d.agencies.values()}
        self.start = datetime(YEAR, 1, 1, tzinfo=UTC) - ZONE_OFFSET
        self.n = 0

    def pick(self, k: int) -> list[tuple[Any, Any]]:
        return self.rnd.choices(self.fileable, weights=self.weights, k=k)

    def dossier(self, choice: tuple[Any, Any]) -> tuple[str, list[dict[str, Any]]]:
        rnd = self.rnd
        p, r = choice
        if r.level == "commune":
            agency = rnd.choice(
                self.bodies.get(r.commune_body or "people_committee") or self.bodies["people_committee"]
            )
        else:
            agency = r.receivers[0]
        self.n += 1
        did = str(uuid.UUID(int=self.n))
        base = {
            "dossier_id": did,
            "code": f"{agency}-25-{self.n:07d}",
            "owner_id": "u",
            "procedure_code": p.code,
            "procedure_name": p.name,
            "agency_code": agency,
            "agency_name": self.names.get(agency, agency),
        }
        filed = self.start + timedelta(seconds=rnd.randrange(365 * 86400))
        channel = "online" if rnd.random() < 0.72 else "counter"
        fee = rnd.choice((0, 0, 0, 20000, 50000, 100000))
        n_comp = rnd.randint(1, 5)
        digital = n_comp if channel == "online" or rnd.random() < 0.4 else rnd.randint(0, n_comp - 1)
        legal_days = float(rnd.choice((1, 3, 5, 7, 10, 15, 20)))
        rev = 1
        evs: list[dict[str, Any]] = []

        def add(kind: str, **data: Any) -> None:
            evs.append({"_id": f"{self.n}.{len(evs)}", "type": kind, "data": {**base, **data}})

        def status(old: int, new: int, t: datetime, **kw: Any) -> None:
            nonlocal rev
            rev += 1
            add(
                "dossier.status_changed.v1",
                old_status="s",
                new_status="s",
                old_status_code=old,
                new_status_code=new,
                actor_role="x",
                changed_at=t,
                rev=rev,
                submitted_at=filed,
                channel=channel,
                legal_days=legal_days,
                **kw,
            )

        add(
            "dossier.submitted.v1",
            procedure_version=1,
            submitted_at=filed,
            fee_total=fee,
            channel=channel,
            field=p.field,
            components_filed=n_comp,
            components_digital=digital,
        )
        if fee and channel == "online" and rnd.random() < 0.55:
            add(
                "payment.succeeded.v1",
                order_id="o",
                dossier_code=base["code"],
                purpose="filing",
                amount=fee,
                provider="vnpay",
                provider_txn="1",
                paid_at=(filed + timedelta(minutes=3)),
                receipt_no="r",
            )
        roll = rnd.random()
        accepted = filed + timedelta(hours=rnd.randint(1, 30))
        if roll < 0.03:
            status(1, 3, accepted)
            return did, evs
        due = accepted + timedelta(days=legal_days * 1.4)
        status(1, 2, accepted, legal_due_at=due)
        rev += 1
        add(
            "dossier.step_changed.v1",
            status="accepted",
            status_code=2,
            action="assign",
            step="handling",
            from_agency_code=agency,
            assignee_id=f"sp{rnd.randint(1, 9)}",
            assignee_name="Chuyên viên",
            changed_at=(accepted + timedelta(hours=1)),
            rev=rev,
        )
        t = accepted + timedelta(hours=2)
        if rnd.random() < 0.12:
            status(2, 5, t + timedelta(days=1))
            status(5, 4, t + timedelta(days=3))
            due += timedelta(days=2)
        if roll < 0.05:
            status(4, 7, t + timedelta(days=2))
            return did, evs
        if due > self.now or roll > 0.985:  # still open: within time, or overdue (the last 1.5 %)
            if roll > 0.985 and due > self.now:
                due = self.now - timedelta(days=rnd.randint(1, 20))
            status(2, 4, t, legal_due_at=due)
            return did, evs
        on_time = rnd.random() < 0.9
        done = (
            due - timedelta(days=rnd.random() * legal_days)
            if on_time
            else due + timedelta(days=rnd.randint(1, 9))
        )
        used = round(rnd.uniform(0.5, 1.0) * legal_days if on_time else legal_days + rnd.randint(1, 6), 1)
        fin = {
            "finished_at": done,
            "on_time": on_time,
            "digital_result": rnd.random() < 0.6,
            "used_days": used,
        }
        status(4, 9, done, **fin)
        status(9, 10, done + timedelta(days=1), **fin)
        if rnd.random() < 0.3:
            s = rnd.choices((5, 4, 3, 2, 1), weights=(50, 30, 10, 6, 4))[0]
            add(
                "dossier.rated.v1",
                scores={"overall": s, "reception": s, "guidance": s, "time": s, "result": s},
                comment=None,
                status_code=10,
                rated_at=(done + timedelta(days=2)),
            )
        return did, evs


async def write(
    db: Any,
    d_docs: list[dict[str, Any]],
    procs: list[Procedure],
    counters: dict[str, dict[str, int]],
    facts: list[dict[str, Any]],
    opened: list[dict[str, Any]],
) -> dict[str, Any]:
    s = stores(db)
    out: dict[str, Any] = {}
    await s.agencies.put(d_docs)
    await s.procedures.insert_many(procs)
    t = time.perf_counter()
    await s.counters.insert(counters)
    out["counters"] = {"documents": len(counters), "seconds": round(time.perf_counter() - t, 1)}
    t = time.perf_counter()
    await s.opened.insert_many(opened)
    out["open_dossiers"] = {
        "documents": sum(1 for f in opened if f["open"]),
        "seconds": round(time.perf_counter() - t, 1),
    }
    t = time.perf_counter()
    for i in range(0, len(facts), 5000):
        await s.facts.insert_many(facts[i : i + 5000])
    secs = time.perf_counter() - t
    out["facts_sample"] = {
        "documents": len(facts),
        "seconds": round(secs, 1),
        "per_second": round(len(facts) / secs) if secs else None,
    }
    for v in out.values():
        if v["seconds"]:
            v["per_second"] = round(v["documents"] / v["seconds"])
    return out


async def timed(
    http: Any, headers: dict[str, str], path: str, n: int, forget: Any = None, **params: Any
) -> dict[str, Any]:
    xs = []
    body = None
    for _ in range(n):
        if forget is not None:
            forget()  # time the computation, not the service's short cache of it
        t = time.perf_counter()
        r = await http.get(f"{P}{path}", params=params, headers=headers)
        xs.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
        body = r.json()
    return {
        "median_ms": round(statistics.median(xs) * 1000, 1),
        "p95_ms": pct(xs, 0.95),
        "max_ms": round(max(xs) * 1000, 1),
        "queries": n,
        "_body": body,
    }


async def ingest_rate(app: Any, gen: Generator, dossiers: int) -> dict[str, Any]:
    """Fresh dossiers' events applied as the consumer applies them: batches of 32, one transaction each."""
    rt, ingest = app.state.runtime, app.state.parts.ingest
    envs = []
    for choice in gen.pick(dossiers):
        _, evs = gen.dossier(choice)
        for e in evs:
            kind, version = e["type"].rsplit(".v", 1)
            data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in e["data"].items()}
            envs.append(
                Envelope(
                    id=uuid.uuid4(),
                    type=kind,
                    version=int(version),
                    occurred_at=datetime.now(UTC),
                    producer="bench",
                    data=data,
                )
            )
    random.Random(1).shuffle(envs)  # as several producers' events interleave
    batches = [envs[i : i + 32] for i in range(0, len(envs), 32)]
    lat = []
    t0 = time.perf_counter()
    for b in batches:
        t = time.perf_counter()
        await mongo.transaction(rt.client, lambda s, b=b: ingest.batch(b, s))
        lat.append(time.perf_counter() - t)
    took = time.perf_counter() - t0
    return {
        "events": len(envs),
        "batches": len(batches),
        "seconds": round(took, 2),
        "events_per_second": round(len(envs) / took),
        "batch_p50_ms": pct(lat, 0.5),
        "batch_p95_ms": pct(lat, 0.95),
    }


async def serve_and_time(
    url: str, db_name: str, queries: int, gen: Generator, fields: list[str], ward: str
) -> dict[str, Any]:
    settings = Settings(
        env="development",
        mongo_url=url,
        mongo_db=db_name,
        consume=False,
        amqp_url=f"amqp://guest:guest@127.0.0.1:{free_port()}/",
        catalog_url=f"http://127.0.0.1:{free_port()}",
    )
    app = create_app(settings)
    trust_test_tokens(app)
    admin = {"Authorization": f"Bearer {app.state.test_token('admin', roles=['admin'])}"}
    year = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}
    out: dict[str, Any] = {}
    async with running(app) as http:
        await timed(http, admin, "/indexes", 3, unit="city", **year)  # warm: the directory and catalogue
        out["indexes_city_year"] = await timed(http, admin, "/indexes", queries, unit="city", **year)
        out["indexes_city_year_field"] = await timed(
            http, admin, "/indexes", queries, unit="city", field=fields[0], **year
        )
        out["indexes_commune_ragged"] = await timed(
            http,
            admin,
            "/indexes",
            queries,
            unit=f"commune:{ward}",
            **{"from": f"{YEAR}-02-14", "to": f"{YEAR}-11-20"},
        )
        out["ranking_communes_year"] = await timed(http, admin, "/ranking", queries, kind="commune", **year)
        out["ranking_agencies_year"] = await timed(http, admin, "/ranking", queries, kind="agency", **year)
        out["trend_city_12_months"] = await timed(http, admin, "/trend", queries, unit="city", months=12)
        cards = app.state.parts.reports._scorecards
        out["public_scorecard_12_months"] = await timed(
            http, {}, "/public/scorecard", queries, forget=cards.clear, months=12
        )
        out["ingest"] = await ingest_rate(app, gen, 2000)
    body = out["indexes_city_year"].pop("_body")
    for v in out.values():
        v.pop("_body", None)
    out["city_year_answer"] = {
        "score": body["score"],
        "counts": body["counts"],
        "indexes": {i["key"]: i["value"] for i in body["indexes"]},
    }
    return out


def main() -> None:
    args = options(dossiers=1_000_000, queries=30, facts=50_000)
    now = datetime(YEAR + 1, 1, 10, tzinfo=UTC)  # the year just ended; a few dossiers still open
    d_docs, d = directory()
    procs, fileable = catalogue()
    gen = Generator(d, fileable, now)
    zone = Settings().zone
    totals = Totals()
    facts: list[dict[str, Any]] = []
    opened: list[dict[str, Any]] = []
    kinds: Counter[str] = Counter()
    t0 = time.perf_counter()
    gen_s = fold_s = 0.0
    left = args.dossiers
    while left > 0:
        chunk = min(left, 10_000)
        left -= chunk
        t = time.perf_counter()
        made = [gen.dossier(c) for c in gen.pick(chunk)]
        gen_s += time.perf_counter() - t
        t = time.perf_counter()
        for did, evs in made:
            kinds.update(e["type"] for e in evs)
            f = fold(did, evs, d.commune_of, zone)
            totals.add(f)
            if f is None:
                continue
            if f["open"]:
                opened.append(f)
            if len(facts) < args.facts:
                facts.append(f)
        fold_s += time.perf_counter() - t
    t = time.perf_counter()
    counters = totals.counters()
    spread_s = time.perf_counter() - t
    events = sum(kinds.values())
    ward = next(iter(sorted(d.communes)))
    # What the timed queries read: every month row (the year, the ranking, the trend, the scorecard), the
    # open rows, and the day rows of the city and of the commune whose ragged period is asked. The other day rows (of
    # every agency and field) are most of the counters: writing them would only slow this benchmark.
    wanted = {
        cid: m
        for cid, m in counters.items()
        if "|m|" in cid or "|o|" in cid or cid.startswith(("city|*|d|", f"commune:{ward}|*|d|"))
    }
    print(
        f"generated {events} events in {gen_s:.1f}s, folded in {fold_s:.1f}s, {len(counters)} counters "
        f"({len(wanted)} to write)",
        flush=True,
    )

    home = Path(tempfile.mkdtemp(prefix="dvc-bench-reporting-"))
    cfg = StackConfig(data_dir=home, mongo_layout="shared", mongo_port=free_port())
    server = Mongo(cfg)
    server.ensure()
    try:
        db_name = "bench_reporting"

        async def load() -> dict[str, Any]:
            client = mongo.connect(server.url, appname="bench")
            try:
                db = client[db_name]
                await mongo.ensure_schema(db, SCHEMA)
                return await write(db, d_docs, procs, wanted, facts, opened)
            finally:
                await client.close()

        t = time.perf_counter()
        written = asyncio.run(load())
        write_s = time.perf_counter() - t
        print(f"written in {write_s:.1f}s: {written}", flush=True)
        fields = [f for f, _ in Counter(f["field"] for f in facts if f["field"]).most_common(1)]
        timings = asyncio.run(serve_and_time(server.url, db_name, args.queries, gen, fields, ward))
    finally:
        server.proc.stop()
        shutil.rmtree(home, ignore_errors=True)
    save(
        "reporting_indexes",
        {
            "dossiers": args.dossiers,
            "events": events,
            "events_by_type": dict(kinds),
            "year": YEAR,
            "agencies": len(d.agencies),
            "communes": len(d.communes),
            "procedures_published": sum(p.published for p in procs),
            "generate_seconds": round(gen_s, 1),
            "fold_seconds": round(fold_s, 1),
            "fold_per_second": round(args.dossiers / fold_s) if fold_s else None,
            "counters_spread_seconds": round(spread_s, 1),
            "counters_total": len(counters),
            "counters_month_rows": sum(1 for c in counters if "|m|" in c),
            "counters_written": len(wanted),
            "write": written,
            "write_seconds": round(write_s, 1),
            "queries": timings,
            "goal": "GET /indexes for the whole city over a year < 200 ms (median and p95 over the queries)",
            "note": "in-process (httpx ASGI transport), the service's own code and a secantusdb server of the "
            "benchmark's own; facts written for a sample only (the indexes, ranking, trend and scorecard "
            "read counters, the open list and the catalogue, never facts)",
            "total_seconds": round(time.perf_counter() - t0, 1),
            "machine": MACHINE,
        },
    )


if __name__ == "__main__":
    main()
