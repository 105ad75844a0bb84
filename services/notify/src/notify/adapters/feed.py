"""Following the inserts into a collection, whichever replica made them: a MongoDB change stream, or,
where change streams are not available, polling for what is new for the users someone is watching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from dvckit import logs

log = logs.get(__name__)
Doc = dict[str, Any]
POLL_SPELL_S = 30.0  # how long polling goes on before the change stream is tried again


async def follow(
    coll: AsyncCollection[Any], at: str, handle: Callable[[Doc], None], watched: Callable[[], list[str]]
) -> None:
    """Call ``handle`` with every document inserted into ``coll``, for ever. Polling (the fallback) looks
    at the documents of the users ``watched()`` names, newer than the last seen by their field ``at``."""
    while True:
        try:
            async with await coll.watch([{"$match": {"operationType": "insert"}}]) as stream:
                async for change in stream:
                    handle(change["fullDocument"])
        except asyncio.CancelledError:
            raise
        except Exception as e:
            log.warning("change stream unavailable, polling instead", error=repr(e)[:200])
            await _poll(coll, at, handle, watched, POLL_SPELL_S)


async def _poll(
    coll: AsyncCollection[Any],
    at: str,
    handle: Callable[[Doc], None],
    watched: Callable[[], list[str]],
    seconds: float,
) -> None:
    since = datetime.now(UTC)
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1.0)
        users = watched()
        if not users:
            since = datetime.now(UTC)
            continue
        async for doc in coll.find({"user_id": {"$in": users}, at: {"$gt": since}}):
            handle(doc)
            since = max(since, doc[at].replace(tzinfo=UTC))
