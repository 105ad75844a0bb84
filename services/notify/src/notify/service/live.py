"""Live notifications for web clients (Server-Sent Events through the gateway).

Each replica follows the new notifications and revocations, whichever replica created them, with one
watcher (``adapters/feed.py``: a MongoDB change stream over both collections, or polling where there is
none), and fans each one out to the streams its own clients opened: a new notification goes to that
user's streams with the user's unread count, counted once however many streams the user has open; a
revocation (signed out, password changed, account locked) closes that login's streams, whichever replica
consumed the event. The database's work grows with the notifications, not with the connected clients.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from dvckit import logs

from ..adapters import feed
from ..adapters.inbox import Notifications
from ..adapters.sessions import Revocations

log = logs.get(__name__)

# Put in a stream's queue to close it: its login ended, or this replica is stopping (the page then
# reconnects, to another replica).
ENDED: dict[str, Any] = {"_id": "", "end": "signed-out"}
STOPPING: dict[str, Any] = {"_id": "", "end": "restart"}


class Stream:
    """One open stream: what it receives (a notification carries the user's ``unread`` count), and the
    login (session id) it belongs to."""

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
        # New notifications of watched users, in order, for the one task that counts and pushes them.
        self._new: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

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
        """A new notification of ``user_id`` for this replica's open streams (once per notification)."""
        if doc["_id"] in self._seen or user_id not in self.subscribers:
            return
        self._seen.add(doc["_id"])
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._new.put_nowait((user_id, doc))

    async def _push(self, user_id: str, doc: dict[str, Any]) -> None:
        streams = list(self.subscribers.get(user_id, ()))
        if not streams:
            return
        unread = await self.notifications.unread(user_id)  # once, for every stream of the user
        for stream in streams:
            try:
                stream.queue.put_nowait({**doc, "unread": unread})
            except asyncio.QueueFull:
                pass  # a stalled client: it reloads the list when it comes back

    def watched(self) -> list[str]:
        """The users with a stream open on this replica."""
        return list(self.subscribers)

    # -- background loops (``rt.loop``) -------------------------------------------------------------
    async def follow(self) -> None:
        """The replica's one watcher of new notifications and revocations."""
        db = self.notifications.coll.database
        feeds = {
            self.notifications.collection: feed.Feed(lambda d: self.publish(d["user_id"], d), "created_at"),
            self.revocations.collection: feed.Feed(self.revoke, "at"),
        }
        await feed.follow(db, feeds, self.watched)

    async def fan_out(self) -> None:
        """Pushes the new notifications to the streams, in the order they came."""
        while True:
            user_id, doc = await self._new.get()
            try:
                await self._push(user_id, doc)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the database away for a moment: that push is lost, not the stream
                log.warning("live push failed", error=repr(e)[:200])

    def end_all(self) -> None:
        """This replica stops: every stream ends, telling its page to reconnect (to another replica)."""
        for streams in self.subscribers.values():
            for stream in streams:
                stream.end(STOPPING)
