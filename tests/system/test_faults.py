"""Faults survived: the broker restarted while dossiers are filed, a notify replica killed in a burst, the
database restarted under load, object storage stopped during an upload, a poison message. Nothing is lost
and nothing happens twice.

The faults are injected into infrastructure of this module's own (a private RabbitMQ node, MongoDB
stand-in and S3 gateway on free ports) under a stack of its own, so the session's shared stack and
broker never notice. Each test leaves that infrastructure running again for the next one.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aio_pika
import botocore.session
import httpx
import pytest
from pymongo import AsyncMongoClient

from devstack import client
from devstack.config import S3_ACCESS_KEY, S3_SECRET_KEY, SERVICES, StackConfig
from devstack.infra import S3, Mongo, PrivateRabbitMQ, mongo_servers
from devstack.procs import Proc, is_running
from devstack.stack import http_status
from devstack.testing import CAPTCHA_TEST_ANSWER, RunningStack, eventually, free_port, start_stack
from dvckit.consumer import ERROR_HEADER
from dvckit.contracts import DossierSubmittedV1
from dvckit.events import Envelope

pytestmark = pytest.mark.skipif(not PrivateRabbitMQ.available(), reason="needs rabbitmq-server installed")

S = client.S
PROBLEM = "application/problem+json"
Clients = dict[str, AsyncMongoClient[Any]]  # a client of each service's MongoDB server


@dataclass
class Fragile(RunningStack):
    """A stack on infrastructure of its own, which the tests stop, kill and restart."""

    rabbit: PrivateRabbitMQ
    mongo: dict[str, Mongo]  # each service's server
    s3: S3

    def db(self, mongo: Clients, service: str) -> Any:
        return mongo[service][self.db_name(service)]


@pytest.fixture(scope="module")
def fragile(infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fragile]:
    home = tmp_path_factory.mktemp("faults")
    own = StackConfig(
        data_dir=home,
        mongo_service_ports={spec.name: free_port() for spec in SERVICES},
        s3_port=free_port(),
        s3_metrics_port=free_port(),
    )
    mongo, s3 = {m.service: m for m in mongo_servers(own)}, S3(own)
    rabbit = PrivateRabbitMQ(home / "rabbit", free_port(), free_port(), name=f"dvcfault{os.getpid()}")
    run: RunningStack | None = None
    try:
        with ThreadPoolExecutor(6) as pool:
            starts = [*(m.ensure for m in mongo.values()), s3.ensure, rabbit.start]
            for f in [pool.submit(start) for start in starts]:
                f.result()
        run = start_stack(
            infra,
            replicas={"notify": 2},
            name="faults",
            namespace="f_",
            mongo_service_ports=own.mongo_service_ports,
            s3_port=own.s3_port,
            amqp_port=rabbit.port,
            # A delivery claimed by a killed replica is taken over after this lease (120 s by default).
            extra_env={"NOTIFY_DELIVERY_LEASE_SECONDS": "5"},
        )
        yield Fragile(run.stack, run.cfg, run.infra, rabbit, mongo, s3)
    finally:
        if run is not None:
            run.stack.down(with_infra=False)
        with ThreadPoolExecutor(5) as pool:
            list(pool.map(lambda part: part.proc.stop(), [*mongo.values(), s3]))
        rabbit.stop()


@pytest.fixture
async def env(fragile: Fragile) -> AsyncIterator[tuple[Fragile, httpx.AsyncClient, Clients]]:
    """The stack ready again (after the previous test's fault), a client of its gateway, its MongoDB."""
    await asyncio.to_thread(fragile.stack.wait_ready, 90)
    mongo = {name: AsyncMongoClient(fragile.mongo_url_for(name), tz_aware=True) for name in fragile.mongo}
    async with httpx.AsyncClient(base_url=fragile.url, timeout=60) as http:
        admin = await client.admin(http, fragile.cfg.admin_username, fragile.cfg.admin_password)
        await client.add_procedure(http, admin)

        async def procedure_known() -> bool:  # submission learns of it from the catalog's event
            r = await http.get(f"{S}/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})
            return r.status_code == 200 and bool(r.json())

        await eventually(procedure_known, timeout=60, interval=0.2)
        try:
            yield fragile, http, mongo
        finally:
            for c in mongo.values():
                await c.close()


async def citizens(http: httpx.AsyncClient, f: Fragile, mongo: Clients, n: int) -> list[Any]:
    """Registered citizens who chose email and SMS, known to notify (their contact details arrived)."""
    async with f.inbox() as inbox:
        people = await client.register_many(http, inbox, n)
    for p in people:
        r = await http.put(
            "/api/v1/notifications/preferences", json={"email": True, "sms": True}, headers=p.auth
        )
        assert r.status_code == 200, r.text
    contacts = f.db(mongo, "notify").contacts
    ids = [p.id for p in people]
    await eventually(lambda: _all_known(contacts, ids), timeout=30, interval=0.2)
    return people


async def _all_known(contacts: Any, ids: list[str]) -> bool:
    return await contacts.count_documents({"_id": {"$in": ids}, "phone": {"$exists": True}}) == len(ids)


async def _none(coll: Any, query: dict[str, Any]) -> bool:
    return await coll.count_documents(query) == 0


async def per_event(notify: Any, event_ids: list[str]) -> tuple[Counter[str], dict[str, Counter[str]]]:
    """In-app notifications per event, and sent deliveries per channel per event."""
    in_app = Counter(
        [d["event_id"] async for d in notify.notifications.find({"event_id": {"$in": event_ids}})]
    )
    sent: dict[str, Counter[str]] = {"email": Counter(), "sms": Counter()}
    async for d in notify.deliveries.find({"event_id": {"$in": event_ids}, "status": "sent"}):
        sent[d["channel"]][d["event_id"]] += 1
    return in_app, sent


async def assert_each_once(notify: Any, event_ids: list[str], timeout: float) -> None:
    """Every event ends in exactly one in-app notification, one email and one SMS, all sent."""
    want = set(event_ids)

    async def complete() -> bool:
        in_app, sent = await per_event(notify, event_ids)
        return set(in_app) == want and all(set(c) == want for c in sent.values())

    try:
        await eventually(complete, timeout=timeout, interval=0.5)
    except AssertionError:
        in_app, sent = await per_event(notify, event_ids)
        missing = {"in_app": len(want - set(in_app))} | {ch: len(want - set(c)) for ch, c in sent.items()}
        raise AssertionError(f"of {len(want)} events, not delivered: {missing}") from None
    in_app, sent = await per_event(notify, event_ids)
    assert set(in_app.values()) == {1}, in_app.most_common(3)
    for channel, counts in sent.items():
        assert set(counts.values()) == {1}, (channel, counts.most_common(3))
    # Every delivery record (sent or not) is one per event and channel; the SMS "provider" got one each.
    assert await notify.deliveries.count_documents({"event_id": {"$in": event_ids}}) == 2 * len(want)
    sms_ids = [f"{e}:sms" for e in event_ids]
    assert await notify.sms_dev_outbox.count_documents({"_id": {"$in": sms_ids}}) == len(want)


def submitted_event(owner: str, n: int) -> Envelope:
    """A dossier.submitted event as submission publishes it (for bursts faster than filing through HTTP)."""
    data = DossierSubmittedV1(
        dossier_id=uuid.uuid4().hex,
        code=f"000.00.31.H26-260101-{n:04d}",
        owner_id=owner,
        procedure_code=client.TEST_PROCEDURE_CODE,
        procedure_name=client.TEST_PROCEDURE["name"],
        procedure_version=1,
        agency_code="000.00.31.H26",
        agency_name="Sở Tư pháp",
        submitted_at=datetime.now(UTC),
        fee_total=20000,
    )
    return Envelope.wrap(data, producer="submission")


async def publish(f: Fragile, messages: list[tuple[str, aio_pika.Message]]) -> None:
    """Publish to the stack's exchange with confirms: each message is with the broker when this returns."""
    connection = await aio_pika.connect(f.rabbit.url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(f.cfg.exchange)
        await asyncio.gather(*(exchange.publish(m, routing_key=key) for key, m in messages))


def replicas_ready(f: Fragile) -> dict[str, int]:
    """Every replica's /readyz status (200: its MongoDB, broker and consumer are connected)."""
    return {
        proc.name: http_status(f"http://{f.cfg.host}:{port}/readyz")
        for _spec, _i, port, proc in f.stack.replicas()
    }


async def consumers(f: Fragile) -> dict[str, int]:
    connection = await aio_pika.connect(f.rabbit.url)
    async with connection:
        out = {}
        for name in ("notify", "submission"):
            channel = await connection.channel()
            q = await channel.declare_queue(f"{f.cfg.namespace}{name}.events", passive=True)
            out[name] = q.declaration_result.consumer_count
            await channel.close()
        return out


async def _consuming(f: Fragile, want: dict[str, int]) -> bool:
    return await consumers(f) == want


def applicant(p: client.Person) -> dict[str, Any]:
    return {
        "submitter": {
            "full_name": p.full_name,
            "citizen_id": p.citizen_id,
            "date_of_birth": "1985-03-08",
            "phone": p.phone,
            "address": "Số 1 Lạch Tray, phường Ngô Quyền, Hải Phòng",
        }
    }


# -- 1. the broker restarts while dossiers are filed --------------------------------------------------------


async def test_broker_restart_while_filing_loses_no_event(env):
    f, http, mongo = env
    people = await citizens(http, f, mongo, 4)
    filed: list[tuple[float, dict[str, Any]]] = []
    done = asyncio.Event()

    async def files(p: client.Person) -> None:
        while not done.is_set():
            receipt = await client.file_dossier(http, p, captcha_answer=CAPTCHA_TEST_ANSWER)
            filed.append((time.monotonic(), receipt))

    async def at_least(n: int) -> None:
        await eventually(lambda: len(filed) >= n, timeout=120, interval=0.1)

    workers = [asyncio.create_task(files(p)) for p in people]
    try:
        await at_least(4)
        await asyncio.to_thread(f.rabbit.stop)
        down_at, before = time.monotonic(), len(filed)
        await at_least(before + 4)  # filing goes on without the broker: the events wait in the outbox
        await asyncio.to_thread(f.rabbit.start)
        up_at, after = time.monotonic(), len(filed)
        await at_least(after + 4)
    finally:
        done.set()
        results = await asyncio.gather(*workers, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    during = [r for t, r in filed if down_at < t < up_at]
    assert len(during) >= 4, "no dossier was filed while the broker was down"

    # Every service reconnected by itself: ready again, consuming again (two notify replicas).
    await eventually(lambda: set(replicas_ready(f).values()) == {200}, timeout=60, interval=0.5)
    await eventually(lambda: _consuming(f, {"notify": 2, "submission": 1}), timeout=30, interval=0.5)

    codes = [r["code"] for _, r in filed]
    assert len(set(codes)) == len(codes)
    submission = f.db(mongo, "submission")
    events = {
        d["envelope"]["data"]["dossier_id"]: d["_id"]
        async for d in submission.outbox.find({"routing_key": "dossier.submitted.v1"})
    }
    ids = [r["id"] for _, r in filed]
    assert set(ids) <= set(events), "a submitted dossier without its event"
    await assert_each_once(f.db(mongo, "notify"), [events[i] for i in ids], timeout=90)
    await eventually(lambda: _none(submission.outbox, {"status": {"$ne": "sent"}}), timeout=30)
    # No dossier event reached notify twice (the in-app notifications are counted per dossier too).
    per_dossier = Counter(
        [
            d["dossier_id"]
            async for d in f.db(mongo, "notify").notifications.find({"dossier_id": {"$in": ids}})
        ]
    )
    assert set(per_dossier.values()) == {1} and len(per_dossier) == len(ids)


# -- 2. a notify replica killed in a burst ------------------------------------------------------------------

BURST = 240


async def mid_burst(env: Any, people: int) -> tuple[Any, list[str], int]:
    """BURST dossier.submitted events for `people` new citizens, published at once; returns once notify has
    handled an eighth of them, with notify's database, the events' ids and how many were handled by then."""
    f, http, mongo = env
    owners = await citizens(http, f, mongo, people)
    notify = f.db(mongo, "notify")
    burst = [submitted_event(owners[n % len(owners)].id, n) for n in range(BURST)]
    ids = [str(e.id) for e in burst]
    await publish(f, [(e.routing_key, e.to_message()) for e in burst])

    async def under_way() -> int:
        n = await notify.notifications.count_documents({"event_id": {"$in": ids}})
        return n if n >= BURST // 8 else 0

    return notify, ids, await eventually(under_way, timeout=60, interval=0.05)


async def test_notify_replica_killed_in_a_burst_others_finish_its_work_once(env):
    f, _, _ = env
    pid = Proc("notify-1", f.cfg.run_dir, f.cfg.log_dir).pid()
    assert pid is not None
    try:
        notify, ids, handled_at_kill = await mid_burst(env, 5)
        os.killpg(pid, signal.SIGKILL)  # mid-burst: it holds up to a prefetch of unacknowledged events
        await eventually(lambda: _reaped(pid), timeout=10)
        assert handled_at_kill < BURST, "the burst was over before the kill: make it longer"

        # The events whose transactions died with the replica conflict with those until the database drops
        # them (after 60 s, as MongoDB's transactionLifetimeLimitSeconds): then the survivor handles them.
        await assert_each_once(notify, ids, timeout=120)
        assert (await consumers(f))["notify"] == 1  # the survivor did it alone
    finally:
        await asyncio.to_thread(f.stack.up_services)  # the killed replica comes back for the next test


def _reaped(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)  # our child (started by the stack): reap the zombie
    except ChildProcessError:
        pass
    return not is_running(pid)


# -- 3. the database restarts under load --------------------------------------------------------------------


@dataclass
class Answer:
    step: str
    status: int
    content_type: str
    code: str | None
    seconds: float


async def test_database_restart_gives_503_then_recovers_without_partial_dossiers(env):
    f, http, mongo = env
    people = await citizens(http, f, mongo, 4)
    answers: list[Answer] = []
    submitted: list[str] = []  # dossiers whose submit answered 200
    done = asyncio.Event()
    after_restart = asyncio.Event()
    filed_after: set[str] = set()

    async def call(step: str, request: Any, *ok: int) -> httpx.Response | None:
        t = time.monotonic()
        r = await request
        body = {}
        if r.headers.get("content-type", "").startswith(("application/json", PROBLEM)):
            body = r.json()
        code = body.get("code") if isinstance(body, dict) else None
        answers.append(
            Answer(step, r.status_code, r.headers.get("content-type", ""), code, time.monotonic() - t)
        )
        return r if r.status_code in ok else None

    async def files(p: client.Person) -> None:
        while not done.is_set():
            started_after = after_restart.is_set()
            r = await call(
                "draft",
                http.post(
                    f"{S}/dossiers", json={"procedure_code": client.TEST_PROCEDURE_CODE}, headers=p.auth
                ),
                201,
            )
            if r is None:
                continue
            d = r.json()
            if not await call(
                "applicant",
                http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant(p), headers=p.auth),
                200,
            ):
                continue
            components = [
                m["item"].split(":", 1)[1] for m in d["missing"] if m["item"].startswith("component:")
            ]
            for cid in components:
                up = http.post(
                    f"{S}/dossiers/{d['id']}/attachments",
                    headers=p.auth,
                    data={"component_id": cid},
                    files={"file": ("a.pdf", client.pdf(salt=cid.encode()), "application/pdf")},
                )
                if not await call("upload", up, 201):
                    break
            else:
                components = []
            if components:  # an upload was refused: start over with a new draft
                continue
            cap = await call("captcha", http.post(f"{S}/captcha", headers=p.auth), 201)
            if cap is None:
                continue
            answer = {"captcha_id": cap.json()["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER}
            if await call(
                "submit", http.post(f"{S}/dossiers/{d['id']}/submit", json=answer, headers=p.auth), 200
            ):
                submitted.append(d["id"])
                if started_after:
                    filed_after.add(p.id)

    workers = [asyncio.create_task(files(p)) for p in people]
    try:
        await eventually(lambda: len(submitted) >= 2, timeout=60, interval=0.1)
        # Submission's server: the dossiers' (each service has a MongoDB of its own).
        await asyncio.to_thread(f.mongo["submission"].proc.stop)
        # Down long enough for every worker to be refused twice, whatever step it was at.
        await eventually(lambda: sum(a.status == 503 for a in answers) >= 2 * len(people), timeout=60)
        await asyncio.to_thread(f.mongo["submission"].ensure)
        after_restart.set()
        await eventually(lambda: len(filed_after) == len(people), timeout=90, interval=0.2)
    finally:
        done.set()
        results = await asyncio.gather(*workers, return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results

    unexpected = [a for a in answers if a.status not in (200, 201, 503)]
    assert not unexpected, unexpected[:5]
    refused = [a for a in answers if a.status == 503]
    assert refused, "no request met the restart"
    for a in refused:
        assert a.content_type.startswith(PROBLEM) and a.code == "service-unavailable", a
    slowest = max(answers, key=lambda a: a.seconds)
    assert slowest.seconds < 20, slowest  # a refusal, not a hang

    # No partial dossier: submitted ones have their code and their event, drafts have neither.
    submission = f.db(mongo, "submission")
    owners = [p.id for p in people]
    events = {
        d["envelope"]["data"]["dossier_id"]: d["envelope"]["data"]["code"]
        async for d in submission.outbox.find({"routing_key": "dossier.submitted.v1"})
    }
    dossiers = await submission.dossiers.find({"owner_id": {"$in": owners}}).to_list()
    assert {d["_id"] for d in dossiers} >= set(submitted)
    for d in dossiers:
        if d["status"] == "draft":
            assert d.get("code") is None and d["_id"] not in events, d["_id"]
        else:
            assert d["code"] and events.get(d["_id"]) == d["code"], d["_id"]
    assert set(submitted) <= {d["_id"] for d in dossiers if d["status"] != "draft"}
    s3 = s3_client(f)  # and every attachment listed has its object
    for a in [a for d in dossiers for a in d.get("attachments", [])]:
        assert s3.head_object(Bucket=f.cfg.bucket, Key=a["key"])["ContentLength"] == a["size"]


# -- 4. object storage stops during an upload ---------------------------------------------------------------

MB = 1024 * 1024


def big_pdf(size: int) -> bytes:
    head = b"%PDF-1.5\n"
    return head + (uuid.uuid4().bytes * (size // 16 + 1))[: size - len(head)]


def s3_client(f: Fragile) -> Any:
    return botocore.session.get_session().create_client(
        "s3",
        endpoint_url=f.cfg.s3_endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
    )


async def upload(
    http: httpx.AsyncClient, p: client.Person, dossier: str, component: str, chunks: AsyncIterator[bytes]
) -> httpx.Response:
    """A multipart upload whose file part streams from ``chunks`` (so the test decides what happens when)."""
    boundary = uuid.uuid4().hex

    async def body() -> AsyncIterator[bytes]:
        yield (
            f'--{boundary}\r\nContent-Disposition: form-data; name="component_id"\r\n\r\n{component}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="to-khai.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        async for chunk in chunks:
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**p.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    return await http.post(f"{S}/dossiers/{dossier}/attachments", content=body(), headers=headers)


async def pieces(data: bytes, size: int = MB) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_storage_stopped_during_an_upload_gives_503_and_the_retry_succeeds(env):
    f, http, mongo = env
    (p,) = await citizens(http, f, mongo, 1)
    d = (
        await http.post(f"{S}/dossiers", json={"procedure_code": client.TEST_PROCEDURE_CODE}, headers=p.auth)
    ).json()
    r = await http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant(p), headers=p.auth)
    assert r.status_code == 200, r.text
    first, second = [m["item"].split(":", 1)[1] for m in d["missing"] if m["item"].startswith("component:")]
    small = client.pdf(salt=b"first")
    r = await upload(http, p, d["id"], first, pieces(small))
    assert r.status_code == 201, r.text

    data = big_pdf(24 * MB)  # three S3 parts of 8 MB
    stopped, sent = False, 0

    async def stops_midway() -> AsyncIterator[bytes]:
        nonlocal stopped, sent
        async for chunk in pieces(data):
            yield chunk
            sent += len(chunk)
            if sent >= 12 * MB and not stopped:
                await asyncio.to_thread(f.s3.proc.stop)  # the first part is in the store by now
                stopped = True

    try:
        r = await upload(http, p, d["id"], second, stops_midway())
        assert stopped
        assert r.status_code == 503, r.text
        assert r.headers["content-type"].startswith(PROBLEM) and r.headers["retry-after"]
        assert r.json()["code"] == "storage-unavailable"
        # A small file while the store is still down: refused the same way, not a 500.
        r = await upload(http, p, d["id"], second, pieces(client.pdf(salt=b"small")))
        assert r.status_code == 503 and r.json()["code"] == "storage-unavailable", r.text
        # A download too: refused before its answer starts (not a 200 cut short).
        listed = (await http.get(f"{S}/dossiers/{d['id']}", headers=p.auth)).json()["attachments"]
        r = await http.get(f"{S}/dossiers/{d['id']}/attachments/{listed[0]['id']}", headers=p.auth)
        assert r.status_code == 503 and r.json()["code"] == "storage-unavailable", r.text
    finally:
        await asyncio.to_thread(f.s3.ensure)

    # Nothing points to an object the store does not have: the dossier lists only the first file.
    listed = (await http.get(f"{S}/dossiers/{d['id']}", headers=p.auth)).json()["attachments"]
    assert [a["component_id"] for a in listed] == [first]
    stored = await f.db(mongo, "submission").dossiers.find_one({"_id": d["id"]})
    assert [a["component_id"] for a in stored["attachments"]] == [first]
    assert stored["total_bytes"] == len(small)
    s3 = s3_client(f)
    for a in stored["attachments"]:
        assert s3.head_object(Bucket=f.cfg.bucket, Key=a["key"])["ContentLength"] == a["size"]
    for u in stored.get("uploading", []):  # left for the cleanup: never completed into an object
        with pytest.raises(s3.exceptions.ClientError):
            s3.head_object(Bucket=f.cfg.bucket, Key=u["key"])

    # The same upload again, the store back: stored whole.
    r = await upload(http, p, d["id"], second, pieces(data))
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(data).hexdigest()
    got = await http.get(f"{S}/dossiers/{d['id']}/attachments/{r.json()['id']}", headers=p.auth)
    assert (
        got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()
    )
    cap = (await http.post(f"{S}/captcha", headers=p.auth)).json()
    answer = {"captcha_id": cap["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER}
    r = await http.post(f"{S}/dossiers/{d['id']}/submit", json=answer, headers=p.auth)
    assert r.status_code == 200 and r.json()["attachments"] == 2, r.text


# -- 5. a poison message ------------------------------------------------------------------------------------


async def test_poison_messages_are_parked_and_do_not_block_the_queue(env):
    f, http, mongo = env
    (p,) = await citizens(http, f, mongo, 1)
    key = DossierSubmittedV1.routing_key()
    garbage = aio_pika.Message(b"{not json at all", message_id=f"garbage-{uuid.uuid4().hex}")
    # A well-formed envelope whose data breaks the event's contract (no code, no owner...).
    invalid = Envelope(
        type="dossier.submitted",
        version=1,
        occurred_at=datetime.now(UTC),
        producer="submission",
        data={"dossier_id": "x"},
    )
    good = [submitted_event(p.id, n) for n in range(5)]
    await publish(f, [(key, garbage), (key, invalid.to_message())])
    await publish(f, [(key, e.to_message()) for e in good])

    notify = f.db(mongo, "notify")
    await assert_each_once(notify, [str(e.id) for e in good], timeout=30)

    parking = f"{f.cfg.namespace}notify.events.parking"
    connection = await aio_pika.connect(f.rabbit.url)
    async with connection:
        channel = await connection.channel()
        q = await channel.declare_queue(parking, passive=True)

        async def parked_two() -> bool:
            return (await channel.declare_queue(parking, passive=True)).declaration_result.message_count >= 2

        await eventually(parked_two, timeout=30, interval=0.2)
        parked = {}
        while (m := await q.get(no_ack=True, fail=False)) is not None:
            parked[m.message_id] = (m.headers or {}).get(ERROR_HEADER, "")
        assert set(parked) == {garbage.message_id, str(invalid.id)}, parked
        assert "unreadable" in parked[garbage.message_id]
        assert "validation error" in parked[str(invalid.id)]
        main = await channel.declare_queue(f"{f.cfg.namespace}notify.events", passive=True)
        assert main.declaration_result.message_count == 0
    # Neither poison left a trace in notify.
    assert await notify.processed_events.count_documents({"_id": str(invalid.id)}) == 0
