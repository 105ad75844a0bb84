"""Wires one service's adapters: MongoDB, the event bus, the outbox relay, the consumer, health checks.

A service builds one :class:`Runtime` in ``create_app()``; the app's lifespan starts and stops it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from pymongo.errors import ConnectionFailure

from . import aio, logs, mongo, mongo_metrics, tracing
from . import consumer as consumer_mod
from . import metrics as metrics_mod
from . import outbox as outbox_mod
from .audit import Audit
from .auth import RevocationList, RevokedSource, TokenVerifier, http_jwks, http_revocations
from .consumer import Consumer
from .events import EventBus
from .health import Health
from .mongo import Schema, Session
from .outbox import Outbox
from .settings import ServiceSettings

T = TypeVar("T")
Hook = Callable[["Runtime"], Awaitable[None]]
log = logs.get(__name__)


class Runtime:
    def __init__(self, settings: ServiceSettings, *, schema: Schema | None = None) -> None:
        self.settings = settings
        # OpenTelemetry: None (off) unless an OTLP endpoint is set (dvckit.tracing).
        self.tracing = tracing.configure(settings)
        # Every command it sends is counted on /metrics (mongodb_commands_total{database,command}).
        self.client = mongo.connect(
            settings.mongo_url,
            appname=settings.instance,
            timeout_ms=settings.mongo_timeout_ms,
            listeners=[mongo_metrics.LISTENER]
            + ([self.tracing.mongo_listener()] if self.tracing is not None else []),
        )
        self.db = self.client[settings.mongo_db]
        self.schema: dict[str, Any] = {**outbox_mod.SCHEMA, **consumer_mod.SCHEMA, **(schema or {})}
        self.bus = EventBus(settings.amqp_url.get_secret_value(), settings.exchange, name=settings.instance)
        self.outbox = Outbox(
            self.db,
            self.bus,
            producer=settings.service_name,
            batch=settings.outbox_batch,
            poll_seconds=settings.outbox_poll_seconds,
            lease_seconds=settings.outbox_lease_seconds,
        )
        self.consumer = Consumer(
            bus=self.bus,
            client=self.client,
            db=self.db,
            queue=settings.queue,
            retry_delays=settings.retry_delays,
            prefetch=settings.prefetch,
            batch=settings.event_batch,
            expires_ms=settings.queue_expires_ms,
            drain_seconds=settings.consumer_drain_seconds,
        )
        # Events the handlers record go out right after their batch commits, as a request's do.
        self.consumer.committed = self.outbox.committed
        self.outbox.tracing = self.consumer.tracing = self.tracing
        # The audit trail: entries are outbox records (dvckit.audit).
        self.audit = Audit(self.outbox.add, self.transaction)
        # Verifies access tokens locally against the auth service's published keys, and refuses those
        # of sessions ended since (the revocation list, brought up to date by a loop: _watch_revocations).
        self.tokens = TokenVerifier(
            http_jwks(settings.jwks_url),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            revoked=self.revocation_list(http_revocations(settings.revocations_url)),
        )
        self.health = Health()
        self.health.add("mongodb", lambda: mongo.ping(self.client))
        # The broker gates readiness only where the process consumes (a worker): an API process accepts
        # writes into the outbox while RabbitMQ is away, so its replicas stay in the Service and a broker
        # blip costs no 502 (docs/architecture.md, "Readiness and the broker"). Still reported (/readyz,
        # dependency_up) either way.
        self.health.add("rabbitmq", self._bus_ready, gates=lambda: self.consumes)
        self._on_start: list[Hook] = []
        self._on_stop: list[Hook] = []
        self._loops: list[tuple[str, Callable[[], Coroutine[Any, Any, None]]]] = []
        self._running = aio.Loops()
        self._bus_task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        self.loop("token-revocations", self._watch_revocations)
        # The outbox's backlog, the queue's and parking lot's depth, the checks' state on /metrics
        # (dvckit.metrics), sampled by a loop rather than at each scrape.
        self.sampler = metrics_mod.Sampler(self.outbox, self.consumer, self.bus, self.health)
        self.loop("metrics-sampler", lambda: self.sampler.run(settings.metrics_sample_seconds))

    def revocation_list(self, source: RevokedSource) -> RevocationList:
        """A revocation list read from ``source``, polled as the settings say (auth reads its own store)."""
        s = self.settings
        return RevocationList(
            source, period=s.revocations_refresh_seconds, stale_after=s.revocations_stale_seconds
        )

    async def _watch_revocations(self) -> None:
        # The verifier in place when the service starts (auth's own, or a test's that checks none).
        if self.tokens.revoked is not None:
            await self.tokens.revoked.run()

    @property
    def consumes(self) -> bool:
        """Whether this process takes events from the service's queue (a worker, or a local process that
        does both); API-only processes (``consume`` false) and services without handlers do not."""
        return bool(self.consumer.handlers) and self.settings.consume

    async def _bus_ready(self) -> None:
        if not self.bus.connected:
            raise ConnectionError("not connected to RabbitMQ")
        if self.consumes and not await self.consumer.consuming():
            raise ConnectionError("not consuming from RabbitMQ")

    def on_start(self, hook: Hook) -> Hook:
        self._on_start.append(hook)
        return hook

    def on_stop(self, hook: Hook) -> Hook:
        self._on_stop.append(hook)
        return hook

    def loop(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """A background loop of the service (``run()`` runs until cancelled): started after the start
        hooks, stopped before the stop hooks, the same way for every service (``dvckit.aio.Loops``)."""
        self._loops.append((name, run))

    async def start(self) -> None:
        await self._persist("schema", lambda: mongo.ensure_schema(self.db, self.schema))
        await self._persist("outbox", self.outbox.tidy)
        for hook in self._on_start:
            await self._persist(getattr(hook, "__qualname__", "hook"), lambda hook=hook: hook(self))
        for name, run in self._loops:
            self._running.start(name, run())
        # The broker may be down when the service starts: the service still serves what it can (an API
        # process is ready; a worker says not ready until it consumes), and the outbox keeps events until
        # the bus is connected.
        self._bus_task = asyncio.create_task(self._connect_bus(), name="bus-connect")
        self.outbox.start()
        log.info("started", db=self.settings.mongo_db)

    async def _persist(self, step: str, run: Callable[[], Awaitable[None]]) -> None:
        """Run a start-up step again while the database is slow or briefly away (a stand-in grown large,
        a primary being elected): a replica that exits at once fails a whole rollout for a passing delay.
        Steps are written to be run again (create-if-missing, resumable seed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.startup_timeout_s
        while True:
            try:
                await run()
                return
            except ConnectionFailure as e:  # timeouts, AutoReconnect, no server selected
                if loop.time() > deadline:
                    raise
                log.warning("start-up step waits for MongoDB", step=step, error=repr(e)[:200])
                await asyncio.sleep(1.0)

    async def _connect_bus(self) -> None:
        await self.bus.connect()
        if self.consumes:
            await self.consumer.start()

    def background(self, work: Awaitable[Any], name: str) -> None:
        """Run ``work`` after the answer, detached from the request and its connection: for work whose
        cost must not show in the answer's timing (whether an account exists). Failures are logged;
        work still running at shutdown gets a few seconds to finish."""

        async def run() -> None:
            try:
                await work
            except Exception as e:
                log.warning("background work failed", work=name, error=repr(e)[:300])

        task = asyncio.create_task(run(), name=name)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def stop(self) -> None:
        """Run by the app's lifespan once uvicorn has stopped taking requests and finished those open
        (SIGTERM: ``timeout_graceful_shutdown``). The consumer goes first: it cancels its subscription and
        finishes the messages it holds while everything its handlers use (the database, the outbox, the
        broker connection that carries the acknowledgements, the service's own loops and hooks) still
        runs; only then are those stopped."""
        await aio.stop(self._bus_task)  # a connect still under way: nothing more starts consuming
        if self.consumes:
            await self.consumer.stop()
        if self._background:
            await asyncio.wait(list(self._background), timeout=5.0)
        await self._running.stop()
        for hook in reversed(self._on_stop):
            try:
                await hook(self)
            except Exception as e:
                log.warning("stop hook failed", error=repr(e))
        await self.outbox.stop()
        await self.bus.close()
        await self.client.close()
        if self.tracing is not None:  # the last spans exported, if the receiver answers soon enough
            try:
                await asyncio.wait_for(asyncio.to_thread(self.tracing.shutdown), 5.0)
            except TimeoutError:
                log.warning("the last spans were not exported in time")

    async def transaction(self, fn: Callable[[Session], Awaitable[T]]) -> T:
        """Run a use case's writes in one transaction; outbox records it added are published right after
        the commit (only those of the attempt that committed: a retried attempt writes its own)."""
        written: list[dict[str, Any]] = []

        async def attempt(session: Session) -> T:
            with outbox_mod.collecting() as records:
                result = await fn(session)
            written[:] = records
            return result

        result = await mongo.transaction(self.client, attempt)
        if written:
            self.outbox.committed(list(written))
        return result
