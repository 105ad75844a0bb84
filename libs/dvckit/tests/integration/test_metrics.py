"""The event pipeline's metrics (dvckit.metrics, dvckit.consumer), against real MongoDB and RabbitMQ.

The gauges are the process's: each check reads them right after the sample that set them, with no await
in between (another runtime's sampler in the same process cannot run there)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from devstack.testing import BROKER_PAUSE_S, eventually
from dvckit import metrics, mongo
from dvckit.outbox import UNROUTABLE


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_the_outbox_backlog_its_age_and_the_unroutable_records_are_sampled(make_runtime, thing):
    rt = await make_runtime(start=False)  # no relay: what is written stays pending
    await mongo.ensure_schema(rt.db, rt.schema)
    await metrics.sample_outbox(rt.outbox)
    assert (value("outbox_pending_records"), value("outbox_oldest_pending_age_seconds")) == (0, 0)

    envs = [await rt.transaction(lambda s, n=n: rt.outbox.add(s, thing(n=n))) for n in range(3)]
    await rt.outbox.coll.update_one(
        {"_id": str(envs[0].id)}, {"$set": {"created_at": datetime.now(UTC) - timedelta(seconds=300)}}
    )
    await rt.outbox.coll.update_one(
        {"_id": str(envs[2].id)}, {"$set": {"status": UNROUTABLE}, "$unset": {"due_at": ""}}
    )
    await metrics.sample_outbox(rt.outbox)
    assert value("outbox_pending_records") == 2
    assert 300 <= value("outbox_oldest_pending_age_seconds") < 360
    assert value("outbox_unroutable_records") == 1


async def test_handled_events_count_by_outcome_with_their_lag(make_runtime, thing):
    async def handle(env, session):
        if env.data["n"] == 13:
            raise RuntimeError("unlucky")

    rt = await make_runtime(handlers={"thing.happened.v1": handle})
    key = "thing.happened.v1"
    ok, retried = (
        value("events_handled_total", type=key, outcome="ok"),
        value("events_handled_total", type=key, outcome="retried"),
    )
    lags = value("consumer_event_lag_seconds_count")
    await rt.transaction(lambda s: rt.outbox.add(s, thing(n=1)))
    await rt.transaction(lambda s: rt.outbox.add(s, thing(n=13)))
    await eventually(lambda: value("events_handled_total", type=key, outcome="retried") > retried, 20)
    await eventually(lambda: value("events_handled_total", type=key, outcome="ok") > ok, 20)
    assert value("consumer_event_lag_seconds_count") > lags


async def test_the_queue_and_the_parking_lot_are_sampled_from_the_broker(make_runtime, thing):
    async def handle(env, session):
        pass

    # Declared, bound, not consumed from: what is published waits in the queue.
    rt = await make_runtime(handlers={"thing.happened.v1": handle}, consume=False, start=False)
    await rt.start()
    await rt.bus.wait_ready(BROKER_PAUSE_S)
    await rt.consumer.declare()
    for n in range(3):
        await rt.transaction(lambda s, n=n: rt.outbox.add(s, thing(n=n)))

    async def sent() -> bool:
        return await rt.outbox.coll.count_documents({"status": "sent"}) == 3

    await eventually(sent, 20)

    async def three() -> bool:
        await rt.sampler.sample_once()
        return value("consumer_queue_messages") == 3 and value("consumer_parking_messages") == 0

    await eventually(three, 20)
    assert value("dependency_up", check="mongodb") == 1
    assert value("dependency_up", check="rabbitmq") == 1
    assert value("metrics_sampled_timestamp_seconds") > 0
