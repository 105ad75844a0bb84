"""The event bus against the real RabbitMQ, through a TCP relay the test can cut: a publish whose
connection the broker closes under it is sent again once aio-pika has reconnected."""

from __future__ import annotations

import asyncio
import socket
import uuid

from dvckit.events import Envelope, EventBus

from .test_outbox import bound_queue, drain
from .test_runtime import _pipe


class CuttableRelay:
    """Relays TCP to the broker; ``cut()`` closes every connection open now (as a broker does when it
    closes one), and new ones are relayed again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> CuttableRelay:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            self.writers += [writer, up_writer]
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0, family=socket.AF_INET)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def cut(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    async def __aexit__(self, *_: object) -> None:
        assert self.server is not None
        self.cut()
        self.server.close()


async def test_a_publish_cut_off_by_the_broker_is_sent_again_after_the_reconnect(make_runtime, thing):
    rt = await make_runtime(start=False)  # its settings: the run's broker, exchange and queue prefix
    s = rt.settings
    url = s.amqp_url.get_secret_value()
    host, port = url.rsplit("@", 1)[1].split("/")[0].split(":")
    conn, q = await bound_queue(
        url, s.exchange, "thing.happened.v1", f"{s.queue_prefix}bus-{uuid.uuid4().hex}"
    )
    async with conn, CuttableRelay((host, int(port))) as relay:
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
            for _ in range(50):
                got += await drain(q)
                if len(got) >= 2:
                    break
                await asyncio.sleep(0.1)
            assert got == [str(first.id), str(second.id)]
        finally:
            await bus.close()
