"""The idempotent consumer, its retry tiers and parking lot, against real RabbitMQ and MongoDB."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime
from typing import Any

import aio_pika

from devstack.testing import BROKER_PAUSE_S, eventually
from dvckit.consumer import ERROR_HEADER, batch_size, handled, insert, replay_parking
from dvckit.events import Envelope


def count(outcome: str, key: str = "thing.happened.v1") -> float:
    return handled.labels(key, outcome)._value.get()


async def queue_depth(rt: Any, name: str) -> int:
    channel = await rt.bus.connection.channel()
    try:
        q = await channel.declare_queue(name, passive=True)
        return q.declaration_result.message_count
    finally:
        await channel.close()


async def test_same_event_delivered_twice_has_one_effect(make_runtime, thing):
    async def effect(env, session):
        await rt.db.effects.insert_one({"n": env.data["n"], "event": str(env.id)}, session=session)

    rt = await make_runtime(handlers={"thing.happened.v1": effect})
    dupes_before = count("duplicate")
    env = Envelope.wrap(thing(n=7), producer="test")
    await rt.bus.publish(env)
    await rt.bus.publish(env)  # the broker's redelivery, as the consumer sees it

    await eventually(lambda: count("duplicate") >= dupes_before + 1, 10)
    assert await rt.db.effects.count_documents({"event": str(env.id)}) == 1
    assert await rt.db.processed_events.find_one({"_id": str(env.id)}) is not None
    assert await queue_depth(rt, rt.consumer.queue_name) == 0


async def test_two_replicas_racing_on_one_event_make_one_effect(make_runtime, thing):
    calls = 0

    async def slow_effect(env, session):
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)  # widen the window in which both replicas hold the same event
        await session.client[rt1.settings.mongo_db].effects.insert_one({"n": env.data["n"]}, session=session)

    rt1 = await make_runtime(handlers={"thing.happened.v1": slow_effect})
    await make_runtime(handlers={"thing.happened.v1": slow_effect}, settings=rt1.settings)
    env = Envelope.wrap(thing(n=11), producer="test")
    await asyncio.gather(rt1.bus.publish(env), rt1.bus.publish(env), rt1.bus.publish(env))

    await eventually(lambda: rt1.db.effects.count_documents({"n": 11}), 10)
    await eventually(lambda: _drained(rt1), 10)
    assert await rt1.db.effects.count_documents({"n": 11}) == 1


async def _drained(rt: Any) -> bool:
    return await queue_depth(rt, rt.consumer.queue_name) == 0


async def test_failing_handler_goes_through_retry_tiers_to_parking_lot_and_replays(make_runtime, thing):
    delays = (0.3, 0.6, 1.2)
    attempts: list[float] = []
    fixed = False

    async def flaky(env, session):
        attempts.append(time.monotonic())
        if not fixed:
            raise RuntimeError("downstream broken")
        await rt.db.effects.insert_one({"n": env.data["n"]}, session=session)

    rt = await make_runtime(handlers={"thing.happened.v1": flaky}, retry_delays=delays)
    env = Envelope.wrap(thing(n=3), producer="test")
    await rt.bus.publish(env)

    parking = rt.consumer.parking
    await eventually(lambda: _depth_is(rt, parking, 1), 20)
    assert len(attempts) == 1 + len(delays)  # first delivery, then one per tier
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    for gap, delay in zip(gaps, delays, strict=True):
        assert gap >= delay * 0.9, (gaps, delays)
    assert gaps[0] < gaps[1] < gaps[2]  # the delays grow
    assert await rt.db.effects.count_documents({"n": 3}) == 0

    # The parked copy says why it was parked.
    channel = await rt.bus.connection.channel()
    q = await channel.declare_queue(parking, passive=True)
    msg = await q.get(no_ack=False)
    assert "downstream broken" in msg.headers[ERROR_HEADER]
    await msg.nack(requeue=True)
    await channel.close()

    fixed = True
    moved = await replay_parking(rt.bus, rt.consumer.queue_name)
    assert moved == 1
    await eventually(lambda: rt.db.effects.count_documents({"n": 3}), 10)
    assert await queue_depth(rt, parking) == 0


async def _depth_is(rt: Any, name: str, n: int) -> bool:
    return await queue_depth(rt, name) == n


async def test_unreadable_message_is_parked_without_blocking_the_queue(make_runtime, thing):
    async def effect(env, session):
        await rt.db.effects.insert_one({"n": env.data["n"]}, session=session)

    rt = await make_runtime(handlers={"thing.happened.v1": effect})
    await rt.bus.exchange.publish(
        aio_pika.Message(b"{not json", message_id="poison"), routing_key="thing.happened.v1"
    )
    await rt.bus.publish(Envelope.wrap(thing(n=5), producer="test"))

    await eventually(lambda: rt.db.effects.count_documents({"n": 5}), 10)
    await eventually(lambda: _depth_is(rt, rt.consumer.parking, 1), 10)


async def test_event_whose_data_breaks_its_contract_is_parked_at_once(make_runtime, thing):
    calls: list[Any] = []

    async def effect(env, session):
        calls.append(env.data)
        e = thing.model_validate(env.data)
        await rt.db.effects.insert_one({"n": e.n}, session=session)

    rt = await make_runtime(handlers={"thing.happened.v1": effect})  # retry tiers of 1 s, 10 s and 60 s
    bad = Envelope(
        type="thing.happened", version=1, occurred_at=datetime.now(UTC), producer="test", data={"n": "many"}
    )
    await rt.bus.publish(bad)
    await rt.bus.publish(Envelope.wrap(thing(n=6), producer="test"))

    await eventually(lambda: rt.db.effects.count_documents({"n": 6}), 10)
    await eventually(lambda: _depth_is(rt, rt.consumer.parking, 1), 5)  # not after 71 s of retry tiers
    assert len(calls) == 2  # each event handled once: the bad one was not retried
    channel = await rt.bus.connection.channel()
    q = await channel.declare_queue(rt.consumer.parking, passive=True)
    msg = await q.get(no_ack=False)
    assert msg.message_id == str(bad.id) and "validation error" in msg.headers[ERROR_HEADER]
    await channel.close()


async def test_an_api_only_replica_leaves_the_queue_to_the_workers(make_runtime, thing):
    seen: dict[str, int] = {"api": 0, "worker": 0}

    def effect(role: str) -> Any:
        async def handle(env, session):
            seen[role] += 1

        return handle

    worker = await make_runtime(handlers={"thing.happened.v1": effect("worker")})
    api = await make_runtime(
        handlers={"thing.happened.v1": effect("api")},
        start=False,
        settings=worker.settings.model_copy(update={"consume": False}),
    )
    await api.start()
    await api.bus.wait_ready(BROKER_PAUSE_S)
    for n in range(20):
        await api.bus.publish(Envelope.wrap(thing(n=n), producer="test"))
    await eventually(lambda: seen["worker"] == 20, 10)
    await eventually(lambda: _drained(worker), 10)
    assert seen["api"] == 0 and api.consumer._tag is None


async def test_a_handler_of_an_event_class_gets_the_parsed_model_and_tolerates_new_fields(
    make_runtime, thing
):
    got: list[Any] = []

    async def effect(e, env, session):
        got.append(e)
        await rt.db.effects.insert_one({"n": e.n}, session=session)

    rt = await make_runtime(start=False)
    rt.consumer.on_event(thing)(effect)
    await rt.start()
    await rt.bus.wait_ready(BROKER_PAUSE_S)
    await eventually(lambda: rt.consumer._tag is not None, BROKER_PAUSE_S)
    assert rt.consumer.models == {"thing.happened.v1": thing}

    # A producer one release ahead adds a field: the consumer reads what it knows.
    newer = Envelope.wrap(thing(n=5), producer="test").model_copy(update={"data": {"n": 5, "colour": "đỏ"}})
    await rt.bus.publish(newer)
    await eventually(lambda: rt.db.effects.count_documents({"n": 5}), 10)
    assert isinstance(got[0], thing) and got[0].n == 5

    # A payload the model refuses (n missing) is parked at once, not retried.
    broken = Envelope.wrap(thing(n=6), producer="test").model_copy(update={"data": {"colour": "xanh"}})
    await rt.bus.publish(broken)
    await eventually(lambda: _depth_is(rt, rt.consumer.parking, 1), 10)
    assert len(got) == 1


def batches() -> tuple[float, float]:
    """How many batches were handled so far, and how many events they held."""
    samples = {s.name: s.value for s in batch_size.collect()[0].samples}
    return samples["event_batch_size_count"], samples["event_batch_size_sum"]


async def _burst(rt: Any, envelopes: list[Envelope]) -> None:
    """Published while the replica is not consuming, so that its consumer finds them all waiting."""
    await rt.consumer.queue.cancel(rt.consumer._tag)
    await asyncio.gather(*(rt.bus.publish(e) for e in envelopes))
    rt.consumer._tag = await rt.consumer.queue.consume(rt.consumer._on_message)


async def test_waiting_events_are_handled_in_batches_each_exactly_once(make_runtime, thing):
    async def effect(env, session):
        await insert(rt.db.effects, [{"n": env.data["n"], "event": str(env.id)}], session)

    rt = await make_runtime(handlers={"thing.happened.v1": effect})
    envs = [Envelope.wrap(thing(n=1000 + i), producer="test") for i in range(100)]
    count_before, events_before = batches()
    # Redeliveries side by side with their originals, in the same burst, have no second effect.
    await _burst(rt, [*envs, envs[0], envs[50]])

    await eventually(lambda: _drained(rt), 20)
    await eventually(lambda: batches()[1] - events_before == 102, 20)
    assert await rt.db.effects.count_documents({"n": {"$gte": 1000, "$lt": 1100}}) == 100
    assert await rt.db.processed_events.count_documents({"_id": {"$in": [str(e.id) for e in envs]}}) == 100
    count, events = batches()
    assert events - events_before == 102
    # Fewer transactions than events: at most a batch's worth each.
    assert count - count_before <= 102 / 2, (count - count_before, events - events_before)


async def test_a_poison_event_in_a_batch_is_parked_alone_and_the_others_go_through(make_runtime, thing):
    tries: dict[int, int] = {}

    async def effect(env, session):
        n = env.data["n"]
        tries[n] = tries.get(n, 0) + 1
        if n == 2007:
            raise RuntimeError("this one cannot be handled")
        await insert(rt.db.effects, [{"n": n}], session)

    rt = await make_runtime(handlers={"thing.happened.v1": effect}, retry_delays=(0.2,))
    parked_before = count("parked")
    envs = [Envelope.wrap(thing(n=2000 + i), producer="test") for i in range(20)]
    await _burst(rt, envs)

    await eventually(lambda: _depth_is(rt, rt.consumer.parking, 1), 20)
    await eventually(lambda: _drained(rt), 10)
    assert await rt.db.effects.count_documents({"n": {"$gte": 2000, "$lt": 2020}}) == 19
    assert await rt.db.effects.count_documents({"n": 2007}) == 0
    assert await rt.db.processed_events.count_documents({"_id": str(envs[7].id)}) == 0
    assert count("parked") == parked_before + 1 or await queue_depth(rt, rt.consumer.parking) == 1
    # Every other event was handled (once, as the batch was rolled back before it went one by one).
    assert all(tries[2000 + i] >= 1 for i in range(20))
    assert tries[2007] == 1 + 1 + 1  # in the batch, alone, then once more from its retry tier


async def test_events_a_handler_records_go_out_right_after_the_batch_commits(make_runtime, thing):
    """A handler that publishes (through the outbox) does not wait for the relay's poll."""
    published: list[str] = []

    async def effect(env, session):
        n = env.data["n"]
        if n < 3100:
            await rt.outbox.add(session, thing(n=n + 100))
        else:
            published.append(str(env.id))

    rt = await make_runtime(handlers={"thing.happened.v1": effect}, outbox_poll_seconds=60.0)
    await _burst(rt, [Envelope.wrap(thing(n=3000 + i), producer="test") for i in range(5)])
    # The relay polls only every 60 s here: the follow-up events arrive through the fast path.
    await eventually(lambda: len(published) == 5, 10)
