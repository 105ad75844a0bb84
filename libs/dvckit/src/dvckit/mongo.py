"""MongoDB access through pymongo's native async API (``AsyncMongoClient``; not motor).

Collections and indexes are declared per service and created at start-up, before any transaction runs:
creating a collection implicitly inside concurrent transactions fails with WriteConflict.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, PyMongoError

from . import logs

T = TypeVar("T")
Schema = Mapping[str, Sequence[IndexModel]]
Session = AsyncClientSession
log = logs.get(__name__)


def connect(url: str, *, appname: str, timeout_ms: int = 3000) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(
        url,
        appname=appname,
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        # A request must not hang on a dead server: fail with a 503 instead.
        socketTimeoutMS=max(timeout_ms * 5, 10_000),
    )


async def ensure_schema(db: AsyncDatabase[Any], schema: Schema, *, wait_seconds: float = 30.0) -> None:
    """Create the collections and indexes of ``schema``; waits for the server for ``wait_seconds``."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            existing = set(await db.list_collection_names())
            break
        except PyMongoError as e:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("waiting for MongoDB", error=str(e)[:200])
            await asyncio.sleep(1.0)
    for name, indexes in schema.items():
        if name not in existing:
            try:
                await db.create_collection(name)
            except CollectionInvalid:
                pass  # another replica created it first
        if indexes:
            await db[name].create_indexes(list(indexes))


async def transaction(client: AsyncMongoClient[Any], fn: Callable[[Session], Awaitable[T]]) -> T:
    """Run ``fn(session)`` in a transaction, retried on transient errors (WriteConflict and the like)."""
    async with client.start_session() as session:
        return await session.with_transaction(fn)


async def ping(client: AsyncMongoClient[Any]) -> None:
    await client.admin.command("ping")
