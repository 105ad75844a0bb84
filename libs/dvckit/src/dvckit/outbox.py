"""Transactional outbox and its relay (docs/architecture.md §3: no dual writes).

A use case writes its state change and :meth:`Outbox.add` in one MongoDB transaction. Right after the
commit, the replica that wrote the records publishes them itself (the fast path: no claim). Confirmed
records are marked sent together, at most ``mark_seconds`` later (one update for every record confirmed
meanwhile, well within the grace before a relay could claim them; a crash in between makes the relay
publish them once more, which consumers take as a redelivery). Records that path did not confirm (broker
down, process crashed) become due after a short grace and are claimed by any replica's relay with a lease
(so replicas do not publish the same batch twice in the normal case), published with up to ``in_flight``
unconfirmed at once, and marked sent only when the broker confirmed. A record whose publish failed, timed
out or was never confirmed stays pending and is re-sent after a growing back-off; consumers are
idempotent, so the rare duplicate after a crash is harmless.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from . import aio, logs
from .aio import within
from .events import Envelope, EventBus, EventData, Unroutable
from .mongo import Session
from .tracing import Tracing

COLLECTION = "outbox"
SENT_RETENTION = timedelta(days=7)

SCHEMA = {
    COLLECTION: [
        # Only pending records have a due_at: the relay's query walks this small index, not the week of
        # sent records kept for audit.
        IndexModel([("due_at", ASCENDING)], name="due", sparse=True),
        # Sent records are kept a week for audit, then expire.
        IndexModel(
            [("sent_at", ASCENDING)], name="sent_ttl", expireAfterSeconds=int(SENT_RETENTION.total_seconds())
        ),
        IndexModel([("lease", ASCENDING)], name="lease", sparse=True),
    ]
}

PENDING, SENT, UNROUTABLE = "pending", "sent", "unroutable"
FAST_PATH_GRACE = timedelta(seconds=5)

# Records added in the current transaction attempt (set by Runtime.transaction).
_written: ContextVar[list[dict[str, Any]] | None] = ContextVar("outbox_written", default=None)


@contextmanager
def collecting() -> Iterator[list[dict[str, Any]]]:
    """Collect the records :meth:`Outbox.add` writes inside this block (one transaction attempt)."""
    written: list[dict[str, Any]] = []
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)


published = Counter("outbox_published_total", "Outbox records confirmed by the broker", ["type"])
failed = Counter("outbox_publish_failures_total", "Outbox publishes not confirmed", ["type", "reason"])
backlog = Gauge("outbox_last_batch_size", "Records claimed in the relay's last batch")

log = logs.get(__name__)


class Outbox:
    def __init__(
        self,
        db: AsyncDatabase[Any],
        bus: EventBus,
        *,
        producer: str,
        batch: int = 256,
        in_flight: int = 64,
        poll_seconds: float = 1.0,
        lease_seconds: float = 30.0,
        mark_seconds: float = 0.5,
    ) -> None:
        self.coll = db[COLLECTION]
        self.bus = bus
        self.producer = producer
        self.batch = batch
        self.in_flight = in_flight
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._fresh: deque[dict[str, Any]] = deque()
        self.mark_seconds = mark_seconds
        self._confirmed: list[str] = []  # published and confirmed, not yet marked sent
        self._confirmed_since = 0.0  # loop time of the oldest of them
        self.tracing: Tracing | None = None  # dvckit.tracing, set by the Runtime when it is on

    async def add(self, session: Session, data: EventData) -> Envelope:
        """Record an event inside the caller's transaction (``Runtime.transaction`` hands it to the fast
        path after the commit)."""
        env = Envelope.wrap(data, producer=self.producer)
        now = datetime.now(UTC)
        doc = {
            "_id": str(env.id),
            "routing_key": env.routing_key,
            "envelope": env.model_dump(mode="json"),
            "status": PENDING,
            "created_at": now,
            # Left to the fast path for a moment; then any relay may claim it.
            "due_at": now + FAST_PATH_GRACE,
            "attempts": 0,
        }
        await self.coll.insert_one(doc, session=session)
        written = _written.get()
        if written is not None:
            written.append(doc)
        return env

    def committed(self, docs: list[dict[str, Any]]) -> None:
        """Records whose transaction committed: publish them now."""
        self._fresh.extend(docs)
        self.kick()

    def kick(self) -> None:
        """Wake the relay now instead of at its next poll."""
        self._kick.set()

    # -- relay -------------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def tidy(self) -> None:
        """Records written before finished ones lost their due_at: drop it (keeps the relay's index small)."""
        await self.coll.update_many(
            {"status": {"$ne": PENDING}, "due_at": {"$exists": True}}, {"$unset": {"due_at": ""}}
        )

    async def stop(self) -> None:
        await aio.stop(self._task)
        self._task = None
        try:
            await self._mark_sent()
        except PyMongoError as e:  # they stay pending and are published once more: harmless
            log.warning("could not mark the last records sent", error=str(e)[:200])

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        poll_at = loop.time()  # claim due records at start, then every poll_seconds
        while True:
            try:
                if self._confirmed and (
                    len(self._confirmed) >= self.batch
                    or loop.time() - self._confirmed_since >= self.mark_seconds
                ):
                    await self._mark_sent()
                if not self.bus.connected:
                    await asyncio.sleep(0.5)
                    continue
                if self._fresh:
                    batch = [self._fresh.popleft() for _ in range(min(self.batch, len(self._fresh)))]
                    await self._publish(batch)
                    continue
                if loop.time() >= poll_at:
                    await self._mark_sent()  # what is confirmed is not claimed again
                    if await self.relay_once():
                        continue  # more may be waiting
                    poll_at = loop.time() + self.poll_seconds
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep relaying whatever goes wrong; records stay pending
                log.warning("outbox relay error", error=str(e)[:300])
                await asyncio.sleep(1.0)
                poll_at = loop.time()
            wake_at = poll_at
            if self._confirmed:
                wake_at = min(wake_at, self._confirmed_since + self.mark_seconds)
            try:
                await within(self._kick.wait(), max(0.0, wake_at - loop.time()))
            except TimeoutError:
                pass
            self._kick.clear()

    async def _mark_sent(self) -> None:
        """Mark the confirmed records sent, in one update (records the relay finished meanwhile are
        left as they are)."""
        ids, self._confirmed = self._confirmed, []
        if not ids:
            return
        try:
            await self.coll.update_many(
                {"_id": {"$in": ids}, "status": PENDING},
                {
                    "$set": {"status": SENT, "sent_at": datetime.now(UTC)},
                    "$unset": {"lease": "", "due_at": ""},
                },
            )
        except BaseException:
            self._confirmed[:0] = ids  # tried again at the next turn
            raise

    async def _claim(self) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        due = {"due_at": {"$lte": now}, "status": PENDING}
        ids = [d["_id"] async for d in self.coll.find(due, {"_id": 1}).sort("due_at", 1).limit(self.batch)]
        if not ids:
            return []
        token = uuid.uuid4().hex
        await self.coll.update_many(
            {"_id": {"$in": ids}, **due},
            {"$set": {"due_at": now + self.lease, "lease": token}},
        )
        return await self.coll.find({"lease": token, "status": PENDING}).sort("created_at", 1).to_list()

    async def relay_once(self) -> int:
        """Claim one batch, publish it, record the outcome. Returns how many records were claimed."""
        docs = await self._claim()
        backlog.set(len(docs))
        if not docs:
            return 0
        await self._publish(docs)
        return len(docs)

    async def _publish(self, docs: list[dict[str, Any]]) -> None:
        sem = asyncio.Semaphore(self.in_flight)

        async def one(doc: dict[str, Any]) -> tuple[dict[str, Any], BaseException | None]:
            async with sem:
                try:
                    env = Envelope.model_validate(doc["envelope"])
                    if self.tracing is None:
                        await self.bus.publish(env)
                    else:  # a span of the publish, its traceparent in the message's headers
                        headers: dict[str, Any] = {}
                        with self.tracing.publishing(env, headers):
                            await self.bus.publish(env, headers)
                    return doc, None
                except Exception as e:
                    return doc, e

        results = await asyncio.gather(*(one(d) for d in docs))
        now = datetime.now(UTC)
        sent = [d["_id"] for d, e in results if e is None]
        unroutable = [d["_id"] for d, e in results if isinstance(e, Unroutable)]
        if sent:
            if not self._confirmed:
                self._confirmed_since = asyncio.get_running_loop().time()
            self._confirmed.extend(sent)
            soon = now + timedelta(seconds=self.mark_seconds + 1)
            if any(d["due_at"] <= soon for d, e in results if e is None):  # the client reads aware times
                await self._mark_sent()  # late: a relay may claim them any moment, mark them now
        if unroutable:
            # Nobody is bound for this key: keep the record for an operator (``requeue``), do not spin.
            await self.coll.update_many(
                {"_id": {"$in": unroutable}},
                {"$set": {"status": UNROUTABLE, "unroutable_at": now}, "$unset": {"lease": "", "due_at": ""}},
            )
        for doc, err in results:
            rk = doc["routing_key"]
            if err is None:
                published.labels(rk).inc()
            elif isinstance(err, Unroutable):
                failed.labels(rk, "unroutable").inc()
                log.warning("event unroutable: no queue bound", event_id=doc["_id"], routing_key=rk)
            else:
                failed.labels(rk, type(err).__name__).inc()
                attempts = doc.get("attempts", 0) + 1
                retry_in = timedelta(seconds=min(60.0, 0.5 * 2**attempts))
                try:
                    await self.coll.update_one(
                        {"_id": doc["_id"], "status": PENDING},
                        {
                            "$set": {"due_at": now + retry_in, "last_error": repr(err)[:300]},
                            "$inc": {"attempts": 1},
                            "$unset": {"lease": ""},
                        },
                    )
                except PyMongoError:
                    pass  # the lease expires by itself
                log.warning("event not confirmed, will retry", event_id=doc["_id"], error=repr(err)[:200])

    async def requeue(self, status: str = UNROUTABLE) -> int:  # picked up at the next poll
        """Operator action: make records of ``status`` pending again (for example after binding a queue)."""
        res = await self.coll.update_many(
            {"status": status}, {"$set": {"status": PENDING, "due_at": datetime.now(UTC), "attempts": 0}}
        )
        self.kick()
        return res.modified_count

    async def pending(self) -> int:
        return await self.coll.count_documents({"status": PENDING})
