"""Two replicas of every service behind one gateway: 500 dossiers filed at once get 500 distinct codes,
every citizen hears of each dossier exactly once on every channel, and nothing is left in any queue."""

from __future__ import annotations

import asyncio
import email
import json
from collections import Counter
from collections.abc import Iterator
from email.policy import default

import aio_pika
import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack import client
from devstack.config import SERVICES
from devstack.testing import CAPTCHA_TEST_ANSWER, RunningStack, eventually, start_stack
from dvckit.consumer import parking_queue_name, retry_queue_name
from dvckit.settings import ServiceSettings

CITIZENS = 50
EACH = 10  # dossiers a citizen files, one after another; all citizens at once
N = "/api/v1/notifications"


@pytest.fixture(scope="module")
def doubled(infra) -> Iterator[RunningStack]:
    running = start_stack(infra, replicas={s.name: 2 for s in SERVICES}, name="scale", namespace="x2_")
    try:
        yield running
    finally:
        running.stack.down(with_infra=False)


async def queue_depths(s: RunningStack) -> dict[str, tuple[int, int]]:
    """Messages and consumers of every queue of the stack's consuming services."""
    out = {}
    connection = await aio_pika.connect(s.cfg.amqp_url)
    async with connection:
        for name in ("notify", "submission"):
            main = f"{s.cfg.namespace}{name}.events"
            delays = ServiceSettings.model_fields["retry_delays"].default
            for q in (main, parking_queue_name(main), *(retry_queue_name(main, d) for d in delays)):
                channel = await connection.channel()
                declared = await channel.declare_queue(q, passive=True)
                out[q] = (
                    declared.declaration_result.message_count,
                    declared.declaration_result.consumer_count,
                )
                await channel.close()
    return out


@pytest.mark.timeout(600)  # 50 citizens register (SMS and email codes), then file 500 dossiers
async def test_500_dossiers_on_two_replicas_of_everything(doubled: RunningStack):
    s = doubled
    limits = httpx.Limits(max_connections=CITIZENS + 10)
    async with httpx.AsyncClient(base_url=s.url, timeout=120, limits=limits) as http:
        admin = await client.admin(http, s.cfg.admin_username, s.cfg.admin_password)
        await client.add_procedure(http, admin)
        async with s.inbox() as inbox:
            people = await client.register_many(http, inbox, CITIZENS)
        for i, p in enumerate(people):  # every channel: in-app (always), email, SMS
            r = await http.put(f"{N}/preferences", json={"email": True, "sms": True}, headers=p.auth)
            assert r.status_code == 200, r.text
            # Each looks the procedure up first (a query of their own: the gateway's cache answers none).
            r = await http.get("/api/v1/catalog/procedures", params={"q": f"thu tuc thu nghiem {i}"})
            assert r.status_code == 200, r.text

        async def procedure_known() -> bool:  # submission learns of it from the catalog's event
            r = await http.get(f"{client.S}/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})
            return r.status_code == 200 and bool(r.json())

        await eventually(procedure_known, timeout=30)

        async def files(p: client.Person) -> list[tuple[str, str]]:
            filed = [
                await client.file_dossier(http, p, captcha_answer=CAPTCHA_TEST_ANSWER) for _ in range(EACH)
            ]
            return [(d["code"], d["id"]) for d in filed]

        batches = await asyncio.gather(*(files(p) for p in people))
        codes = [code for batch in batches for code, _ in batch]

        # Each opens the filing fee's payment order of each dossier (payment learns of them from
        # dossier.submitted, consumed by its two replicas): one order a dossier, however the events spread.
        async def orders(p: client.Person, dossiers: list[tuple[str, str]]) -> None:
            for _, dossier_id in dossiers:

                async def opened(dossier_id: str = dossier_id) -> bool:
                    r = await http.post(
                        f"/api/v1/payments/dossiers/{dossier_id}/orders",
                        json={"purpose": "filing"},
                        headers=p.auth,
                    )
                    return r.status_code in (200, 201)

                await eventually(opened, timeout=60, interval=0.5)

        await asyncio.gather(*(orders(p, batch) for p, batch in zip(people, batches, strict=True)))

        # The public scorecard, read without signing in (the gateway does not cache reporting's answers):
        # enough reads that the gateway's round robin reaches both replicas (the check at the end).
        for _ in range(20):
            r = await http.get("/api/v1/reporting/public/scorecard")
            assert r.status_code == 200, r.text
        # Each citizen reads the audit entries about their own data (any signed-in person may): enough
        # reads that both audit replicas get some.
        for i in range(20):
            r = await http.get("/api/v1/audit/me", headers=people[i % len(people)].auth)
            assert r.status_code == 200, r.text

    total = CITIZENS * EACH
    assert len(codes) == total and len(set(codes)) == total, Counter(codes).most_common(3)

    # A client of each service's server (one MongoDB a service, as `make up` runs them).
    mongo = {spec.name: AsyncMongoClient(s.mongo_url_for(spec.name)) for spec in SERVICES}
    try:
        notify = mongo["notify"][s.db_name("notify")]
        users = [p.id for p in people]

        async def delivered() -> bool:
            in_app = await notify.notifications.count_documents(
                {"kind": "dossier_submitted", "user_id": {"$in": users}}
            )
            sent = {
                ch: await notify.deliveries.count_documents(
                    {"kind": "dossier_submitted", "channel": ch, "status": "sent", "user_id": {"$in": users}}
                )
                for ch in ("email", "sms")
            }
            return in_app == total and sent == {"email": total, "sms": total}

        await eventually(delivered, timeout=120, interval=1)
        # Exactly once per channel: no second notification or delivery for any dossier.
        assert (
            await notify.notifications.count_documents(
                {"kind": "dossier_submitted", "user_id": {"$in": users}}
            )
            == total
        )
        payment = mongo["payment"][s.db_name("payment")]
        ids = [dossier_id for batch in batches for _, dossier_id in batch]
        assert (
            await payment.orders.count_documents({"dossier_id": {"$in": ids}, "purpose": "filing"}) == total
        )
        by_dossier = await notify.notifications.aggregate(
            [
                {"$match": {"kind": "dossier_submitted", "user_id": {"$in": users}}},
                {"$group": {"_id": "$dossier_id", "n": {"$sum": 1}}},
                {"$match": {"n": {"$gt": 1}}},
            ]
        )
        assert await by_dossier.to_list() == []
        phones = {p.phone for p in people}
        # One "filed" SMS a dossier (besides each citizen's registration code and email notice).
        filed = {"to": {"$in": list(phones)}, "text": {"$regex": "da nop thanh cong"}}
        assert await notify.sms_dev_outbox.count_documents(filed) == total
        sms_per_phone = Counter([d["to"] async for d in notify.sms_dev_outbox.find(filed, {"to": 1})])
        assert set(sms_per_phone.values()) == {EACH}
        # The mail server received one message per dossier for each citizen (the welcome mail aside).
        addresses = {p.email for p in people}
        received = Counter()
        for path in s.infra.mail_dir.glob("*.eml"):
            msg = email.message_from_bytes(path.read_bytes(), policy=default)
            to = str(msg["To"])
            if to in addresses and str(msg["Subject"]).startswith("Nộp hồ sơ thành công"):
                received[to] += 1
        assert sum(received.values()) == total and set(received.values()) == {EACH}

        # No event left anywhere: every outbox record went out, every queue is empty, both replicas consumed.
        for spec in SERVICES:
            db = mongo[spec.name][s.db_name(spec.name)]
            assert await db.outbox.count_documents({"status": {"$ne": "sent"}}) == 0, spec.name

        async def drained() -> dict[str, tuple[int, int]] | None:
            depths = await queue_depths(s)
            return depths if all(m == 0 for m, _ in depths.values()) else None

        depths = await eventually(drained, timeout=30, interval=0.5)
        for name in ("notify", "submission"):
            assert depths[f"{s.cfg.namespace}{name}.events"][1] == 2, depths  # two competing consumers
    finally:
        for c in mongo.values():
            await c.close()

    # The gateway spread the requests over both replicas of every service.
    log = s.cfg.log_dir / "gateway-access.log"
    await asyncio.sleep(1.2)  # flushed every second
    upstreams = Counter(
        json.loads(line)["upstream"] for line in log.read_text().splitlines() if line.startswith("{")
    )
    for spec in SERVICES:
        for port in s.cfg.ports(spec):
            assert upstreams[f"127.0.0.1:{port}"] > 0, (spec.name, port, upstreams)
