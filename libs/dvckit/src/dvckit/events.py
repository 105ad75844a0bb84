"""The event envelope and the bus that carries it over RabbitMQ (aio-pika).

One durable topic exchange; routing key ``<aggregate>.<event>.v<N>``; persistent messages; publisher
confirms and ``mandatory``, so a publish counts as done only when the broker has taken responsibility for
it. Event payloads are pydantic models declared in :mod:`dvckit.contracts`.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Self

import aio_pika
import aiormq
from aio_pika.abc import AbstractRobustChannel, AbstractRobustConnection, AbstractRobustExchange
from aio_pika.connection import make_url
from pydantic import BaseModel, ConfigDict, Field

from . import logs, tracing
from .jsonutil import dumps, loads

log = logs.get(__name__)


class EventData(BaseModel):
    """Base of every event payload. Subclasses set ``event_type`` and ``event_version``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    event_type: ClassVar[str]
    event_version: ClassVar[int]
    # No longer published; consumers keep a handler until the queues hold none from before.
    deprecated: ClassVar[bool] = False

    @classmethod
    def routing_key(cls) -> str:
        return f"{cls.event_type}.v{cls.event_version}"


class Envelope(BaseModel):
    """What travels on the bus (docs/architecture.md §3)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$", description="<aggregate>.<event>, past tense")
    version: int = Field(ge=1)
    occurred_at: datetime
    producer: str
    correlation_id: str | None = None
    # The W3C trace context of the span that wrote the event (dvckit.tracing), only when tracing is on; left
    # out of the JSON when absent, so an envelope without it is byte for byte as before. Not validated here:
    # a malformed one is ignored by the consumer's tracing, never a reason to refuse the event.
    traceparent: str | None = Field(default=None, max_length=256, exclude_if=lambda v: v is None)
    data: dict[str, Any]

    @property
    def routing_key(self) -> str:
        return f"{self.type}.v{self.version}"

    @classmethod
    def wrap(cls, data: EventData, *, producer: str, correlation_id: str | None = None) -> Self:
        return cls(
            type=data.event_type,
            version=data.event_version,
            occurred_at=datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id if correlation_id is not None else logs.request_id_var.get(),
            traceparent=tracing.traceparent(),
            data=data.model_dump(mode="json"),
        )

    def to_message(self, headers: dict[str, Any] | None = None) -> aio_pika.Message:
        return aio_pika.Message(
            body=dumps(self.model_dump(mode="json")),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(self.id),
            type=self.routing_key,
            correlation_id=self.correlation_id,
            timestamp=self.occurred_at,
            app_id=self.producer,
            headers=headers or {},
        )

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        return cls.model_validate(loads(body))


class Unroutable(Exception):
    """The broker accepted the message but no queue is bound for its routing key."""


# What a publish meets when its connection or channel goes away under it (not a refusal of the message).
CONNECTION_LOST = (
    aiormq.exceptions.AMQPConnectionError,
    aiormq.exceptions.ChannelInvalidStateError,
    aiormq.exceptions.ConnectionChannelError,
    ConnectionError,
)


class EventBus:
    """A robust connection with a confirming publisher channel and the events exchange.

    The connection is re-established by aio-pika after a broker restart; publishes during the outage
    raise, and the outbox keeps the records pending until a later publish is confirmed.
    """

    def __init__(self, url: str, exchange: str, *, name: str, confirm_timeout: float = 10.0) -> None:
        self.url = url
        self.exchange_name = exchange
        self.name = name
        self.confirm_timeout = confirm_timeout
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractRobustChannel | None = None
        self.exchange: AbstractRobustExchange | None = None
        self._ready = asyncio.Event()

    async def connect(self, *, retry_forever: bool = True) -> None:
        """Connect; when the broker is down, keep trying (the service starts, /readyz says not ready)."""
        delay = 0.5
        while True:
            # Held before it connects: a connect cancelled half-way (the service stopping while the broker
            # is slow) leaves aio-pika's reconnect loop running, and close() is then what ends it.
            self.connection = aio_pika.RobustConnection(
                make_url(self.url), client_properties={"connection_name": self.name}, reconnect_interval=1.0
            )
            try:
                await self.connection.connect()
                break
            except (OSError, aiormq.exceptions.AMQPError) as e:
                await self.connection.close()
                if not retry_forever:
                    raise
                log.warning("waiting for RabbitMQ", error=str(e)[:200])
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self.exchange = await self.channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        self._ready.set()

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    @property
    def connected(self) -> bool:
        return (
            self._ready.is_set()
            and self.connection is not None
            and not self.connection.is_closed
            and self.channel is not None
            and not self.channel.is_closed
        )

    async def publish(self, envelope: Envelope, headers: dict[str, Any] | None = None) -> None:
        """Publish and wait for the broker's confirm. Raises when not confirmed or not routable.

        A connection that dies under the publish (the broker closed it: a restart, or a channel of its
        own that crashed) is tried once more as soon as aio-pika has reconnected, within the confirm
        timeout: the caller would only send it again later (the outbox), and consumers take an event
        twice as once (its id)."""
        if self.exchange is None:
            raise ConnectionError("event bus not connected")
        for last in (False, True):
            try:
                await self.exchange.publish(
                    envelope.to_message(headers),
                    routing_key=envelope.routing_key,
                    mandatory=True,
                    timeout=self.confirm_timeout,
                )
                return
            except aio_pika.exceptions.PublishError as e:
                raise Unroutable(envelope.routing_key) from e
            except CONNECTION_LOST as e:
                if last or not await self._reconnected(self.confirm_timeout):
                    raise
                log.warning("publish interrupted by the connection, sending again", error=repr(e)[:200])

    async def _reconnected(self, timeout: float) -> bool:
        """Whether the robust connection and channel are open again within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await asyncio.sleep(0.05)  # the broker's close reaches aio-pika's state first
        while loop.time() < deadline:
            if self.connected:
                return True
            await asyncio.sleep(0.1)
        return False

    async def publish_to_queue(self, queue: str, message: aio_pika.Message) -> None:
        """Publish straight to one queue (default exchange): retry tiers, parking lot, replay."""
        if self.channel is None:
            raise ConnectionError("event bus not connected")
        await self.channel.default_exchange.publish(
            message, routing_key=queue, mandatory=True, timeout=self.confirm_timeout
        )

    async def close(self) -> None:
        self._ready.clear()
        if self.connection is not None:
            await self.connection.close()
            self.connection = None
