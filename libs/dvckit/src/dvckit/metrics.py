"""What every service's ``/metrics`` shows of its event pipeline and its dependencies, sampled by a loop
(``Runtime`` runs :meth:`Sampler.run` every ``DVC_METRICS_SAMPLE_SECONDS``, 15 by default), not at each
scrape: a scrape costs no database or broker round trip, and many scrapers cost nothing more.

- ``outbox_pending_records``, ``outbox_oldest_pending_age_seconds`` (0 when none is pending),
  ``outbox_unroutable_records``: the service's ``outbox`` collection, which every replica shares: each
  replica reports the same figure, so a query takes ``max`` over the replicas, never ``sum``.
- ``consumer_queue_messages`` and ``consumer_parking_messages``: the messages ready in ``<svc>.events``
  and in its parking lot ``<svc>.events.parking`` (a passive declare: the broker's own count), sampled
  only by a service that consumes events; the same for every replica: ``max``.
- ``dependency_up{check}``: 1 while the readiness check (``mongodb``, ``rabbitmq``, ``s3``…) answers,
  0 when it does not; per replica.
- ``metrics_sampled_timestamp_seconds``: when the last sample finished (a sampler that stopped shows).

The counters and histograms that are observed where things happen (``events_handled_total``,
``consumer_event_lag_seconds``, ``outbox_published_total``…) live beside their code. The whole list and
what each means: docs/operations.md, "Metrics".
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import Gauge

from . import logs

if TYPE_CHECKING:
    from .consumer import Consumer
    from .events import EventBus
    from .health import Health
    from .outbox import Outbox

outbox_pending = Gauge("outbox_pending_records", "Outbox records not yet confirmed by the broker")
outbox_oldest_age = Gauge(
    "outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox record (0 when none is pending)"
)
outbox_unroutable = Gauge(
    "outbox_unroutable_records", "Outbox records the broker could route to no queue (kept for an operator)"
)
queue_messages = Gauge("consumer_queue_messages", "Messages ready in the service's queue <svc>.events")
parking_messages = Gauge("consumer_parking_messages", "Messages in the service's parking lot")
dependency_up = Gauge("dependency_up", "1 while the readiness check answers, else 0", ["check"])
sampled_at = Gauge("metrics_sampled_timestamp_seconds", "Unix time of the last finished metrics sample")

log = logs.get(__name__)
# A pending record's due_at is always set (the relay's sparse index): querying on it walks that index.
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def sample_outbox(outbox: Outbox) -> None:
    from .outbox import PENDING, UNROUTABLE

    pending_q = {"due_at": {"$gte": _EPOCH}, "status": PENDING}
    pending = await outbox.coll.count_documents(pending_q)
    oldest = None
    if pending:
        docs = await outbox.coll.find(pending_q, {"created_at": 1}).sort("created_at", 1).limit(1).to_list()
        oldest = docs[0]["created_at"] if docs else None
    unroutable = await outbox.coll.count_documents({"status": UNROUTABLE})
    outbox_pending.set(pending)
    if oldest is None:
        outbox_oldest_age.set(0)
    else:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        outbox_oldest_age.set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))
    outbox_unroutable.set(unroutable)


class Sampler:
    """Samples the gauges above; one per process (the runtime's)."""

    def __init__(self, outbox: Outbox, consumer: Consumer, bus: EventBus, health: Health) -> None:
        self.outbox = outbox
        self.consumer = consumer
        self.bus = bus
        self.health = health
        self._channel: Any = None

    async def sample_once(self) -> None:
        try:
            await sample_outbox(self.outbox)
        except Exception as e:  # the database is away: the readiness gauge says so; keep the last values
            log.debug("outbox sample failed", error=repr(e)[:200])
        if self.consumer.handlers:
            await self._sample_queues()
        for name, state in (await self.health.run()).items():
            dependency_up.labels(name).set(1 if state == "ok" else 0)
        sampled_at.set(time.time())

    async def _sample_queues(self) -> None:
        if not self.bus.connected or self.bus.connection is None:
            return
        try:
            if self._channel is None or self._channel.is_closed:
                self._channel = await self.bus.connection.channel()
            for name, gauge in (
                (self.consumer.queue_name, queue_messages),
                (self.consumer.parking, parking_messages),
            ):
                # passive: the broker's count of ready messages; a queue not declared yet closes the channel
                queue = await self._channel.declare_queue(name, passive=True)
                gauge.set(queue.declaration_result.message_count or 0)
        except Exception as e:
            log.debug("queue sample failed", error=repr(e)[:200])
            self._channel = None

    async def run(self, seconds: float) -> None:
        """Sample now, then every ``seconds`` (``rt.loop``), until cancelled."""
        try:
            while True:
                try:
                    await self.sample_once()
                except Exception as e:  # keep sampling whatever goes wrong
                    log.warning("metrics sample failed", error=repr(e)[:200])
                await asyncio.sleep(seconds)
        finally:
            await self.close()

    async def close(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None and not channel.is_closed:
            try:
                await channel.close()
            except Exception as e:  # the connection is going anyway
                log.debug("sampler channel close failed", error=repr(e)[:200])
