"""The delivery worker: sends pending emails and SMS, records every attempt, retries what failed
temporarily with growing delays and gives up on what cannot work.

A delivery is made leased to the replica whose consumer made it, which hands it straight to its worker
after the commit; deliveries that are due again (a retry, or a lease that ran out because its replica
stopped) are claimed with a lease, so replicas share the work without sending one twice in the normal
case. The outcomes of a batch are recorded in one round trip. A crash after the server accepted a
message but before it was marked sent makes the next attempt send it again, under the same Message-ID.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter, Histogram

from dvckit import aio, logs
from dvckit.sealed import InvalidToken, Sealer

from ..adapters.deliveries import PERMANENT, SENT, TEMPORARY, DeliveryStore, Outcome
from ..adapters.inbox import Contacts
from ..adapters.mailer import Mailer, Permanent, Temporary
from ..adapters.sms import SmsProvider
from ..config import Settings
from ..domain.messages import CODE_SLOT
from .push import Push

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^0[35789]\d{8}$")

outcomes = Counter("notify_deliveries_total", "Delivery attempts", ["channel", "outcome"])
# From the event that asked for a notification (its occurred_at) to the notification delivered: in the
# inbox (in_app, at the commit) or accepted by the mail server or SMS provider (email, sms).
latency = Histogram(
    "notification_latency_seconds",
    "Time from the event's occurred_at to the notification delivered",
    ["channel"],
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600),
)


def delivered(channel: str, occurred_at: datetime | None) -> None:
    """One notification delivered now on ``channel``, for an event that occurred at ``occurred_at``."""
    if occurred_at is None:
        return  # a delivery made before its event's time was kept
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)  # as the database gives it back
    latency.labels(channel).observe(max(0.0, (datetime.now(UTC) - occurred_at).total_seconds()))


log = logs.get(__name__)

# How long a stopping replica waits for the batch it is sending (a slow mail server) before it stops.
RELEASE_WAIT_S = 10.0


@dataclass(eq=False)
class Deliveries:
    store: DeliveryStore
    contacts: Contacts
    s: Settings
    mailer: Mailer
    sms: SmsProvider
    push: Push

    def __post_init__(self) -> None:
        self.sealer = Sealer(self.s.seal_key.get_secret_value())
        self._kick = asyncio.Event()
        self._fresh: deque[dict[str, Any]] = deque()  # made by this replica, leased to it, committed
        self._sending: asyncio.Future[None] | None = None  # the batch under way

    def wake(self) -> None:
        self._kick.set()

    def hand(self, jobs: list[dict[str, Any]]) -> None:
        """Deliveries this replica's consumer just committed (leased to it): sent without a claim."""
        self._fresh.extend(jobs)
        self.wake()

    async def release(self) -> int:
        """Hand back the deliveries this replica was given and has not attempted (a stopping worker: its
        delivery loop has stopped): due now for the other replicas instead of after the lease."""
        if self._sending is not None and not self._sending.done():
            await asyncio.wait([self._sending], timeout=RELEASE_WAIT_S)
        jobs = list(self._fresh)
        self._fresh.clear()
        released = await self.store.release(jobs)
        if released:
            log.info("deliveries handed back", deliveries=released)
        return released

    async def run(self) -> None:
        """The worker (``rt.loop``): sends what is due, then waits for a wake-up or the next poll."""
        while True:
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep delivering; records stay due
                log.warning("delivery worker error", error=repr(e)[:300])
                await asyncio.sleep(1.0)
            await aio.woken(self._kick, self.s.delivery_poll_seconds)

    async def run_once(self) -> int:
        if self._fresh:
            jobs = [self._fresh.popleft() for _ in range(min(self.s.delivery_batch, len(self._fresh)))]
        else:
            jobs = await self.store.claim(self.s.delivery_batch, self.s.delivery_lease_seconds)
        if jobs:
            # Shielded: a stopping replica's loop is cancelled, but a batch under way is finished and
            # recorded (release() waits for it) rather than left leased and perhaps half sent.
            self._sending = asyncio.ensure_future(self._send(jobs))
            await asyncio.shield(self._sending)
        return len(jobs)

    async def _send(self, jobs: list[dict[str, Any]]) -> None:
        await self.store.record_many(await asyncio.gather(*(self._deliver(j) for j in jobs)))

    async def _address(self, job: dict[str, Any]) -> str:
        if job.get("to"):
            return str(job["to"])
        contact = await self.contacts.get(job["user_id"])
        if contact is None:
            # The user's contact details arrive with user.registered.v1; it may come after this event.
            raise Temporary("no contact details for this user yet")
        value = contact.get("email" if job["channel"] == "email" else "phone")
        if not value:
            raise Permanent(f"the user has no {job['channel']} address")
        return str(value)

    def _text(self, job: dict[str, Any], now: datetime) -> tuple[str, str]:
        """Subject and body as sent: a sealed one-time code is opened now and put in its slot."""
        subject, body = job.get("subject", ""), job["body"]
        if job.get("sealed"):
            expires = job["expires_at"].replace(tzinfo=UTC)
            if expires <= now:
                raise Permanent("the code expired before it could be sent")
            try:
                code = self.sealer.open(job["sealed"])
            except InvalidToken:
                raise Permanent("the code's seal does not open (a different DVC_SEAL_KEY?)") from None
            subject, body = subject.replace(CODE_SLOT, code), body.replace(CODE_SLOT, code)
        return subject, body

    async def _attempt(self, job: dict[str, Any], now: datetime) -> tuple[str, str]:
        """Send ``job`` once: the address it went to and the server's answer; raises ``Temporary`` or
        ``Permanent`` when it did not go."""
        if job["channel"] == "push":
            return await self.push.attempt(job)
        to = await self._address(job)
        subject, body = self._text(job, now)
        if job["channel"] == "email":
            if not EMAIL.match(to):
                raise Permanent(f"not an email address: {to!r}")
            response = await self.mailer.send(
                to=to, subject=subject, body=body, message_id=job["_id"].replace(":", ".")
            )
        else:
            if not PHONE.match(to):
                raise Permanent("not a Vietnamese mobile number")
            response = await self.sms.send(to=to, text=body, message_id=job["_id"])
        return to, response

    async def _deliver(self, job: dict[str, Any]) -> Outcome:
        """Try ``job`` once; what to record of it."""
        now = datetime.now(UTC)
        attempt: dict[str, Any] = {"at": now}
        retry_at = to = None
        try:
            to, response = await self._attempt(job, now)
            attempt |= {"outcome": SENT, "response": str(response)[:200]}
        except Permanent as e:
            attempt |= {"outcome": PERMANENT, "error": str(e)[:300]}
        except Temporary as e:
            n = len(job.get("attempts", []))
            delays = self.s.delivery_delays
            if n >= len(delays):
                attempt |= {"outcome": PERMANENT, "error": f"gave up after {n + 1} attempts: {e}"[:300]}
            else:
                attempt |= {"outcome": TEMPORARY, "error": str(e)[:300]}
                retry_at = now + timedelta(seconds=delays[n])
        outcomes.labels(job["channel"], attempt["outcome"]).inc()
        if attempt["outcome"] == SENT:
            delivered(job["channel"], job.get("occurred_at"))
        if attempt["outcome"] != SENT:
            log.info(
                "delivery not sent",
                delivery=job["_id"],
                outcome=attempt["outcome"],
                error=attempt.get("error"),
            )
        # Sent or given up: the code is needed no more.
        forget = attempt["outcome"] != TEMPORARY and bool(job.get("sealed"))
        return Outcome(job, attempt, retry_at=retry_at, sent_to=to, forget_code=forget)
