"""The delivery worker: sends pending emails and SMS, records every attempt, retries what failed
temporarily with growing delays and gives up on what cannot work.

Deliveries are claimed with a lease, so replicas share the work without sending one twice in the
normal case. A crash after the server accepted a message but before it was marked sent makes the next
attempt send it again, under the same Message-ID.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from dvckit import logs
from dvckit.runtime import Runtime

from ..adapters.mailer import Mailer, Permanent, Temporary
from ..adapters.sms import SmsProvider
from ..adapters.store import CONTACTS, DELIVERIES
from ..config import Settings

PENDING, SENT, TEMPORARY, PERMANENT = "pending", "sent", "temporary_failure", "permanent_failure"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^0[35789]\d{8}$")

outcomes = Counter("notify_deliveries_total", "Delivery attempts", ["channel", "outcome"])
log = logs.get(__name__)


class Deliveries:
    def __init__(self, rt: Runtime, settings: Settings, mailer: Mailer, sms: SmsProvider) -> None:
        self.coll = rt.db[DELIVERIES]
        self.contacts = rt.db[CONTACTS]
        self.s = settings
        self.mailer = mailer
        self.sms = sms
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._kick.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="delivery-worker")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _run(self) -> None:
        while True:
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as e:  # keep delivering; records stay due
                log.warning("delivery worker error", error=repr(e)[:300])
                await asyncio.sleep(1.0)
            try:
                await asyncio.wait_for(self._kick.wait(), self.s.delivery_poll_seconds)
            except TimeoutError:
                pass
            self._kick.clear()

    async def _claim(self) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        due = {"next_at": {"$lte": now}, "status": {"$in": [PENDING, TEMPORARY]}}  # only those have a next_at
        ids = [
            d["_id"]
            async for d in self.coll.find(due, {"_id": 1}).sort("next_at", 1).limit(self.s.delivery_batch)
        ]
        if not ids:
            return []
        token = uuid.uuid4().hex
        await self.coll.update_many(
            {"_id": {"$in": ids}, **due},
            {"$set": {"lease": token, "next_at": now + timedelta(seconds=self.s.delivery_lease_seconds)}},
        )
        return await self.coll.find({"lease": token}).to_list()

    async def run_once(self) -> int:
        jobs = await self._claim()
        await asyncio.gather(*(self._deliver(j) for j in jobs))
        return len(jobs)

    async def _address(self, job: dict[str, Any]) -> str:
        if job.get("to"):
            return str(job["to"])
        contact = await self.contacts.find_one({"_id": job["user_id"]}) or None
        if contact is None:
            # The user's contact details arrive with user.registered.v1; it may come after this event.
            raise Temporary("no contact details for this user yet")
        value = contact.get("email" if job["channel"] == "email" else "phone")
        if not value:
            raise Permanent(f"the user has no {job['channel']} address")
        return str(value)

    async def _deliver(self, job: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        attempt: dict[str, Any] = {"at": now}
        try:
            to = await self._address(job)
            if job["channel"] == "email":
                if not EMAIL.match(to):
                    raise Permanent(f"not an email address: {to!r}")
                response = await self.mailer.send(
                    to=to, subject=job["subject"], body=job["body"], message_id=job["_id"].replace(":", ".")
                )
            else:
                if not PHONE.match(to):
                    raise Permanent("not a Vietnamese mobile number")
                response = await self.sms.send(to=to, text=job["body"], message_id=job["_id"])
            attempt |= {"outcome": SENT, "response": str(response)[:200]}
            update = {
                "$set": {"status": SENT, "sent_at": now, "to": to},
                "$unset": {"lease": "", "next_at": ""},
            }
        except Permanent as e:
            attempt |= {"outcome": PERMANENT, "error": str(e)[:300]}
            update = {"$set": {"status": PERMANENT}, "$unset": {"lease": "", "next_at": ""}}
        except Temporary as e:
            n = len(job.get("attempts", []))
            delays = self.s.delivery_delays
            if n >= len(delays):
                attempt |= {"outcome": PERMANENT, "error": f"gave up after {n + 1} attempts: {e}"[:300]}
                update = {"$set": {"status": PERMANENT}, "$unset": {"lease": "", "next_at": ""}}
            else:
                attempt |= {"outcome": TEMPORARY, "error": str(e)[:300]}
                update = {
                    "$set": {"status": TEMPORARY, "next_at": now + timedelta(seconds=delays[n])},
                    "$unset": {"lease": ""},
                }
        outcomes.labels(job["channel"], attempt["outcome"]).inc()
        update["$push"] = {"attempts": attempt}
        await self.coll.update_one({"_id": job["_id"], "lease": job.get("lease")}, update)
        if attempt["outcome"] != SENT:
            log.info(
                "delivery not sent",
                delivery=job["_id"],
                outcome=attempt["outcome"],
                error=attempt.get("error"),
            )
