"""Failed-login counters shared by every replica (MongoDB): per account name and per client address.

An account name is counted whether or not an account has it, so a lockout says nothing about whether
the account exists. A success clears the account's counter, not the address's (an attacker cannot
reset the address counter by logging in to an account of their own).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from dvckit.runtime import Runtime

from ..adapters.store import THROTTLE
from ..config import Settings


def login_key(field: str, value: str) -> str:
    """A stable, non-reversible key for a login name (logs and counters never hold the name itself)."""
    return hashlib.sha256(f"{field}:{value}".encode()).hexdigest()[:32]


class Throttle:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.coll = rt.db[THROTTLE]
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
        doc = await self.coll.find_one_and_update(
            {"_id": key},
            {
                "$inc": {"fails": 1},
                "$setOnInsert": {"window_start": now},
                "$set": {"expires_at": now + window + timedelta(seconds=self.s.lockout_seconds)},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
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
