"""Live streams of a user's notifications (Server-Sent Events): the one-time ticket a page buys with its
access token (EventSource cannot send an Authorization header), and the events a stream sends.

A stream lives no longer than the token it was bought with, and closes when its login ends."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit.aio import within
from dvckit.errors import Problem, Text
from dvckit.jsonutil import dumps

from ..adapters.sessions import Revocations, Tickets
from .inbox import Inbox, public
from .live import Live

TICKET_SECONDS = 60
HEARTBEAT_SECONDS = 15.0
BAD_TICKET = Problem(
    401,
    "bad-stream-ticket",
    Text("Phiên theo dõi không hợp lệ hoặc đã hết hạn", "The stream ticket is invalid or expired"),
)
SESSION_ENDED = Problem(
    401,
    "session-ended",
    Text(
        "Phiên đăng nhập đã kết thúc, vui lòng đăng nhập lại", "This session has ended; please sign in again"
    ),
)


class Streams:
    def __init__(self, tickets: Tickets, revocations: Revocations, inbox: Inbox, live: Live) -> None:
        self.tickets = tickets
        self.revocations = revocations
        self.inbox = inbox
        self.live = live

    async def ticket(self, user_id: str, session_id: str | None, issued: datetime, expires: datetime) -> str:
        """A ticket for the holder of an access token (its subject, login, issue and expiry times)."""
        if await self.revocations.ended_since(user_id, session_id, issued):
            raise SESSION_ENDED  # signed out (or locked...) since this token was issued: it opens nothing
        ticket = secrets.token_urlsafe(24)
        await self.tickets.add(
            {
                "_id": ticket,
                "user_id": user_id,
                "session_id": session_id,
                "token_expires_at": expires,
                "expires_at": datetime.now(UTC) + timedelta(seconds=TICKET_SECONDS),
            }
        )
        return ticket

    async def open(self, ticket: str, lang: str) -> AsyncIterator[bytes]:
        """The stream a ticket opens (once); ``BAD_TICKET`` when it opens none."""
        doc = await self.tickets.take(ticket)
        if doc is None or doc["expires_at"].replace(tzinfo=UTC) < datetime.now(UTC):
            raise BAD_TICKET
        # Tickets from before this rule carry no token expiry: they get the longest an access token lives.
        until = (doc.get("token_expires_at") or datetime.now(UTC) + timedelta(minutes=15)).replace(tzinfo=UTC)
        return self._events(doc["user_id"], doc.get("session_id") or "", until, lang)

    async def _events(
        self, user_id: str, session_id: str, until: datetime, lang: str
    ) -> AsyncIterator[bytes]:
        s = self.live.subscribe(user_id, session_id)
        try:
            yield b"retry: 3000\n"
            yield sse("unread", {"unread": await self.inbox.unread(user_id)})
            while True:
                left = (until - datetime.now(UTC)).total_seconds()
                if left <= 0:
                    yield sse("end", {"reason": "expired"})
                    return
                try:
                    got = await within(s.queue.get(), min(HEARTBEAT_SECONDS, left))
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if "end" in got:  # the login ended, or this replica stops
                    yield sse("end", {"reason": got["end"]})
                    return
                yield sse("notification", public(got, lang))
                yield sse("unread", {"unread": got["unread"]})  # counted once for all the user's streams
        finally:
            self.live.unsubscribe(user_id, s)


def sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"
