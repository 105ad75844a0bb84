"""Readiness and the broker: a process that only serves HTTP stays ready while RabbitMQ is away (its writes
wait in the outbox), a worker is ready only while it consumes (docs/architecture.md, "Readiness and the
broker"). Against the real MongoDB and RabbitMQ, the broker reached through a relay the test opens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from devstack.testing import BROKER_PAUSE_S, eventually, running
from dvckit.http import create_app

from .test_runtime import Relay


@pytest.fixture
async def broker_relay(infra: Any) -> AsyncIterator[Relay]:
    r = Relay(("127.0.0.1", infra.amqp_port))
    yield r
    await r.close()


async def nothing(env: Any, session: Any) -> None:
    pass


async def test_only_a_worker_needs_the_broker_to_be_ready(make_runtime, infra, broker_relay, thing):
    url = f"amqp://guest:guest@127.0.0.1:{broker_relay.port}/"  # nothing listens there until open()
    handlers = {"thing.happened.v1": nothing}
    api = await make_runtime(start=False, handlers=handlers, amqp_url=url, consume=False)
    worker = await make_runtime(start=False, handlers=handlers, amqp_url=url)
    async with AsyncExitStack() as stack:
        api_http = await stack.enter_async_context(running(create_app(api, title="api", prefix="/api/v1/p")))
        worker_http = await stack.enter_async_context(
            running(create_app(worker, title="worker", prefix="/api/v1/p"))
        )

        # The broker is away: the API process is ready and says what it misses; the worker is not.
        r = await api_http.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["checks"] == {"mongodb": "ok", "rabbitmq": "fail: ConnectionError"}
        assert r.json()["informational"] == ["rabbitmq"]
        r = await worker_http.get("/readyz")
        assert r.status_code == 503, r.text
        assert r.json()["checks"]["rabbitmq"].startswith("fail") and "informational" not in r.json()

        # An event written meanwhile waits in the outbox.
        async def write(session: Any) -> None:
            await api.outbox.add(session, thing(n=1))

        await api.transaction(write)
        assert await api.outbox.pending() == 1

        # The broker answers: the worker is ready once it consumes, the outbox drains.
        await broker_relay.open()

        async def worker_ready() -> bool:
            return (await worker_http.get("/readyz")).status_code == 200

        await eventually(worker_ready, BROKER_PAUSE_S, interval=0.2)
        assert await worker.consumer.consuming()
        await eventually(lambda: _none_pending(api), 30, interval=0.2)
        r = await api_http.get("/readyz")
        assert r.status_code == 200 and r.json()["checks"]["rabbitmq"] == "ok", r.text


async def _none_pending(rt: Any) -> bool:
    return await rt.outbox.pending() == 0
