"""The transactional outbox and its relay, against real MongoDB and RabbitMQ."""

from __future__ import annotations

import asyncio
import os

import aio_pika
import pytest

from devstack.infra import PrivateRabbitMQ
from devstack.testing import eventually, free_port
from dvckit.outbox import PENDING, SENT, UNROUTABLE


async def bound_queue(url: str, exchange: str, key: str, name: str, **args):
    """An observer queue bound to the events exchange; returns (connection, queue)."""
    conn = await aio_pika.connect(url)
    ch = await conn.channel()
    ex = await ch.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    q = await ch.declare_queue(
        name, durable=True, arguments={"x-queue-type": "quorum", "x-expires": 600_000, **args}
    )
    await q.bind(ex, key)
    return conn, q


async def drain(q) -> list[str]:
    ids = []
    while (m := await q.get(no_ack=True, fail=False)) is not None:
        ids.append(m.message_id)
    return ids


async def write_event(rt, thing, n: int):
    return await rt.transaction(lambda s: rt.outbox.add(s, thing(n=n)))


async def test_event_is_published_once_and_marked_sent(make_runtime, thing):
    rt = await make_runtime()
    s = rt.settings
    conn, q = await bound_queue(
        s.amqp_url.get_secret_value(), s.exchange, "thing.happened.v1", f"{s.queue_prefix}observer"
    )
    async with conn:
        env = await write_event(rt, thing, 1)
        await eventually(lambda: rt.outbox.coll.find_one({"_id": str(env.id), "status": SENT}), 10)
        await asyncio.sleep(0.5)
        assert await drain(q) == [str(env.id)]


async def test_abort_writes_neither_state_nor_event(make_runtime, thing):
    rt = await make_runtime(start=False)
    await rt.start()

    async def fails(session):
        await rt.db.effects.insert_one({"n": 9}, session=session)
        await rt.outbox.add(session, thing(n=9))
        raise ValueError("use case refused")

    with pytest.raises(ValueError):
        await rt.transaction(fails)
    assert await rt.db.effects.count_documents({"n": 9}) == 0
    assert await rt.outbox.coll.count_documents({}) == 0


async def test_publish_the_broker_does_not_confirm_is_not_marked_sent(make_runtime, thing):
    rt = await make_runtime()
    s = rt.settings
    url = s.amqp_url.get_secret_value()
    # A queue that refuses every message: the broker answers the publish with basic.nack.
    conn = await aio_pika.connect(url)
    async with conn:
        ch = await conn.channel()
        ex = await ch.declare_exchange(s.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        full = await ch.declare_queue(
            f"{s.queue_prefix}full", arguments={"x-max-length": 0, "x-overflow": "reject-publish"}
        )
        await full.bind(ex, "thing.happened.v1")

        env = await write_event(rt, thing, 2)
        doc = await eventually(
            lambda: rt.outbox.coll.find_one({"_id": str(env.id), "attempts": {"$gte": 1}}), 10
        )
        assert doc["status"] == PENDING
        assert "DeliveryError" in doc["last_error"] or "Nack" in doc["last_error"]

        # Once the broker accepts it, the same record is re-sent and only then marked sent.
        await full.delete(if_unused=False, if_empty=False)
        obs_conn, obs = await bound_queue(url, s.exchange, "thing.happened.v1", f"{s.queue_prefix}obs2")
        async with obs_conn:
            await eventually(lambda: rt.outbox.coll.find_one({"_id": str(env.id), "status": SENT}), 15)
            await asyncio.sleep(0.3)
            assert await drain(obs) == [str(env.id)]


async def test_unroutable_event_is_kept_for_the_operator(make_runtime, thing):
    rt = await make_runtime()

    class NobodyListensV1(thing):
        event_type = "nobody.listens"

    env = await rt.transaction(lambda s: rt.outbox.add(s, NobodyListensV1(n=4)))
    await eventually(lambda: rt.outbox.coll.find_one({"_id": str(env.id), "status": UNROUTABLE}), 10)
    s = rt.settings
    conn, q = await bound_queue(
        s.amqp_url.get_secret_value(), s.exchange, "nobody.listens.v1", f"{s.queue_prefix}late"
    )
    async with conn:
        assert await rt.outbox.requeue() == 1
        await eventually(lambda: rt.outbox.coll.find_one({"_id": str(env.id), "status": SENT}), 10)
        await asyncio.sleep(0.3)
        assert await drain(q) == [str(env.id)]


@pytest.fixture
def private_broker(tmp_path):
    """A RabbitMQ node of this test's own, which it may stop and start."""
    broker = PrivateRabbitMQ(tmp_path / "rabbit", free_port(), free_port(), name=f"dvcstop{os.getpid()}")
    broker.start()
    yield broker
    broker.stop()


async def test_event_written_while_broker_is_down_is_published_once_when_it_is_back(
    make_runtime, private_broker, thing
):
    rt = await make_runtime(amqp_url=private_broker.url)
    s = rt.settings
    conn, q = await bound_queue(
        private_broker.url, s.exchange, "thing.happened.v1", f"{s.queue_prefix}observer"
    )
    await conn.close()

    await asyncio.to_thread(private_broker.stop)
    env = await write_event(rt, thing, 8)  # the use case still succeeds: MongoDB is up
    await asyncio.sleep(2)
    doc = await rt.outbox.coll.find_one({"_id": str(env.id)})
    assert doc["status"] == PENDING

    await asyncio.to_thread(private_broker.start)
    await eventually(lambda: rt.outbox.coll.find_one({"_id": str(env.id), "status": SENT}), 60)
    await eventually(lambda: rt.bus.connected, 30)
    await asyncio.sleep(1.0)  # a second publish, if any, would land by now

    conn, q = await bound_queue(
        private_broker.url, s.exchange, "thing.happened.v1", f"{s.queue_prefix}observer"
    )
    async with conn:
        assert await drain(q) == [str(env.id)]


async def test_records_published_together_are_marked_sent_in_one_update(make_runtime, thing):
    from dvckit.mongo_metrics import commands

    rt = await make_runtime()
    s = rt.settings
    conn, q = await bound_queue(
        s.amqp_url.get_secret_value(), s.exchange, "thing.happened.v1", f"{s.queue_prefix}observer2"
    )
    async with conn:
        updates = commands.labels(s.mongo_db, "update")
        before = updates._value.get()
        envs = await asyncio.gather(*(write_event(rt, thing, 500 + i) for i in range(30)))
        ids = [str(e.id) for e in envs]
        await eventually(lambda: _all_sent(rt, ids), 10)
        await asyncio.sleep(0.5)
        assert sorted(await drain(q)) == sorted(ids)  # each published once
    # Thirty events, marked sent in a few updates (those confirmed within the same half second).
    assert updates._value.get() - before <= 5


async def _all_sent(rt, ids: list[str]) -> bool:
    return await rt.outbox.coll.count_documents({"_id": {"$in": ids}, "status": SENT}) == len(ids)
