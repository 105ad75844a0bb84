"""Live notifications for web clients (Server-Sent Events through the gateway).

Each replica follows the new notifications, whichever replica created them (``adapters/feed.py``: a
MongoDB change stream, or polling where there is none), and pushes each one to the streams its own
clients opened for that user.

It follows the revocations collection the same way: when a login ends (signed out, password changed,
account locked), every replica closes that login's streams, whichever replica consumed the event.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from ..adapters.inbox import Notifications
from ..adapters.sessions import Revocations

# Put in a stream's queue to close it: its login ended, or this replica is stopping (the page then
# reconnects, to another replica).
ENDED: dict[str, Any] = {"_id": "", "end": "signed-out"}
STOPPING: dict[str, Any] = {"_id": "", "end": "restart"}


class Stream:
    """One open stream: what it receives, and the login (session id) it belongs to."""

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)

    def end(self, why: dict[str, Any] = ENDED) -> None:
        while self.queue.full():  # what it had not read yet no longer matters
            self.queue.get_nowait()
        self.queue.put_nowait(why)


def ended(revocation: dict[str, Any], stream: Stream) -> bool:
    """Whether a revocation (one login, or all of the user's) ends this stream's login."""
    return revocation.get("session_id") in (None, stream.session_id)


class Live:
    def __init__(self, notifications: Notifications, revocations: Revocations) -> None:
        self.notifications = notifications
        self.revocations = revocations
        self.subscribers: dict[str, set[Stream]] = defaultdict(set)
        self._seen: set[str] = set()

    def subscribe(self, user_id: str, session_id: str = "") -> Stream:
        stream = Stream(session_id)
        self.subscribers[user_id].add(stream)
        return stream

    def unsubscribe(self, user_id: str, stream: Stream) -> None:
        self.subscribers[user_id].discard(stream)
        if not self.subscribers[user_id]:
            self.subscribers.pop(user_id, None)

    def revoke(self, revocation: dict[str, Any]) -> None:
        """Close this replica's streams of the login(s) that ended."""
        for stream in list(self.subscribers.get(revocation["user_id"], ())):
            if ended(revocation, stream):
                stream.end()

    def publish(self, user_id: str, doc: dict[str, Any]) -> None:
        """Push to this replica's open streams of ``user_id`` (once per notification)."""
        if doc["_id"] in self._seen:
            return
        self._seen.add(doc["_id"])
        if len(self._seen) > 10_000:
            self._seen.clear()
        for stream in list(self.subscribers.get(user_id, ())):
            try:
                stream.queue.put_nowait(doc)
            except asyncio.QueueFull:
                pass  # a stalled client: it reloads the list when it comes back

    def watched(self) -> list[str]:
        """The users with a stream open on this replica."""
        return list(self.subscribers)

    # -- background loops (``rt.loop``) -------------------------------------------------------------
    async def follow_notifications(self) -> None:
        await self.notifications.follow(lambda d: self.publish(d["user_id"], d), self.watched)

    async def follow_revocations(self) -> None:
        await self.revocations.follow(self.revoke, self.watched)

    def end_all(self) -> None:
        """This replica stops: every stream ends, telling its page to reconnect (to another replica)."""
        for streams in self.subscribers.values():
            for stream in streams:
                stream.end(STOPPING)
