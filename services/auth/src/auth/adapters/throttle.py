"""Failed-login counters shared by every replica (MongoDB): per account and per client address.

Failures count against the account, whichever of its names was typed (citizen ID, phone, email,
username): five wrong passwords lock the account, not just the name tried. A name no account has is
counted by itself and locks the same way, so a lockout says nothing about whether an account exists.
Wrong current passwords given to a signed-in operation (changing the password or a contact) count
too: a stolen access token must not be a way to guess the password. A success clears the account's
counter, not the address's (an attacker cannot reset the address counter by logging in to an account
of their own).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from dvckit.mongo import upsert_and_read

from ..config import Settings
from .store import THROTTLE

# Each lockout as it starts: an account name's (too many failures for it) or a client address's.
lockouts = Counter(
    "auth_lockouts_total", "Lockouts started, of an account name or a client address", ["scope"]
)


class Throttle:
    def __init__(self, db: AsyncDatabase[Any], settings: Settings) -> None:
        self.coll = db[THROTTLE]
        self.s = settings

    async def blocked_for(self, account: str, ip: str) -> int:
        """Seconds until a login may be tried again for this account name or address; 0 if now."""
        now = datetime.now(UTC)
        docs = await self.coll.find({"_id": {"$in": [f"acct:{account}", f"ip:{ip}"]}}).to_list()
        wait = 0.0
        for d in docs:
            if d.get("locked_until") and d["locked_until"] > now:
                wait = max(wait, (d["locked_until"] - now).total_seconds())
        return int(wait) + (1 if wait else 0)

    async def _fail(self, key: str, limit: int, now: datetime) -> dict[str, Any]:
        window = timedelta(seconds=self.s.lockout_window_seconds)
        doc = await upsert_and_read(
            self.coll,
            key,
            {
                "$inc": {"fails": 1},
                "$setOnInsert": {"window_start": now},
                "$set": {"expires_at": now + window + timedelta(seconds=self.s.lockout_seconds)},
            },
        )
        if doc["window_start"] < now - window:  # the window passed: this failure starts a new one
            doc = await self.coll.find_one_and_update(
                {"_id": key},
                {"$set": {"fails": 1, "window_start": now, "locked_until": None}},
                return_document=ReturnDocument.AFTER,
            )
        if doc["fails"] >= limit and not (doc.get("locked_until") and doc["locked_until"] > now):
            until = now + timedelta(seconds=self.s.lockout_seconds)
            await self.coll.update_one(
                {"_id": key}, {"$set": {"locked_until": until, "expires_at": until + window}}
            )
            lockouts.labels("account" if key.startswith("acct:") else "address").inc()
            doc["locked_until"] = until
        return doc

    async def failed(self, account: str, ip: str) -> bool:
        """Count a failed login; True when this failure locked the account name."""
        now = datetime.now(UTC)
        acct = await self._fail(f"acct:{account}", self.s.lockout_failures, now)
        await self._fail(f"ip:{ip}", self.s.ip_failures, now)
        return bool(acct.get("locked_until") and acct["locked_until"] > now)

    async def succeeded(self, account: str) -> None:
        await self.coll.delete_one({"_id": f"acct:{account}"})
