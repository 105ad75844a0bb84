"""The idempotent consumer: retry tiers of growing delay, then a parking lot (docs/architecture.md §3).

Topology, per consuming service (all durable quorum queues):

- ``<svc>.events`` bound to the events exchange for the keys the service handles. Its dead-letter target
  is the parking lot, reached when a message is redelivered more than ``delivery_limit`` times (a
  handler that crashes the process on one message cannot block the queue forever).
- ``<svc>.events.retry.<ms>ms``, one per delay tier: a message waits there for the tier's TTL and is
  dead-lettered back to ``<svc>.events``. Queues are named by delay, so changing the delays declares new
  queues instead of clashing with the arguments of existing ones.
- ``<svc>.events.parking``: messages that failed every tier, could not be parsed, or whose data its
  handler's model refuses (retrying cannot fix those). The operator
  command ``dvc-parking`` lists and replays them.

A handler runs inside a MongoDB transaction that also records the event id in ``processed_events``
(unique ``_id``): a redelivered event finds its id and is acknowledged without a second effect. The
message is acknowledged only after the transaction commits; a retry copy or parking-lot copy is
published with a broker confirm before the original is acknowledged, so nothing is lost in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustQueue
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from . import logs
from .events import Envelope, EventBus, EventData
from .mongo import Session, transaction

PROCESSED = "processed_events"
SCHEMA = {PROCESSED: [IndexModel([("at", 1)], name="at")]}

ATTEMPT_HEADER = "x-dvc-attempt"
ERROR_HEADER = "x-dvc-error"
ROUTING_KEY_HEADER = "x-dvc-routing-key"
QUORUM = {"x-queue-type": "quorum"}
# At-least-once dead-lettering: the broker keeps a message until the target queue confirms it.
SAFE_DLX = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}

Handler = Callable[[Envelope, Session], Awaitable[None]]
E = TypeVar("E", bound=EventData)
EventHandler = Callable[[E, Envelope, Session], Awaitable[None]]


def read(event: type[E], data: dict[str, Any]) -> E:
    """A payload as a consumer reads it: the fields its model knows (a tolerant reader), validated."""
    return event.model_validate({k: v for k, v in data.items() if k in event.model_fields})


# Callbacks a handler asks to run once its transaction has committed (wake a worker, push to a client).
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar("after_commit", default=None)


def after_commit(fn: Callable[[], None]) -> None:
    """Run ``fn`` after the current handler's transaction commits (never if it aborts)."""
    pending = _after_commit.get()
    if pending is None:
        fn()  # outside a consumer transaction: nothing to wait for
    else:
        pending.append(fn)


handled = Counter("events_handled_total", "Events handled", ["type", "outcome"])
duration = Histogram("event_handle_seconds", "Time to handle an event", ["type"])
log = logs.get(__name__)


class PermanentError(Exception):
    """A handler error that retrying cannot fix: the message goes straight to the parking lot."""


def topic_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: ``*`` is one word, ``#`` zero or more."""

    def match(p: list[str], k: list[str]) -> bool:
        if not p:
            return not k
        if p[0] == "#":
            return any(match(p[1:], k[i:]) for i in range(len(k) + 1))
        return bool(k) and (p[0] in ("*", k[0])) and match(p[1:], k[1:])

    return match(pattern.split("."), key.split("."))


def retry_queue_name(queue: str, delay: float) -> str:
    return f"{queue}.retry.{round(delay * 1000)}ms"


def parking_queue_name(queue: str) -> str:
    return f"{queue}.parking"


class Consumer:
    def __init__(
        self,
        *,
        bus: EventBus,
        client: AsyncMongoClient[Any],
        db: AsyncDatabase[Any],
        queue: str,
        retry_delays: tuple[float, ...] = (1.0, 10.0, 60.0),
        prefetch: int = 32,
        delivery_limit: int = 20,
        expires_ms: int | None = None,
    ) -> None:
        self.bus = bus
        self.client = client
        self.processed = db[PROCESSED]
        self.queue_name = queue
        self.retry_delays = retry_delays
        self.prefetch = prefetch
        self.delivery_limit = delivery_limit
        # Only test runs set an expiry: their per-run queues then vanish once idle.
        self.extra_args: dict[str, Any] = {"x-expires": expires_ms} if expires_ms else {}
        self.handlers: list[tuple[str, Handler]] = []
        self.models: dict[str, type[EventData]] = {}  # routing key → the model its handlers parse
        self.channel: AbstractRobustChannel | None = None
        self.queue: AbstractRobustQueue | None = None
        self._tag: str | None = None

    def on(self, pattern: str) -> Callable[[Handler], Handler]:
        """Register a handler for a routing-key pattern (``dossier.*.v1``); the queue is bound to it."""

        def deco(fn: Handler) -> Handler:
            self.handlers.append((pattern, fn))
            return fn

        return deco

    def on_event(self, event: type[E]) -> Callable[[EventHandler[E]], EventHandler[E]]:
        """Register a handler of one event class: the queue is bound to its routing key and the handler
        gets the payload parsed by that class. Fields the class does not know are left out (a tolerant
        reader: a producer may add an optional field before its consumers learn it); a payload the class
        refuses is parked, never retried."""

        def deco(fn: EventHandler[E]) -> EventHandler[E]:
            async def parsed(env: Envelope, session: Session) -> None:
                await fn(read(event, env.data), env, session)

            self.handlers.append((event.routing_key(), parsed))
            self.models[event.routing_key()] = event
            return fn

        return deco

    @property
    def parking(self) -> str:
        return parking_queue_name(self.queue_name)

    async def declare(self) -> AbstractRobustQueue:
        """Declare the queue, its retry tiers and parking lot, and the bindings."""
        assert self.bus.connection is not None and self.bus.exchange is not None
        self.channel = await self.bus.connection.channel()
        await self.channel.set_qos(prefetch_count=self.prefetch)
        await self.channel.declare_queue(self.parking, durable=True, arguments={**QUORUM, **self.extra_args})
        self.queue = await self.channel.declare_queue(
            self.queue_name,
            durable=True,
            arguments={
                **QUORUM,
                **SAFE_DLX,
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": self.parking,
                **self.extra_args,
            },
        )
        for delay in self.retry_delays:
            await self.channel.declare_queue(
                retry_queue_name(self.queue_name, delay),
                durable=True,
                arguments={
                    **QUORUM,
                    **SAFE_DLX,
                    "x-message-ttl": round(delay * 1000),
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": self.queue_name,
                    **self.extra_args,
                },
            )
        exchange = await self.channel.get_exchange(self.bus.exchange_name, ensure=False)
        for pattern in sorted({p for p, _ in self.handlers}):
            await self.queue.bind(exchange, routing_key=pattern)
        return self.queue

    async def start(self) -> None:
        queue = await self.declare()
        self._tag = await queue.consume(self._on_message)

    async def stop(self) -> None:
        if self.queue is not None and self._tag is not None:
            try:
                await self.queue.cancel(self._tag)
            except Exception as e:  # the channel may already be gone
                log.debug("cancel failed", error=str(e))
        if self.channel is not None and not self.channel.is_closed:
            await self.channel.close()

    def _handlers_for(self, key: str) -> list[Handler]:
        return [fn for p, fn in self.handlers if topic_matches(p, key)]

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.from_body(message.body)
        except (ValidationError, ValueError) as e:
            await self._park(message, f"unreadable envelope: {e}")
            handled.labels(message.routing_key or "?", "unreadable").inc()
            return
        tokens = logs.bind(
            event_id=str(envelope.id), event_type=envelope.routing_key, request_id=envelope.correlation_id
        )
        try:
            with duration.labels(envelope.routing_key).time():
                outcome = await self._handle(envelope)
            await message.ack()
            handled.labels(envelope.routing_key, outcome).inc()
        except (PermanentError, ValidationError) as e:
            # Retrying cannot fix data that breaks the event's contract (its model refuses it): park now.
            log.warning("event failed permanently", error=str(e)[:300])
            await self._park(message, f"permanent: {e}")
            handled.labels(envelope.routing_key, "parked").inc()
        except Exception as e:
            log.warning("event handler failed", error=repr(e)[:300])
            await self._retry(message, repr(e))
            handled.labels(envelope.routing_key, "failed").inc()
        finally:
            logs.reset(tokens)

    async def _handle(self, envelope: Envelope) -> str:
        handlers = self._handlers_for(envelope.routing_key)
        if not handlers:
            return "ignored"
        event_id = str(envelope.id)
        callbacks: list[Callable[[], None]] = []

        async def txn(session: Session) -> str:
            callbacks.clear()
            token = _after_commit.set(callbacks)
            try:
                return await attempt(session)
            finally:
                _after_commit.reset(token)

        async def attempt(session: Session) -> str:
            # The record of the event goes first: if the event was handled before, its unique _id
            # refuses the insert and the transaction ends there, with no effect (no lookup needed).
            await self.processed.insert_one(
                {"_id": event_id, "type": envelope.routing_key, "at": datetime.now(UTC)}, session=session
            )
            for fn in handlers:
                await fn(envelope, session)
            return "done"

        try:
            outcome = await transaction(self.client, txn)
        except DuplicateKeyError:
            return "duplicate"  # handled before (a redelivery), here or by another replica
        for fn in callbacks:
            try:
                fn()
            except Exception as e:  # a wake-up that fails must not undo the handled event
                log.warning("after-commit callback failed", error=repr(e)[:200])
        return outcome

    async def _retry(self, message: AbstractIncomingMessage, error: str) -> None:
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0) or 0)
        if attempt >= len(self.retry_delays):
            await self._park(message, error)
            return
        target = retry_queue_name(self.queue_name, self.retry_delays[attempt])
        try:
            await self.bus.publish_to_queue(
                target, _copy(message, {ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: error[:500]})
            )
        except Exception as e:
            # Could not hand the message over: give it back to the broker for another try.
            log.warning("retry publish failed; requeueing", error=repr(e)[:200])
            await _safe_nack(message)
            return
        await message.ack()

    async def _park(self, message: AbstractIncomingMessage, error: str) -> None:
        try:
            await self.bus.publish_to_queue(self.parking, _copy(message, {ERROR_HEADER: error[:500]}))
        except Exception as e:
            log.warning("parking publish failed; requeueing", error=repr(e)[:200])
            await _safe_nack(message)
            return
        await message.ack()


def _copy(
    message: AbstractIncomingMessage, headers: dict[str, Any], drop: tuple[str, ...] = ()
) -> aio_pika.Message:
    base = {k: v for k, v in (message.headers or {}).items() if k not in ("x-death", *drop)}
    base.setdefault(ROUTING_KEY_HEADER, message.routing_key or "")
    return aio_pika.Message(
        body=message.body,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        type=message.type,
        timestamp=message.timestamp,
        app_id=message.app_id,
        headers={**base, **headers},
    )


async def _safe_nack(message: AbstractIncomingMessage) -> None:
    try:
        await message.nack(requeue=True)
    except Exception as e:  # channel gone: the broker redelivers unacked messages anyway
        log.debug("nack failed", error=str(e))


async def replay_parking(bus: EventBus, queue: str, *, limit: int | None = None, timeout: float = 2.0) -> int:
    """Move messages from the parking lot back to ``queue`` (attempt counter reset). Returns how many."""
    assert bus.connection is not None
    channel = await bus.connection.channel()
    try:
        parking = await channel.declare_queue(parking_queue_name(queue), passive=True)
        moved = 0
        while limit is None or moved < limit:
            message = await parking.get(no_ack=False, fail=False, timeout=timeout)
            if message is None:
                break
            await bus.publish_to_queue(queue, _copy(message, {}, drop=(ATTEMPT_HEADER, ERROR_HEADER)))
            await message.ack()
            moved += 1
        return moved
    finally:
        await channel.close()
