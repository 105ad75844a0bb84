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

Events are handled in batches: the consumer takes what is waiting (the broker sends up to ``prefetch``
ahead) and handles up to ``batch`` events, in delivery order, in one MongoDB transaction that also records
each event id in ``processed_events`` (unique ``_id``): an event recorded before (a redelivery) has no
second effect. The messages are acknowledged only after the transaction commits. When a batch fails, its
events are handled again one by one, each in a transaction of its own, so one poison message goes to its
retry tier or the parking lot alone and the others go through. A retry copy or parking-lot copy is
published with a broker confirm before the original is acknowledged, so nothing is lost in between.

Handlers add documents with :func:`insert`: the batch's inserts into one collection go in one
``insert_many`` just before the commit (one round trip instead of one per event).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustChannel, AbstractRobustQueue
from prometheus_client import Counter, Histogram
from pydantic import ValidationError
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from . import aio, logs
from . import outbox as outbox_mod
from .events import Envelope, EventBus, EventData
from .mongo import Session, transaction
from .tracing import Tracing

PROCESSED = "processed_events"
SCHEMA = {PROCESSED: [IndexModel([("at", 1)], name="at")]}

ATTEMPT_HEADER = "x-dvc-attempt"
ERROR_HEADER = "x-dvc-error"
ROUTING_KEY_HEADER = "x-dvc-routing-key"
QUORUM = {"x-queue-type": "quorum"}
# A stopping consumer closes only after this long with nothing new delivered (see Consumer._drain): a
# quorum queue may still send a delivery some time after its cancel-ok, later on a loaded machine (0.1 s let
# two through in a CI run).
QUIET_S = 0.3
# At-least-once dead-lettering: the broker keeps a message until the target queue confirms it.
SAFE_DLX = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}

Handler = Callable[[Envelope, Session], Awaitable[None]]
E = TypeVar("E", bound=EventData)
EventHandler = Callable[[E, Envelope, Session], Awaitable[None]]
Preparer = Callable[[list[Envelope], Session], Awaitable[None]]


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


# Inserts handlers asked for, held until the end of the current transaction attempt (by collection).
_deferred: ContextVar[tuple[Session, dict[str, tuple[AsyncCollection[Any], list[Any]]]] | None] = ContextVar(
    "deferred_inserts", default=None
)


async def insert(coll: AsyncCollection[Any], docs: list[dict[str, Any]], session: Session) -> None:
    """Insert ``docs`` in the handler's transaction. Inside a consumer's batch they are written with the
    batch's other inserts into ``coll`` in one ``insert_many`` just before the commit, so they must not be
    read back by a later handler of the batch; a unique index that refuses one fails the batch (and the
    events are then handled one by one). Elsewhere they are inserted at once."""
    if not docs:
        return
    held = _deferred.get()
    if held is None or held[0] is not session:
        await _insert_many(coll, docs, session)
        return
    held[1].setdefault(coll.full_name, (coll, []))[1].extend(docs)


async def _insert_many(coll: AsyncCollection[Any], docs: list[Any], session: Session) -> None:
    """``insert_many``, with a unique key's refusal raised as the ``DuplicateKeyError`` one insert gives."""
    try:
        await coll.insert_many(docs, session=session)
    except BulkWriteError as e:
        errors = e.details.get("writeErrors") or []
        if errors and all(err.get("code") == 11000 for err in errors):
            raise DuplicateKeyError(errors[0].get("errmsg", "duplicate key"), 11000) from e
        raise


@contextmanager
def _deferring(session: Session) -> Iterator[Callable[[], Awaitable[None]]]:
    pending: dict[str, tuple[AsyncCollection[Any], list[Any]]] = {}
    token = _deferred.set((session, pending))

    async def flush() -> None:
        for coll, docs in pending.values():
            await _insert_many(coll, docs, session)
        pending.clear()

    try:
        yield flush
    finally:
        _deferred.reset(token)


@dataclass(frozen=True)
class _Item:
    """A message to handle: its parsed envelope and the handlers its routing key has."""

    message: AbstractIncomingMessage
    envelope: Envelope
    handlers: list[Handler]


handled = Counter("events_handled_total", "Events handled", ["type", "outcome"])
duration = Histogram("event_handle_seconds", "Time to handle an event (its share of its batch)", ["type"])
batch_size = Histogram(
    "event_batch_size", "Events handled in one transaction", buckets=(1, 2, 4, 8, 16, 32, 64, 128)
)
# From the event's occurred_at (the producer's commit) to its handler's commit here: what a consumer is
# behind. Sums across replicas (docs/operations.md, "Metrics").
lag = Histogram(
    "consumer_event_lag_seconds",
    "Time from an event's occurred_at to the commit of its handling",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600),
)


def count(envelope: Envelope, outcome: str) -> None:
    """One event's outcome (``ok``, ``duplicate``, ``retried``, ``parked``, ``requeued``, ``ignored``,
    ``unreadable``) on ``events_handled_total``; the lag of one handled ``ok``."""
    handled.labels(envelope.routing_key, outcome).inc()
    if outcome == "ok":
        occurred = envelope.occurred_at
        if occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=UTC)
        lag.observe(max(0.0, (datetime.now(UTC) - occurred).total_seconds()))


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
        prefetch: int = 64,
        batch: int = 32,
        delivery_limit: int = 20,
        expires_ms: int | None = None,
        drain_seconds: float = 25.0,
    ) -> None:
        self.bus = bus
        self.client = client
        self.processed = db[PROCESSED]
        self.queue_name = queue
        self.retry_delays = retry_delays
        # The broker sends up to ``prefetch`` unacknowledged messages: more than a batch, so the next
        # batch is already here while one is handled.
        self.prefetch = max(prefetch, batch)
        self.batch = batch
        self.delivery_limit = delivery_limit
        # Only test runs set an expiry: their per-run queues then vanish once idle.
        self.extra_args: dict[str, Any] = {"x-expires": expires_ms} if expires_ms else {}
        self.handlers: list[tuple[str, Handler]] = []
        self.models: dict[str, type[EventData]] = {}  # routing key → the model its handlers parse
        self.channel: AbstractRobustChannel | None = None
        self.queue: AbstractRobustQueue | None = None
        self._tag: str | None = None
        self._waiting: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        # How long ``stop`` lets the messages already delivered be handled before it closes the channel:
        # shorter than the Pod's termination grace, which also covers the HTTP drain (docs/architecture.md,
        # "Stopping a worker").
        self.drain_seconds = drain_seconds
        # Delivered and not yet through ``_take`` (waiting, or in the batch being handled); ``_settled`` is
        # set whenever none is.
        self._in_hand = 0
        self._arrived = 0  # deliveries ever taken: the drain's sign that more came in
        self._settled = asyncio.Event()
        self._settled.set()
        # Outbox records written by handlers, once their transaction committed (``Runtime``: the fast path).
        self.committed: Callable[[list[dict[str, Any]]], None] | None = None
        self.preparers: list[Preparer] = []
        self.tracing: Tracing | None = None  # dvckit.tracing, set by the Runtime when it is on

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

    def before_batch(self, fn: Preparer) -> Preparer:
        """Register ``fn(envelopes, session)``, run in each batch's transaction before its handlers with
        the events to handle: for example to read in one query what every handler would read alone."""
        self.preparers.append(fn)
        return fn

    @property
    def parking(self) -> str:
        return parking_queue_name(self.queue_name)

    async def _declare_parking(self) -> None:
        assert self.channel is not None
        await self.channel.declare_queue(self.parking, durable=True, arguments={**QUORUM, **self.extra_args})

    async def _declare_retry(self, delay: float) -> None:
        assert self.channel is not None
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

    async def declare(self) -> AbstractRobustQueue:
        """Declare the queue, its retry tiers and parking lot, and the bindings."""
        assert self.bus.connection is not None and self.bus.exchange is not None
        self.channel = await self.bus.connection.channel()
        await self.channel.set_qos(prefetch_count=self.prefetch)
        await self._declare_parking()
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
            await self._declare_retry(delay)
        exchange = await self.channel.get_exchange(self.bus.exchange_name, ensure=False)
        for pattern in sorted({p for p, _ in self.handlers}):
            await self.queue.bind(exchange, routing_key=pattern)
        return self.queue

    async def start(self) -> None:
        self._waiting, self._in_hand = asyncio.Queue(), 0  # a consumer started again after a stop
        self._settled.set()
        queue = await self.declare()
        self._worker = asyncio.create_task(self._work(), name=f"consumer-{self.queue_name}")
        self._tag = await queue.consume(self._on_message)

    async def consuming(self) -> bool:
        """Subscribed to the queue on an open channel (a worker's readiness). The broker's word counts, not
        ours: a subscription it cancelled (the queue deleted, a quorum queue's members lost) is gone from the
        channel until aio-pika's recovery declares the queue again and subscribes with the same tag."""
        if self._tag is None or self.channel is None or self.channel.is_closed:
            return False
        try:
            channel = await self.channel.get_underlay_channel()
        except Exception:  # reopening
            return False
        return self._tag in channel.consumers

    async def stop(self, grace: float | None = None) -> None:
        """Stop cleanly: cancel the subscription (basic.cancel: the broker sends nothing more), handle and
        acknowledge what was already delivered (up to ``prefetch`` messages) within ``grace`` seconds
        (``drain_seconds`` by default), then close the channel. Closing at once, as before, gave every
        prefetched message back to the broker, to be handled again by another replica: a rollout or a
        scale-in redelivered up to a prefetch of messages per Pod. What the grace does not cover still
        goes back to the queue (it is never lost; its handling is idempotent)."""
        grace = self.drain_seconds if grace is None else grace
        tag, self._tag = self._tag, None
        if self.queue is not None and tag is not None:
            try:
                # Deliveries sent before the broker's cancel-ok are still ours: _drain waits for them.
                await aio.within(self.queue.cancel(tag), min(grace, 5.0) or 1.0)
            except Exception as e:  # the channel may already be gone
                log.debug("cancel failed", error=str(e))
        # Only while the channel is open: the acknowledgements travel on it (a broker that went away has
        # already taken back what this consumer held).
        if self._worker is not None and not self._worker.done() and self.channel is not None:
            await self._drain(grace)
        await aio.stop(self._worker)
        self._worker = None
        if self.channel is not None and not self.channel.is_closed:
            await self.channel.close()  # what was taken and not acknowledged goes back to the queue

    async def _drain(self, grace: float) -> None:
        """Wait until what was delivered before the cancel is handled, up to ``grace`` seconds. A delivery
        the broker sent before its cancel-ok may reach ``_on_message`` a few loop turns after ``cancel``
        returned (aio-pika hands each to a task): the drain ends only once nothing is in hand and nothing
        arrived for a short quiet spell; closing earlier would give such a message back (redelivered)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        deadline, waited = started + grace, False
        while self.channel is not None and not self.channel.is_closed:
            arrived = self._arrived
            await asyncio.sleep(QUIET_S)
            if not self._in_hand and self._arrived == arrived:
                break
            waited = True
            try:
                await aio.within(self._settled.wait(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                log.warning(
                    "drain grace over: messages not handled go back to the queue",
                    messages=self._in_hand,
                    grace=grace,
                )
                return
        if waited:
            log.info("consumer drained", seconds=round(loop.time() - started, 2))

    def _handlers_for(self, key: str) -> list[Handler]:
        return [fn for p, fn in self.handlers if topic_matches(p, key)]

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self._arrived += 1
        self._in_hand += 1
        self._settled.clear()
        self._waiting.put_nowait(message)

    async def _work(self) -> None:
        """Take what is waiting (up to ``batch``; the broker sends up to ``prefetch`` ahead) and handle it
        as one batch, in delivery order, one batch at a time."""
        while True:
            batch = [await self._waiting.get()]
            while len(batch) < self.batch and not self._waiting.empty():
                batch.append(self._waiting.get_nowait())
            try:
                await self._take(batch)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # never stop consuming; the broker redelivers what is unsettled
                log.error("consumer batch failed", error=repr(e)[:300])
                for m in batch:
                    if not m.processed:
                        await _safe_nack(m)
            self._in_hand -= len(batch)
            if self._in_hand <= 0:
                self._in_hand = 0
                self._settled.set()

    async def _take(self, messages: list[AbstractIncomingMessage]) -> None:
        """Sort out what no handler can take (unreadable, refused by its model: parked; nobody handles
        it: acknowledged), then handle the rest together; if that fails, one by one, so that a poison
        message parks alone and the others go through."""
        items: list[_Item] = []
        for m in messages:
            item = await self._read(m)
            if item is not None:
                items.append(item)
        if len(items) > 1:
            try:
                outcomes = await self._handle(items)
            except Exception as e:
                log.info(
                    "batch failed, handling its events one by one", events=len(items), error=repr(e)[:200]
                )
            else:
                for item, outcome in zip(items, outcomes, strict=True):
                    await item.message.ack()
                    count(item.envelope, outcome)
                return
        for item in items:
            await self._one(item)

    async def _read(self, message: AbstractIncomingMessage) -> _Item | None:
        try:
            envelope = Envelope.from_body(message.body)
        except (ValidationError, ValueError) as e:
            await self._park(message, f"unreadable envelope: {e}")
            handled.labels(message.routing_key or "?", "unreadable").inc()
            return None
        handlers = self._handlers_for(envelope.routing_key)
        if not handlers:
            await message.ack()
            count(envelope, "ignored")
            return None
        model = self.models.get(envelope.routing_key)
        try:
            if model is not None:
                read(model, envelope.data)
        except ValidationError as e:
            # Retrying cannot fix data that breaks the event's contract (its model refuses it): park now.
            log.warning("event breaks its contract", event_id=str(envelope.id), error=str(e)[:300])
            count(envelope, await self._park(message, f"permanent: {e}"))
            return None
        return _Item(message, envelope, handlers)

    async def _one(self, item: _Item) -> None:
        """One event in a transaction of its own: acknowledged, retried later, or parked."""
        envelope, message = item.envelope, item.message
        tokens = logs.bind(
            event_id=str(envelope.id), event_type=envelope.routing_key, request_id=envelope.correlation_id
        )
        try:
            (outcome,) = await self._handle([item])
            await message.ack()
            count(envelope, outcome)
        except DuplicateKeyError:
            await message.ack()  # handled before (a redelivery), here or by another replica
            count(envelope, "duplicate")
        except (PermanentError, ValidationError) as e:
            log.warning("event failed permanently", error=str(e)[:300])
            count(envelope, await self._park(message, f"permanent: {e}"))
        except Exception as e:
            log.warning("event handler failed", error=repr(e)[:300])
            count(envelope, await self._retry(message, repr(e)))
        finally:
            logs.reset(tokens)

    async def _handle(self, items: list[_Item]) -> list[str]:
        """Record and handle ``items`` in one transaction: each event's processed record (unique ``_id``)
        and its handlers' effects commit together or not at all. An event recorded before (a
        redelivery) is "duplicate" and has no effect; one that another replica records at the same time
        makes the insert fail (DuplicateKeyError), and the caller handles the events one by one."""
        callbacks: list[Callable[[], None]] = []
        written: list[dict[str, Any]] = []
        started = time.perf_counter()

        async def txn(session: Session) -> list[str]:
            callbacks.clear()
            token = _after_commit.set(callbacks)
            try:
                with outbox_mod.collecting() as records, _deferring(session) as flush:
                    outcomes = await attempt(session)
                    await flush()
                written[:] = records
                return outcomes
            finally:
                _after_commit.reset(token)

        async def attempt(session: Session) -> list[str]:
            ids = [str(i.envelope.id) for i in items]
            seen = set()
            if len(items) > 1:  # one event alone: the insert below finds a redelivery, no lookup needed
                seen = {
                    d["_id"]
                    async for d in self.processed.find({"_id": {"$in": ids}}, {"_id": 1}, session=session)
                }
            fresh: dict[str, _Item] = {}
            for event_id, item in zip(ids, items, strict=True):
                if event_id not in seen:
                    fresh.setdefault(event_id, item)  # a redelivery beside its original: handled once
            now = datetime.now(UTC)
            if fresh:
                await _insert_many(
                    self.processed,
                    [{"_id": i, "type": it.envelope.routing_key, "at": now} for i, it in fresh.items()],
                    session,
                )
            for prepare in self.preparers:
                await prepare([item.envelope for item in fresh.values()], session)
            for item in fresh.values():
                if self.tracing is None:
                    for fn in item.handlers:
                        await fn(item.envelope, session)
                    continue
                with self.tracing.handling(item.envelope, item.message.headers):  # a span of the event
                    for fn in item.handlers:
                        await fn(item.envelope, session)
            return ["ok" if fresh.get(i) is item else "duplicate" for i, item in zip(ids, items, strict=True)]

        outcomes = await transaction(self.client, txn)
        batch_size.observe(len(items))
        share = (time.perf_counter() - started) / len(items)
        for item in items:
            duration.labels(item.envelope.routing_key).observe(share)
        if written and self.committed is not None:
            self.committed(list(written))
        for fn in callbacks:
            try:
                fn()
            except Exception as e:  # a wake-up that fails must not undo the handled event
                log.warning("after-commit callback failed", error=repr(e)[:200])
        return outcomes

    async def _retry(self, message: AbstractIncomingMessage, error: str) -> str:
        """Send ``message`` to its next retry tier, or to the parking lot after the last: the outcome
        (``retried``, ``parked``, or ``requeued`` when it could not be handed over)."""
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0) or 0)
        if attempt >= len(self.retry_delays):
            return await self._park(message, error)
        target = retry_queue_name(self.queue_name, self.retry_delays[attempt])
        try:
            if self.extra_args:
                # Queues that expire when unused (test runs) are never consumed from: declared again
                # before use, so one declared long ago is there to take the message.
                await self._declare_retry(self.retry_delays[attempt])
            await self.bus.publish_to_queue(
                target, _copy(message, {ATTEMPT_HEADER: attempt + 1, ERROR_HEADER: error[:500]})
            )
        except Exception as e:
            # Could not hand the message over: give it back to the broker for another try.
            log.warning("retry publish failed; requeueing", error=repr(e)[:200])
            await _safe_nack(message)
            return "requeued"
        await message.ack()
        return "retried"

    async def _park(self, message: AbstractIncomingMessage, error: str) -> str:
        try:
            if self.extra_args:
                await self._declare_parking()  # as for a retry tier (above)
            await self.bus.publish_to_queue(self.parking, _copy(message, {ERROR_HEADER: error[:500]}))
        except Exception as e:
            log.warning("parking publish failed; requeueing", error=repr(e)[:200])
            await _safe_nack(message)
            return "requeued"
        await message.ack()
        return "parked"


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
