"""Start-up against a database that is not there yet, or is too slow to answer: the replica waits
(a bounded time) instead of exiting, so a rollout does not fail for a passing delay."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from pymongo.errors import ConnectionFailure

from devstack.testing import free_port


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class Relay:
    """A TCP relay to a real server (MongoDB, RabbitMQ) on a port of its own, opened only when the test
    says so: the client sees "no server" until then, then the genuine wire protocol. ``cut()`` drops the
    connections open now, as a server closing them would; new ones are relayed again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def open(self) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            self.writers += [writer, up_writer]
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

        self.server = await asyncio.start_server(handle, "127.0.0.1", self.port, family=socket.AF_INET)

    def cut(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    async def close(self) -> None:
        if self.server:
            self.server.close()


@pytest.fixture
async def relay(infra: Any) -> AsyncIterator[Relay]:
    u = urlsplit(infra.mongo_url)
    r = Relay((u.hostname or "127.0.0.1", u.port or 27017))
    yield r
    await r.close()


def _url(infra: Any, port: int) -> str:
    u = urlsplit(infra.mongo_url)
    return u._replace(netloc=f"127.0.0.1:{port}").geturl()


async def test_start_waits_for_a_database_that_comes_late(make_runtime, infra, relay):
    rt = await make_runtime(start=False, mongo_url=_url(infra, relay.port), mongo_timeout_ms=300)
    starting = asyncio.create_task(rt.start())
    await asyncio.sleep(2.0)  # several failed attempts: no server answers on the relay's port yet
    assert not starting.done()
    await relay.open()
    await asyncio.wait_for(starting, 30)
    assert "effects" in await rt.db.list_collection_names()


async def test_start_gives_up_after_its_timeout(make_runtime, infra, relay):
    rt = await make_runtime(
        start=False, mongo_url=_url(infra, relay.port), mongo_timeout_ms=200, startup_timeout_s=1.5
    )
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(ConnectionFailure):
        await asyncio.wait_for(rt.start(), 30)
    assert 1.5 <= loop.time() - t0 < 20


async def test_stopping_while_the_broker_is_slow_leaves_no_reconnect_loop(make_runtime):
    """A service stopped while its first connection to RabbitMQ is half-open (the broker accepted the
    socket but has not answered) ends aio-pika's reconnect loop too: it kept reconnecting after the
    service was gone, and a test run's teardown waited on it for five minutes."""
    held: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accept, never answer

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    rt = await make_runtime(start=False, amqp_url=f"amqp://guest:guest@127.0.0.1:{port}/")
    try:
        await rt.start()
        await asyncio.sleep(1.0)
        assert held and not rt.bus.connected
        await rt.stop()
        await asyncio.sleep(0.2)
        left = [t for t in asyncio.all_tasks() if "connection_factory" in repr(t.get_coro())]
        assert not left, left
    finally:
        server.close()
        for w in held:
            w.close()
