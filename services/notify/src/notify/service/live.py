"""Live notifications for web clients (Server-Sent Events through the gateway).

Each replica follows inserts into the notifications collection with a MongoDB change stream, whichever
replica created them, and pushes each one to the streams its own clients opened for that user. Where
change streams are not available, it polls for new notifications instead.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from dvckit import logs
from dvckit.runtime import Runtime

from ..adapters.store import NOTIFICATIONS

log = logs.get(__name__)


class Live:
    def __init__(self, rt: Runtime) -> None:
        self.coll = rt.db[NOTIFICATIONS]
        self.subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._seen: set[str] = set()

    def subscribe(self, user_id: str) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=100)
        self.subscribers[user_id].add(q)
        return q

    def unsubscribe(self, user_id: str, q: asyncio.Queue[dict[str, Any]]) -> None:
        self.subscribers[user_id].discard(q)
        if not self.subscribers[user_id]:
            self.subscribers.pop(user_id, None)

    def publish(self, user_id: str, doc: dict[str, Any]) -> None:
        """Push to this replica's open streams of ``user_id`` (once per notification)."""
        if doc["_id"] in self._seen:
            return
        self._seen.add(doc["_id"])
        if len(self._seen) > 10_000:
            self._seen.clear()
        for q in list(self.subscribers.get(user_id, ())):
            try:
                q.put_nowait(doc)
            except asyncio.QueueFull:
                pass  # a stalled client: it reloads the list when it comes back

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="live-notifications")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _follow(self) -> None:
        while True:
            try:
                async with await self.coll.watch([{"$match": {"operationType": "insert"}}]) as stream:
                    async for change in stream:
                        doc = change["fullDocument"]
                        self.publish(doc["user_id"], doc)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("change stream unavailable, polling instead", error=repr(e)[:200])
                await self._poll(30.0)

    async def _poll(self, seconds: float) -> None:
        since = datetime.now(UTC)
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(1.0)
            users = list(self.subscribers)
            if not users:
                since = datetime.now(UTC)
                continue
            async for doc in self.coll.find({"user_id": {"$in": users}, "created_at": {"$gt": since}}):
                self.publish(doc["user_id"], doc)
                since = max(since, doc["created_at"].replace(tzinfo=UTC))
