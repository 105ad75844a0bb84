"""A subscription the broker cancels (its queue deleted by an operator, a quorum queue's members lost) is
taken up again: the worker is not ready while it has none, and events published afterwards are handled.
Against the real RabbitMQ and MongoDB."""

from __future__ import annotations

from typing import Any

from devstack.testing import eventually
from dvckit.events import Envelope


async def test_a_subscription_the_broker_cancels_is_taken_up_again(make_runtime, thing):
    async def effect(env: Envelope, session: Any) -> None:
        await rt.db.effects.insert_one({"n": env.data["n"], "event": str(env.id)}, session=session)

    rt = await make_runtime(handlers={"thing.happened.v1": effect})
    assert await rt.consumer.consuming()

    # Another client deletes the queue: the broker cancels this consumer (basic.cancel).
    channel = await rt.bus.connection.channel()
    try:
        await channel.queue_delete(rt.consumer.queue_name)
    finally:
        await channel.close()

    seen_not_consuming = False

    async def consuming_again() -> bool:
        nonlocal seen_not_consuming
        now = await rt.consumer.consuming()
        seen_not_consuming |= not now
        return seen_not_consuming and now

    await eventually(consuming_again, 30, interval=0.01)

    # The queue is declared again with its bindings: an event published now reaches the handler.
    envelope = Envelope.wrap(thing(n=4711), producer="test")
    await rt.bus.publish(envelope)

    async def handled() -> bool:
        return await rt.db.effects.count_documents({"event": str(envelope.id)}) == 1

    await eventually(handled, 30, interval=0.1)
    assert (await rt.health.run())["rabbitmq"] == "ok"  # ready again
