"""The peak-period load test: locust drives citizens searching, citizens filing dossiers with two
attachments and officers accepting them, through the gateway, with everything on this machine.

    .venv/bin/python bench/load.py [--stages 2,4,8,12] [--seconds 30] [--searchers 10] [--officers 2]

1. One replica of every service (a stack of its own, fresh MongoDB). For each number of filing
   citizens in ``--stages`` (beside the searchers and officers), a locust run of ``--seconds``: dossiers
   per second, every request's p50/p95/p99 and failures, the delay from each dossier's submission to its
   in-app notification, the delay from each dossier's submission to the leaders' dashboard counting it
   (reporting), and the CPU and memory of every process on the machine while it ran. The
   sustained rate is the best stage whose submit p95 stays under 300 ms with under 1 % errors.
2. In the same stack, the ratios: the gateway's overhead (wrk, trivial endpoint proxied against direct),
   a 100 MB upload through the gateway against the same file put straight into S3, and the event
   pipeline (dossier.submitted events into in-app notifications) against a raw aio-pika publish and
   consume of the same messages.
3. Two replicas of every service (another stack): the largest stage again; the ratio of dossiers per
   second, two replicas against one.

Results: bench/results/load.json (and locust's CSV files under test-artifacts/load/).

``--pipeline-only`` measures part 2's event pipeline alone (bench/results/load_pipeline_<label>.json);
``--code TREE`` runs another tree's services (the code before a change, say: ``git worktree add
/tmp/before <commit>``), as bench/dossier_cost.py does; ``--label`` names the results file.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import httpx
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gateway_overhead import compare
from lib.code import other_code
from lib.harness import MACHINE, ROOT, Processes, percentiles, stack
from notify_bench import publish_all
from submission_bench import big_upload, write_big_pdf

from devstack import client
from devstack.config import SERVICES
from dvckit.contracts import DossierSubmittedV1, UserRegisteredV1
from dvckit.events import Envelope

OUT = ROOT / "test-artifacts" / "load"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
SEARCH_TERMS = [
    "đăng ký tạm trú",
    "dang ky tam tru",
    "khai sinh",
    "đăng ký kết hôn",
    "chứng thực bản sao",
    "giấy phép xây dựng",
    "cap giay phep",
    "hộ kinh doanh",
    "lý lịch tư pháp",
    "đất đai",
]
SUBMIT_P95_GOAL_MS = 300
CAPTCHA = "bench"  # harness.stack's DVC_CAPTCHA_TEST_ANSWER


async def prepare(s, citizens: int, officers: int) -> dict:
    """Accounts made as people make them: citizens register, the administrator adds the procedure and
    creates officers of the agency that receives it."""
    async with httpx.AsyncClient(base_url=s.cfg.gateway_url, timeout=120) as http:
        admin = await client.admin(http, s.cfg.admin_username, s.cfg.admin_password)
        await client.add_procedure(http, admin)
        query = {"procedure": client.TEST_PROCEDURE_CODE}
        while not (agencies := (await http.get(f"{client.S}/agencies", params=query)).json()):
            await asyncio.sleep(0.2)  # submission learns of the procedure from the catalogue's event
        code = agencies[0]["code"]

        notify = s.cfg.mongo_url_for("notify")
        async with client.Inbox(notify, s.cfg.db_name("notify"), s.cfg.mail_dir) as inbox:
            people = await client.register_many(http, inbox, citizens)
        staff = [await client.officer(http, admin, code) for _ in range(officers)]
    return {
        "citizens": [
            {"token": p.token, "full_name": p.full_name, "citizen_id": p.citizen_id, "phone": p.phone}
            for p in people
        ],
        "officers": [o.token for o in staff],
        "admin": admin.token,
        "procedure": client.TEST_PROCEDURE_CODE,
        "components": [c["id"] for c in client.TEST_PROCEDURE["components"]],
        "captcha": CAPTCHA,
        "attachment_bytes": 200 * 1024,
        "search_terms": SEARCH_TERMS,
    }


def locust(s, fixtures: Path, name: str, filers: int, searchers: int, officers: int, seconds: int) -> dict:
    """One locust run; returns its stats by request name."""
    prefix = OUT / name
    users = filers + searchers + officers
    env = {
        **os.environ,
        "DVC_LOAD_FIXTURES": str(fixtures),
        "DVC_LOAD_FILERS": str(filers),
        "DVC_LOAD_SEARCHERS": str(searchers),
        "DVC_LOAD_OFFICERS": str(officers),
    }
    cmd = [
        str(Path(sys.executable).with_name("locust")),
        *("-f", str(LOCUSTFILE), "--headless", "--host", s.cfg.gateway_url),
        *("-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--csv", str(prefix)),
        *("--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"),
    ]
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    stats = {}
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
            }
    return stats


async def notification_delays(s, since: datetime, until: datetime) -> dict:
    """Submission to in-app notification, for every dossier submitted in [since, until)."""
    sub_mongo = AsyncMongoClient(s.cfg.mongo_url_for("submission"), tz_aware=True)
    notify_mongo = AsyncMongoClient(s.cfg.mongo_url_for("notify"), tz_aware=True)
    try:
        sub, notify = sub_mongo[s.cfg.db_name("submission")], notify_mongo[s.cfg.db_name("notify")]
        submitted = {
            d["_id"]: d["submitted_at"]
            async for d in sub.dossiers.find(
                {"submitted_at": {"$gte": since, "$lt": until}}, {"submitted_at": 1}
            )
        }
        deadline = time.monotonic() + 60
        while True:
            notes = {
                n["dossier_id"]: n["created_at"]
                async for n in notify.notifications.find(
                    {"kind": "dossier_submitted", "dossier_id": {"$in": list(submitted)}},
                    {"dossier_id": 1, "created_at": 1},
                )
            }
            if len(notes) >= len(submitted) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
        delays = [(notes[i] - t).total_seconds() for i, t in submitted.items() if i in notes]
        return {
            "dossiers": len(submitted),
            "notified": len(delays),
            **percentiles(delays, "_ms"),
        }
    finally:
        await sub_mongo.close()
        await notify_mongo.close()


class Probe:
    """The dashboard as a leader sees it: the administrator's ``GET /api/v1/reporting/indexes`` of the
    city through the gateway, every 0.2 s in a thread while a stage runs, recording when its count of
    received dossiers moved. The lag of the n-th dossier filed in the stage is from its filing to the
    first answer counting n more than before the stage: the event's whole way (outbox, broker, consumer,
    commit) into what the dashboard shows."""

    EVERY_S = 0.2

    def __init__(self, s, token: str) -> None:
        self.url = f"{s.cfg.gateway_url}/api/v1/reporting/indexes"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.seen: list[tuple[datetime, int]] = []
        self.want: int | None = None  # stop once the count reaches it (set after the stage)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self._stop.is_set():
                r = http.get(self.url, params={"unit": "city"}, headers=self.headers)
                if r.status_code == 200:
                    self.seen.append((datetime.now(UTC), r.json()["counts"]["received"]))
                    if self.want is not None and self.seen[-1][1] >= self.want:
                        return
                time.sleep(self.EVERY_S)

    def __enter__(self) -> Probe:
        self._thread.start()
        while not self.seen:
            time.sleep(0.05)
        return self

    def finish(self, filed: int, timeout: float = 60) -> None:
        self.want = self.seen[0][1] + filed
        self._thread.join(timeout)
        self._stop.set()

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)


async def filed_between(s, since: datetime, until: datetime) -> list[datetime]:
    mongo = AsyncMongoClient(s.cfg.mongo_url_for("submission"), tz_aware=True)
    try:
        sub = mongo[s.cfg.db_name("submission")]
        found = sub.dossiers.find({"submitted_at": {"$gte": since, "$lt": until}}, {"submitted_at": 1})
        return sorted([d["submitted_at"] async for d in found])
    finally:
        await mongo.close()


async def applied_lags(s, since: datetime, until: datetime) -> dict:
    """Reporting's own record: each kept event's ``applied_at − occurred_at`` (taken when its batch began
    to be applied, so short of the batch's own write and commit)."""
    mongo = AsyncMongoClient(s.cfg.mongo_url_for("reporting"), tz_aware=True)
    try:
        rep = mongo[s.cfg.db_name("reporting")]
        lags = [
            (e["applied_at"] - e["occurred_at"]).total_seconds()
            async for e in rep.events.find(
                {"occurred_at": {"$gte": since, "$lt": until}}, {"occurred_at": 1, "applied_at": 1}
            )
        ]
        return {"events": len(lags), **percentiles(lags, "_ms")}
    finally:
        await mongo.close()


def reporting_delays(s, probe: Probe, since: datetime, until: datetime) -> dict:
    filed = asyncio.run(filed_between(s, since, until))
    probe.finish(len(filed))
    base = probe.seen[0][1]
    lags, i = [], 0
    for n, at in enumerate(filed, start=1):
        while i < len(probe.seen) and probe.seen[i][1] < base + n:
            i += 1
        if i == len(probe.seen):
            break  # not on the dashboard within the wait: counted as missing
        lags.append((probe.seen[i][0] - at).total_seconds())
    return {
        "dossiers": len(filed),
        "on_dashboard": len(lags),
        "probes": len(probe.seen),
        **percentiles(lags, "_ms"),
        "applied": asyncio.run(applied_lags(s, since, until)),
    }


def stage(s, fixtures: Path, name: str, filers: int, args: argparse.Namespace) -> dict:
    with Probe(s, json.loads(fixtures.read_text())["admin"]) as probe:
        since = datetime.now(UTC)
        with Processes(s) as procs:
            stats = locust(s, fixtures, name, filers, args.searchers, args.officers, args.seconds)
        until = datetime.now(UTC)
        to_dashboard = reporting_delays(s, probe, since, until)
    total = stats.get("Aggregated", {})
    submit = stats.get("6 submit", {"requests": 0, "failures": 0, "p95_ms": 0.0})
    dossiers = submit["requests"] - submit["failures"]
    return {
        "filers": filers,
        "searchers": args.searchers,
        "officers": args.officers,
        "seconds": args.seconds,
        "dossiers": dossiers,
        "dossiers_per_second": round(dossiers / args.seconds, 2),
        "submit_p95_ms": submit["p95_ms"],
        "search_p95_ms": stats.get("search", {}).get("p95_ms"),
        "error_rate": round(total.get("failures", 0) / max(1, total.get("requests", 1)), 4),
        "requests": stats,
        "submit_to_notification": asyncio.run(notification_delays(s, since, until)),
        "submit_to_dashboard": to_dashboard,
        "processes": procs.report(),
    }


async def handled(http: httpx.AsyncClient, metrics: list[str], routing_key: str) -> float:
    """Events of ``routing_key`` the replicas behind ``metrics`` handled (committed), from /metrics."""
    total = 0.0
    for url in metrics:
        for line in (await http.get(url)).text.splitlines():
            if line.startswith(
                f'events_handled_total{{outcome="done",type="{routing_key}"}}'
            ) or line.startswith(f'events_handled_total{{type="{routing_key}",outcome="done"}}'):
                total += float(line.rsplit(" ", 1)[1])
    return total


async def pipeline_vs_raw(s, events: int) -> dict:
    """dossier.submitted events into in-app notifications (notify's consumers, outbox-free path: the
    events are published straight onto the bus) against a raw aio-pika publish and consume of the same
    messages through a queue of their own."""
    cfg = s.cfg
    mongo = AsyncMongoClient(cfg.mongo_url_for("notify"), tz_aware=True)
    notify = mongo[cfg.db_name("notify")]
    users = [f"load-{i}-{os.getpid()}" for i in range(100)]
    regs = [
        Envelope.wrap(
            UserRegisteredV1(
                user_id=u, full_name="Người Nhận Thử", email=None, phone="0987000000", roles=["citizen"]
            ),
            producer="bench",
        )
        for u in users
    ]
    contacts = await notify.contacts.count_documents({})
    await publish_all(cfg.amqp_url, cfg.exchange, regs)
    while await notify.contacts.count_documents({}) < contacts + len(users):
        await asyncio.sleep(0.2)
    now = datetime.now(UTC)
    envelopes = [
        Envelope.wrap(
            DossierSubmittedV1(
                dossier_id=f"load-{os.getpid()}-{i}",
                code=f"000.00.13.H26-261201-{i % 10000:04d}",
                owner_id=users[i % len(users)],
                procedure_code=client.TEST_PROCEDURE_CODE,
                procedure_name="Thủ tục đo tải",
                procedure_version=1,
                agency_code="000.00.13.H26",
                agency_name="Sở Tư pháp",
                submitted_at=now,
            ),
            producer="bench",
        )
        for i in range(events)
    ]
    # Counted by notify's own metrics (events whose transaction committed), not with a database query:
    # counting the documents every 50 ms scans the growing collection and takes the database's time from
    # the pipeline it measures.
    metrics = [
        f"http://{cfg.host}:{port}/metrics"
        for spec in SERVICES
        if spec.name == "notify"
        for port in cfg.ports(spec)
    ]
    async with httpx.AsyncClient() as http:
        base = await handled(http, metrics, DossierSubmittedV1.routing_key())
        t = time.perf_counter()
        await publish_all(cfg.amqp_url, cfg.exchange, envelopes)
        while await handled(http, metrics, DossierSubmittedV1.routing_key()) - base < events:
            await asyncio.sleep(0.05)
        pipeline_s = time.perf_counter() - t
    assert (
        await notify.notifications.count_documents({"dossier_id": {"$regex": f"^load-{os.getpid()}-"}})
        == events
    )
    await mongo.close()

    conn = await aio_pika.connect(cfg.amqp_url)
    async with conn:
        ch = await conn.channel(publisher_confirms=True)
        await ch.set_qos(prefetch_count=64)
        q = await ch.declare_queue(exclusive=True)
        done = asyncio.Event()
        seen = 0

        async def on(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            Envelope.model_validate_json(msg.body)  # decoded, as a consumer must
            await msg.ack()
            seen += 1
            if seen == events:
                done.set()

        await q.consume(on)
        sem = asyncio.Semaphore(64)
        t = time.perf_counter()

        async def one(e: Envelope) -> None:
            async with sem:
                await ch.default_exchange.publish(e.to_message(), routing_key=q.name)

        await asyncio.gather(*(one(e) for e in envelopes))
        await done.wait()
        raw_s = time.perf_counter() - t
    return {
        "events": events,
        "pipeline_events_per_s": round(events / pipeline_s, 1),
        "raw_aio_pika_events_per_s": round(events / raw_s, 1),
        "ratio_raw_over_pipeline": round(raw_s and pipeline_s / raw_s, 2),
    }


def sustained(stages: list[dict]) -> dict | None:
    ok = [
        st
        for st in stages
        if st["submit_p95_ms"] < SUBMIT_P95_GOAL_MS and st["error_rate"] < 0.01 and st["dossiers"]
    ]
    return max(ok, key=lambda st: st["dossiers_per_second"]) if ok else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stages", default="2,4,8,12", help="filing citizens per stage")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--searchers", type=int, default=10)
    ap.add_argument("--officers", type=int, default=2)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument(
        "--pipeline-only", action="store_true", help="only the event pipeline against raw aio-pika"
    )
    ap.add_argument("--code", type=Path, help="another tree whose services the stack runs (before/after)")
    ap.add_argument("--label", default="", help="results go to load_<label>.json")
    args = ap.parse_args()
    extra = other_code(args.code) if args.code else {}
    if args.pipeline_only:
        with stack(extra_env=extra) as s:
            pipeline = asyncio.run(pipeline_vs_raw(s, args.events))
        name = f"load_pipeline_{args.label or 'now'}.json"
        (ROOT / "bench" / "results" / name).write_text(
            json.dumps({"machine": MACHINE, "code": str(args.code or "."), **pipeline}, indent=2) + "\n"
        )
        print(json.dumps(pipeline))
        return
    filers = [int(x) for x in args.stages.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "benchmark": "load",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": MACHINE,
        "settings": vars(args),
        "note": "locust, the gateway, every service and the infrastructure share the same cores",
    }
    with tempfile.TemporaryDirectory() as tmp:
        fixtures = Path(tmp) / "fixtures.json"
        with stack(extra_env=extra) as s:
            fixtures.write_text(json.dumps(asyncio.run(prepare(s, max(filers), args.officers))))
            locust(s, fixtures, "warmup", 2, 2, 1, 5)  # connections, caches, JIT-free but cold paths
            result["one_replica"] = [stage(s, fixtures, f"r1_f{f}", f, args) for f in filers]
            result["sustained"] = sustained(result["one_replica"])
            port = {spec.name: s.cfg.ports(spec)[0] for spec in SERVICES}
            overhead_args = argparse.Namespace(seconds=10, connections=32, rounds=3)
            result["gateway_overhead"] = compare(
                f"http://{s.cfg.host}:{port['catalog']}/healthz",
                f"{s.cfg.gateway_url}/api/v1/catalog/healthz",
                overhead_args,
                {},
            )
            result["gateway_overhead"].pop("rounds")
            with tempfile.TemporaryDirectory() as big_dir:
                big = write_big_pdf(Path(big_dir) / "big.pdf", 100)
                token = json.loads(fixtures.read_text())["citizens"][0]["token"]
                result["upload"] = asyncio.run(
                    big_upload(
                        s.cfg.gateway_url,
                        s.cfg.s3_endpoint,
                        s.cfg.bucket,
                        f"Bearer {token}",
                        big,
                        s.cfg.run_dir,
                        code=client.TEST_PROCEDURE_CODE,
                        component=client.TEST_PROCEDURE["components"][0]["id"],
                    )
                )
            result["event_pipeline"] = asyncio.run(pipeline_vs_raw(s, args.events))
        with stack({spec.name: 2 for spec in SERVICES}, extra_env=extra) as s2:
            fixtures.write_text(json.dumps(asyncio.run(prepare(s2, max(filers), args.officers))))
            locust(s2, fixtures, "warmup2", 2, 2, 1, 5)
            two = stage(s2, fixtures, f"r2_f{max(filers)}", max(filers), args)
        one = next(st for st in result["one_replica"] if st["filers"] == max(filers))
        result["two_replicas"] = two
        result["replicas_ratio"] = {
            "filers": max(filers),
            "one_replica_dossiers_per_s": one["dossiers_per_second"],
            "two_replicas_dossiers_per_s": two["dossiers_per_second"],
            "ratio_two_over_one": round(
                two["dossiers_per_second"] / max(0.01, one["dossiers_per_second"]), 2
            ),
        }
    out = ROOT / "bench" / "results" / (f"load_{args.label}.json" if args.label else "load.json")
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    summary = {
        "sustained": result["sustained"]
        and {
            k: result["sustained"][k]
            for k in ("filers", "dossiers_per_second", "submit_p95_ms", "search_p95_ms", "error_rate")
        },
        "stages": [
            {
                k: st[k]
                for k in ("filers", "dossiers_per_second", "submit_p95_ms", "search_p95_ms", "error_rate")
            }
            | {"notify_p95_ms": st["submit_to_notification"]["p95_ms"]}
            | {"dashboard_p95_ms": st["submit_to_dashboard"]["p95_ms"]}
            for st in result["one_replica"]
        ],
        "gateway_overhead": {k: result["gateway_overhead"][k] for k in ("throughput_ratio", "p99_ratio")},
        "upload": {k: result["upload"][k] for k in ("through_gateway_mib_s", "direct_s3_mib_s", "ratio")},
        "event_pipeline": result["event_pipeline"],
        "replicas_ratio": result["replicas_ratio"],
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
