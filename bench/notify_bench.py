"""Notifications: events per second turned into in-app notifications with two notify replicas competing
on one queue, and the delay from a dossier's submission to its notification.

    .venv/bin/python bench/notify_bench.py [--events 3000] [--replicas 2] [--citizens 5] [--seconds 20]

1. Publishes ``--events`` dossier.submitted.v1 events (for 200 citizens whose contact details notify
   already has) onto the bus as fast as the broker confirms them, and measures how long the replicas take
   to turn them all into in-app notifications (email deliveries are created too and go to the local
   mail server).
2. Runs citizens filing dossiers through the gateway (the submission benchmark's flow) and measures, per
   dossier, the time from its submission (submitted_at) to its in-app notification (created_at).
Results: bench/results/notify.json.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import httpx
from pymongo import AsyncMongoClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, options, percentiles, save, stack
from submission_bench import PROCEDURE, citizen, file_one, inbox_of, pdf

from devstack import client
from dvckit.contracts import DossierSubmittedV1, UserRegisteredV1
from dvckit.events import Envelope


async def publish_all(amqp_url: str, exchange: str, envelopes: list[Envelope]) -> float:
    conn = await aio_pika.connect(amqp_url)
    async with conn:
        ch = await conn.channel(publisher_confirms=True)
        ex = await ch.get_exchange(exchange)
        sem = asyncio.Semaphore(64)
        t = time.perf_counter()

        async def one(env: Envelope) -> None:
            async with sem:
                await ex.publish(env.to_message(), routing_key=env.routing_key)

        await asyncio.gather(*(one(e) for e in envelopes))
        return time.perf_counter() - t


async def run(args: argparse.Namespace, s) -> dict:
    cfg = s.cfg
    mongo = AsyncMongoClient(cfg.mongo_url_for("notify"), tz_aware=True)
    sub_mongo = AsyncMongoClient(cfg.mongo_url_for("submission"), tz_aware=True)
    notify_db, sub_db = mongo[cfg.db_name("notify")], sub_mongo[cfg.db_name("submission")]
    users = [str(uuid.uuid4()) for _ in range(200)]
    regs = [
        Envelope.wrap(
            UserRegisteredV1(
                user_id=u,
                full_name="Người Nhận Thử",
                email=f"u{i}@example.vn",
                phone="0987000000",
                roles=["citizen"],
            ),
            producer="bench",
        )
        for i, u in enumerate(users)
    ]
    await publish_all(cfg.amqp_url, cfg.exchange, regs)
    while await notify_db.contacts.count_documents({}) < len(users):
        await asyncio.sleep(0.2)
    base = await notify_db.notifications.count_documents({})
    events = [
        Envelope.wrap(
            DossierSubmittedV1(
                dossier_id=str(uuid.uuid4()),
                code=f"000.00.13.H26-261125-{i % 10000:04d}",
                owner_id=users[i % len(users)],
                procedure_code="1.004194",
                procedure_name="Đăng ký tạm trú",
                procedure_version=1,
                agency_code="000.00.13.H26",
                agency_name="Sở Tư pháp",
                submitted_at=datetime.now(UTC),
            ),
            producer="bench",
        )
        for i in range(args.events)
    ]
    t = time.perf_counter()
    publish_s = await publish_all(cfg.amqp_url, cfg.exchange, events)
    while (await notify_db.notifications.count_documents({})) - base < args.events:
        await asyncio.sleep(0.1)
    total_s = time.perf_counter() - t
    duplicates = (await notify_db.notifications.count_documents({})) - base - args.events

    # 2. submit → notification, through the whole stack
    async with httpx.AsyncClient(base_url=cfg.gateway_url, timeout=60) as http:
        admin = await client.admin(http, cfg.admin_username, cfg.admin_password)
        await http.post("/api/v1/catalog/procedures", json=PROCEDURE, headers=admin.auth)
        async with inbox_of(s) as inbox:
            people = await asyncio.gather(*(citizen(http, inbox, 500 + i) for i in range(args.citizens)))
        files = [pdf(200 * 1024), pdf(200 * 1024)]
        codes: list[str] = []
        stop = time.perf_counter() + args.seconds

        async def worker(p: dict) -> None:
            while time.perf_counter() < stop:
                codes.append(await file_one(http, p, files, {}))

        await asyncio.gather(*(worker(p) for p in people))
    await asyncio.sleep(3)
    delays = []
    async for d in sub_db.dossiers.find({"code": {"$in": codes}}, {"submitted_at": 1}):
        note = await notify_db.notifications.find_one({"dossier_id": d["_id"], "kind": "dossier_submitted"})
        if note is not None:
            delays.append((note["created_at"] - d["submitted_at"]).total_seconds())
    await mongo.close()
    await sub_mongo.close()
    return {
        "events": args.events,
        "notify_replicas": args.replicas,
        "publish_seconds": round(publish_s, 2),
        "events_to_notifications_seconds": round(total_s, 2),
        "notifications_per_second": round(args.events / total_s, 1),
        "duplicate_notifications": duplicates,
        "submit_to_notification": {
            "dossiers": len(codes),
            "with_notification": len(delays),
            **percentiles(delays, "_ms"),
            "citizens": args.citizens,
        },
    }


def main() -> None:
    args = options(events=3000, replicas=2, citizens=5, seconds=20)
    with stack({"notify": args.replicas}) as s:
        result = asyncio.run(run(args, s))
    result["machine"] = MACHINE
    save(f"notify_r{args.replicas}", result)


if __name__ == "__main__":
    main()
