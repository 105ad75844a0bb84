"""The event bus against the real RabbitMQ, through a TCP relay the test can cut: a publish whose
connection the broker closes under it is sent again once aio-pika has reconnected."""

from __future__ import annotations

import asyncio
import uuid

from devstack.testing import eventually
from dvckit.events import Envelope, EventBus

from .test_outbox import bound_queue, drain
from .test_runtime import Relay


async def test_a_publish_cut_off_by_the_broker_is_sent_again_after_the_reconnect(make_runtime, thing):
    rt = await make_runtime(start=False)  # its settings: the run's broker, exchange and queue prefix
    s = rt.settings
    url = s.amqp_url.get_secret_value()
    host, port = url.rsplit("@", 1)[1].split("/")[0].split(":")
    conn, q = await bound_queue(
        url, s.exchange, "thing.happened.v1", f"{s.queue_prefix}bus-{uuid.uuid4().hex}"
    )
    relay = Relay((host, int(port)))
    await relay.open()
    async with conn:
        bus = EventBus(url.replace(f"{host}:{port}", f"127.0.0.1:{relay.port}"), s.exchange, name="bus-test")
        await bus.connect()
        try:
            first = Envelope.wrap(thing(n=1), producer="test")
            await bus.publish(first)
            relay.cut()  # the connection dies as the next publish goes out
            second = Envelope.wrap(thing(n=2), producer="test")
            await asyncio.wait_for(bus.publish(second), 30)
            assert bus.connected
            got: list[str] = []

            async def both() -> bool:
                got.extend(await drain(q))
                return len(got) >= 2

            await eventually(both, 5)
            assert got == [str(first.id), str(second.id)]
        finally:
            await bus.close()
            relay.cut()
            await relay.close()
