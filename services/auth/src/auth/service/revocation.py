"""The public revocation list: sessions ended and accounts locked, each for as long as an access token
issued before could still be presented. Written in the transaction that ends the session or locks the
account; read by every replica of every service (``dvckit.auth.RevocationList``), auth's own included,
which reads the store directly and learns what it ended itself at once (:meth:`Revoked.known`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit.auth import RevocationList, subject_key
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.revocations import Revocations
from ..config import Settings

# Kept past the token's lifetime by the services' leeway on exp (30 s) and a margin for clock skew.
BEYOND_LIFETIME = timedelta(seconds=60)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def seconds(at: datetime) -> float:
    """Seconds since the epoch, in whole milliseconds (as MongoDB keeps times): sent back as ``since``,
    the value finds the same instant."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # pymongo gives naive UTC unless told otherwise
    return round((at - EPOCH) / timedelta(milliseconds=1)) / 1000


def instant(value: float) -> datetime:
    return EPOCH + timedelta(milliseconds=round(value * 1000))


class Revoked:
    def __init__(self, rt: Runtime, settings: Settings, store: Revocations) -> None:
        self.rt = rt
        self.s = settings
        self.store = store

    @property
    def keep(self) -> timedelta:
        return timedelta(seconds=self.s.access_ttl_seconds) + BEYOND_LIFETIME

    async def sessions(self, sids: Iterable[str], session: Session) -> None:
        """List sessions as ended, inside the transaction that ends them."""
        await self.store.add("session", sids, at=datetime.now(UTC), keep=self.keep, session=session)

    async def user(self, user_id: str, session: Session) -> None:
        """List an account as locked now: its tokens issued until now are refused."""
        await self.store.add(
            "user", [subject_key(user_id)], at=datetime.now(UTC), keep=self.keep, session=session
        )

    def known(self, *, sessions: Iterable[str] = (), user_id: str | None = None) -> None:
        """After the commit: this replica refuses the tokens at once, before its next poll."""
        revoked = getattr(self.rt.tokens, "revoked", None)
        if isinstance(revoked, RevocationList):
            now = seconds(datetime.now(UTC))
            revoked.add(sessions=sessions, users=[subject_key(user_id)] if user_id else (), at=now)

    def source(self) -> RevocationList:
        """The list auth's own verifier keeps: read from the store, not over HTTP."""
        return self.rt.revocation_list(self.listing)

    async def listing(self, since: float | None = None, after: str | None = None) -> dict[str, Any]:
        """What was listed since ``since`` (never before the window: older entries stop no live token),
        one page of at most ``revocations_page`` entries; ``next`` says where the following page starts."""
        now = datetime.now(UTC)
        start = now - self.keep
        if since is not None and instant(since) > start:
            start = instant(since)
        else:
            after = None  # the window's start is no entry's time
        limit = self.s.revocations_page
        docs = await self.store.since(start, limit + 1, after)
        page, more = docs[:limit], len(docs) > limit
        out: dict[str, Any] = {
            "now": seconds(now),
            "window": int(self.keep.total_seconds()),
            "sessions": [{"id": d["key"], "at": seconds(d["at"])} for d in page if d["kind"] == "session"],
            "users": [{"id": d["key"], "at": seconds(d["at"])} for d in page if d["kind"] == "user"],
            "next": {"since": seconds(page[-1]["at"]), "after": page[-1]["_id"]} if more else None,
        }
        return out
