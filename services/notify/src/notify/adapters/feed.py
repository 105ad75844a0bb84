"""Following the inserts into some of a database's collections, whichever replica made them: one MongoDB
change stream for all of them (a replica watches once, however many clients it serves), or, where change
streams are not available, polling for what is new for the users someone is watching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from dvckit import logs

log = logs.get(__name__)
Doc = dict[str, Any]
POLL_SPELL_S = 30.0  # how long polling goes on before the change stream is tried again


@dataclass(frozen=True)
class Feed:
    """What to do with each new document of a collection; ``at``: its time field (for polling)."""

    handle: Callable[[Doc], None]
    at: str


async def follow(db: AsyncDatabase[Any], feeds: Mapping[str, Feed], watched: Callable[[], list[str]]) -> None:
    """Call each collection's ``handle`` with every document inserted into it, for ever. Polling (the
    fallback) looks at the documents of the users ``watched()`` names, newer than the last seen."""
    match = {"operationType": "insert", "ns.coll": {"$in": list(feeds)}}
    while True:
        try:
            async with await db.watch([{"$match": match}]) as stream:
                async for change in stream:
                    feed = feeds.get(change["ns"]["coll"])
                    if feed is not None:
                        feed.handle(change["fullDocument"])
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("change stream unavailable, polling instead", error=repr(e)[:200])
            await _poll(db, feeds, watched, POLL_SPELL_S)


async def _poll(
    db: AsyncDatabase[Any], feeds: Mapping[str, Feed], watched: Callable[[], list[str]], seconds: float
) -> None:
    since = dict.fromkeys(feeds, datetime.now(UTC))
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1.0)
        users = watched()
        for name, feed in feeds.items():
            if not users:
                since[name] = datetime.now(UTC)
                continue
            async for doc in db[name].find({"user_id": {"$in": users}, feed.at: {"$gt": since[name]}}):
                feed.handle(doc)
                since[name] = max(since[name], doc[feed.at].replace(tzinfo=UTC))
