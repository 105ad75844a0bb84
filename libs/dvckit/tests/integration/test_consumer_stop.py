"""A worker that stops (a rollout, a scale-in) finishes what the broker already sent it: nothing it held is
redelivered to another replica. Against the real RabbitMQ and MongoDB."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from devstack.testing import eventually
from dvckit.events import Envelope

from .test_consumer import queue_depth

PREFETCH = 8
BATCH = 2
EVENTS = 40
HANDLE_S = 0.15  # per event: a prefetch in hand takes about a second to finish


async def test_a_clean_stop_handles_what_it_holds_and_nothing_is_redelivered(make_runtime, thing):
    calls: Counter[str] = Counter()  # handler calls per event, both replicas, committed or not
    redelivered: list[str] = []  # messages the second replica got with the broker's redelivered flag

    async def slow(env: Envelope, session: Any) -> None:
        calls[str(env.id)] += 1
        await asyncio.sleep(HANDLE_S)
        await session.client[first.settings.mongo_db].effects.insert_one(
            {"n": env.data["n"], "event": str(env.id)}, session=session
        )

    first = await make_runtime(
        handlers={"thing.happened.v1": slow},
        prefetch=PREFETCH,
        event_batch=BATCH,
        consumer_drain_seconds=20,
    )
    envelopes = [Envelope.wrap(thing(n=3000 + i), producer="test") for i in range(EVENTS)]
    ids = [str(e.id) for e in envelopes]
    await asyncio.gather(*(first.bus.publish(e) for e in envelopes))

    # The first replica is under way: a batch being handled, and a whole prefetch sent to it (what the
    # broker still has ready is the rest).
    async def under_way() -> bool:
        ready = await queue_depth(first, first.consumer.queue_name)
        return sum(calls.values()) >= BATCH and ready <= EVENTS - PREFETCH

    await eventually(under_way, 30)

    # A second replica of the same service takes what the first leaves; the broker's redelivered flag
    # says which of its messages had been sent to the first before.
    second = await make_runtime(handlers={"thing.happened.v1": slow}, settings=first.settings, start=False)
    take = second.consumer._on_message

    async def watched(message: Any) -> None:
        if message.redelivered:
            redelivered.append(message.message_id)
        await take(message)

    second.consumer._on_message = watched  # type: ignore[method-assign]
    await second.start()
    await eventually(lambda: second.consumer._tag is not None, 60)

    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await first.stop()  # the whole runtime, as the app's lifespan stops it on SIGTERM
    took = loop.time() - t0
    assert took < 20, took  # within the grace, not cut by it

    async def all_done() -> bool:
        return await second.db.effects.count_documents({"event": {"$in": ids}}) == EVENTS

    await eventually(all_done, 60, interval=0.2)
    twice = sum(1 for n in calls.values() if n > 1)
    print(
        f"stop took {took:.2f}s; redelivered to the second replica: {len(redelivered)}; begun twice: {twice}"
    )
    assert not redelivered, f"{len(redelivered)} messages the first replica held came again"
    assert set(calls) == set(ids)
    assert set(calls.values()) == {1}, calls.most_common(3)  # each handled once, none begun twice
    assert await second.db.processed_events.count_documents({"_id": {"$in": ids}}) == EVENTS


async def test_stop_closes_after_its_grace_when_handling_takes_longer(make_runtime, thing):
    """A handler slower than the grace: the stop still ends near the grace (the Pod is killed at its
    termination grace anyway); what it did not finish goes back to the queue and is handled once later."""
    release = asyncio.Event()
    began: list[str] = []

    async def stuck(env: Envelope, session: Any) -> None:
        began.append(str(env.id))
        await release.wait()

    rt = await make_runtime(handlers={"thing.happened.v1": stuck}, consumer_drain_seconds=1.0)
    env = Envelope.wrap(thing(n=4000), producer="test")
    await rt.bus.publish(env)
    await eventually(lambda: began, 30)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await rt.consumer.stop()
    assert 1.0 <= loop.time() - t0 < 8, loop.time() - t0
    release.set()

    async def effect(e: Envelope, session: Any) -> None:
        await session.client[rt.settings.mongo_db].effects.insert_one({"event": str(e.id)}, session=session)

    other = await make_runtime(handlers={"thing.happened.v1": effect}, settings=rt.settings)
    await eventually(lambda: other.db.effects.count_documents({"event": str(env.id)}), 30)
