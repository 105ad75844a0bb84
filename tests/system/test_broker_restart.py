"""RabbitMQ restarted under load, with the services laid out as on Kubernetes (API processes that serve
HTTP only, worker processes that consume): no 5xx at the gateway, every API process stays ready (what
Kubernetes routes by) while the broker is away, the writes' events wait in the outbox and are published and
handled once it is back (docs/architecture.md, "Readiness and the broker").

The local gateway (nginx) does not route by readiness as a Kubernetes Service does, so the readiness the
Service would act on is sampled from every API process directly: with the broker in their readiness (the
old rule) each of them answers 503 for the whole outage, and Kubernetes would leave the gateway no endpoint.

And a worker process stopped by SIGTERM in the middle of a burst (a rollout) finishes what it holds and
gives nothing back to the queue (docs/architecture.md, "Stopping a worker").

The broker is a private node of this module's own (the fixture ``fragile`` below): the shared one at
5672 is never stopped.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from typing import Any

import aio_pika
import httpx
import pytest

from devstack import client
from devstack.infra import S3, PrivateRabbitMQ, mongo_servers
from devstack.procs import Proc
from devstack.stack import http_status
from devstack.testing import CAPTCHA_TEST_ANSWER, eventually, free_port, start_stack

from . import test_faults
from .test_faults import BURST, Fragile, assert_each_once, citizens, mid_burst

# test_faults' fixture: the stack of the module's ``fragile`` (below) ready, a gateway client, its MongoDB, a
# procedure citizens can file.
env = test_faults.env

pytestmark = pytest.mark.skipif(not PrivateRabbitMQ.available(), reason="needs rabbitmq-server installed")

CONSUMING = ("submission", "notify", "payment", "reporting", "audit")  # the services with event handlers
OUTAGE_S = 10.0


@pytest.fixture(scope="module")
def fragile(infra, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fragile]:
    """A stack whose broker is a private node (the session's MongoDB and S3), each consuming service with
    an API process and a worker, as deploy/k8s lays them out."""
    home = tmp_path_factory.mktemp("broker-restart")
    rabbit = PrivateRabbitMQ(home / "rabbit", free_port(), free_port(), name=f"dvcbr{os.getpid()}")
    rabbit.start()
    run = None
    try:
        run = start_stack(
            infra,
            name="broker-restart",
            namespace="br_",
            amqp_port=rabbit.port,
            workers=dict.fromkeys(CONSUMING, 1),
        )
        mongo = {m.service: m for m in mongo_servers(run.cfg)}  # the session's: never stopped here
        yield Fragile(run.stack, run.cfg, run.infra, rabbit, mongo, S3(run.cfg))
    finally:
        if run is not None:
            run.stack.down(with_infra=False)
        rabbit.stop()


def readiness(f: Fragile, processes: list[Any]) -> dict[str, int]:
    return {proc.name: http_status(f"http://{f.cfg.host}:{port}/readyz") for _s, _i, port, proc in processes}


async def test_broker_restart_under_load_gives_no_5xx_and_the_outbox_catches_up(env):
    f, http, mongo = env
    assert {spec.name for spec, *_ in f.stack.workers()} == set(CONSUMING)
    people = await citizens(http, f, mongo, 3)

    answers: list[tuple[float, str, str, int]] = []  # (when, method, path, status) of every gateway answer

    async def seen(r: httpx.Response) -> None:
        answers.append((time.monotonic(), r.request.method, r.request.url.path, r.status_code))

    done = asyncio.Event()
    filed: list[tuple[float, str]] = []  # (when, dossier id) of dossiers submitted
    drafts: list[float] = []

    async def reads(gw: httpx.AsyncClient) -> None:
        while not done.is_set():
            await gw.get("/api/v1/catalog/procedures", params={"q": "khai sinh"})
            await gw.get("/api/v1/catalog/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})
            await gw.get(f"{client.S}/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})

    async def writes(gw: httpx.AsyncClient, p: client.Person) -> None:
        while not done.is_set():
            # A draft created and updated (no event), then a whole filing (dossier.submitted.v1 and the
            # audit entries go through the outbox).
            r = await gw.post(
                f"{client.S}/dossiers", json={"procedure_code": client.TEST_PROCEDURE_CODE}, headers=p.auth
            )
            if r.status_code == 201:
                body = {"submitter": client.submitter(p)}
                await gw.put(f"{client.S}/dossiers/{r.json()['id']}/applicant", json=body, headers=p.auth)
                drafts.append(time.monotonic())
            receipt = await client.file_dossier(gw, p, captcha_answer=CAPTCHA_TEST_ANSWER)
            filed.append((time.monotonic(), receipt["id"]))

    apis = f.stack.replicas()
    workers = f.stack.workers()
    samples: list[tuple[float, dict[str, int]]] = []

    async def sample() -> None:  # what Kubernetes' readiness probes would see, four times a second
        while not done.is_set():
            samples.append((time.monotonic(), await asyncio.to_thread(readiness, f, apis + workers)))
            await asyncio.sleep(0.25)

    async with httpx.AsyncClient(base_url=f.url, timeout=60, event_hooks={"response": [seen]}) as gw:
        tasks = [asyncio.create_task(reads(gw)) for _ in range(2)]
        tasks += [asyncio.create_task(writes(gw, p)) for p in people]
        tasks.append(asyncio.create_task(sample()))
        try:
            await eventually(lambda: len(filed) >= 3, timeout=120, interval=0.1)
            await asyncio.to_thread(f.rabbit.stop)
            down_at, before = time.monotonic(), len(filed)
            await asyncio.sleep(OUTAGE_S)
            await asyncio.to_thread(f.rabbit.start)
            up_at = time.monotonic()
            await eventually(lambda: len(filed) >= before + 3 * len(people), timeout=120, interval=0.1)
            # Load goes on until the workers consume again.
            await eventually(lambda: set(readiness(f, workers).values()) == {200}, timeout=90, interval=0.5)
        finally:
            done.set()
            results = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors[:3]

    failed = [a for a in answers if a[3] >= 500]
    during = [a for a in answers if down_at < a[0] < up_at]
    written = [i for t, i in filed if down_at < t < up_at]
    outage_samples = [s for t, s in samples if down_at + 2 < t < up_at]  # after the workers noticed
    print(
        f"{len(answers)} answers ({len(during)} while the broker was down {up_at - down_at:.1f}s), "
        f"{len(failed)} 5xx; {len(filed)} dossiers filed ({len(written)} during the outage), "
        f"{len(drafts)} drafts; {len(samples)} readiness samples"
    )
    assert not failed, failed[:5]
    assert len(during) >= 20 and written, "too little load met the outage"
    # Every API process stayed ready through the outage (Kubernetes keeps them in their Services)...
    api_names = {proc.name for *_, proc in apis}
    unready = [
        (round(t - down_at, 1), n, c) for t, s in samples for n, c in s.items() if n in api_names and c != 200
    ]
    assert not unready, unready[:5]
    # ...while the workers, which consume, said they were not (the outage was real to them).
    worker_names = {proc.name for *_, proc in workers}
    # (A sample, not each one: under load a node's stop, and a worker's noticing it, take a while.)
    assert any(all(s[n] == 503 for n in worker_names) for s in outage_samples), outage_samples[-1]

    # The events written meanwhile were published once the broker was back, and handled: each dossier
    # filed during the outage has its notification.
    submission, notify = f.db(mongo, "submission"), f.db(mongo, "notify")

    async def outbox_drained() -> bool:
        return await submission.outbox.count_documents({"status": {"$ne": "sent"}}) == 0

    await eventually(outbox_drained, timeout=60, interval=0.5)

    async def notified() -> bool:
        got = await notify.notifications.distinct("dossier_id", {"dossier_id": {"$in": written}})
        return set(got) == set(written)

    await eventually(notified, timeout=90, interval=0.5)


async def test_a_worker_stopped_mid_burst_hands_nothing_back(env):
    """SIGTERM to a worker process (what Kubernetes sends in a rollout): uvicorn finishes its requests,
    the app's lifespan stops the runtime, whose consumer cancels its subscription and handles the prefetch
    it holds before the connection closes. Nothing it held goes back to the queue for the next worker: of
    the messages the broker has ready afterwards, at most the few it delivered after confirming the cancel
    carry the redelivered flag (the old stop gave back up to a prefetch, 64, each marked redelivered)."""
    f, _, _ = env
    victim = Proc("notify-worker-1", f.cfg.run_dir, f.cfg.log_dir)
    queue = f"{f.cfg.namespace}notify.events"
    try:
        notify, ids, _ = await mid_burst(env, 2)
        t0 = time.monotonic()
        await asyncio.to_thread(victim.stop, 40.0)  # SIGTERM; SIGKILL only after 40 s
        took = time.monotonic() - t0
        handled = await notify.notifications.count_documents({"event_id": {"$in": ids}})
        assert handled < BURST, "the burst was over before the stop: make it longer"

        connection = await aio_pika.connect(f.rabbit.url)
        async with connection:
            channel = await connection.channel()
            q = await channel.declare_queue(queue, passive=True)
            ready, redelivered = 0, 0
            while (m := await q.get(no_ack=False, fail=False)) is not None:
                ready += 1
                redelivered += bool(m.redelivered)
            # Closing the channel gives them back for the worker started below.
        print(
            f"worker stopped in {took:.1f}s; {handled} of {BURST} handled; {ready} ready, {redelivered} redelivered"
        )
        assert took < 30, took  # within the Pod's grace (terminationGracePeriodSeconds 30)
        assert ready == BURST - handled, (ready, handled)
        # The old stop gave back its whole prefetch (64). A quorum queue may still send a delivery after its
        # cancel-ok; one that comes after the drain's quiet spell goes back (seen: 2 of 160, on a loaded CI).
        assert redelivered <= 4, f"{redelivered} of the {ready} messages left were given back by the stop"
        log = victim.log_file.read_text(errors="replace")
        assert "consumer drained" in log and "drain grace over" not in log, log[-2000:]
    finally:
        await asyncio.to_thread(f.stack.up_services)  # the worker back, for what is left
    await assert_each_once(notify, ids, timeout=120)
