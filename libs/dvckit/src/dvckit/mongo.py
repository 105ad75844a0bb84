"""MongoDB access through pymongo's native async API (``AsyncMongoClient``; not motor).

Collections and indexes are declared per service and created at start-up, before any transaction runs:
creating a collection implicitly inside concurrent transactions fails with WriteConflict.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, TypeVar

from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    CollectionInvalid,
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)
from pymongo.monitoring import CommandListener

from . import logs
from .store import AlreadyExists

T = TypeVar("T")
Schema = Mapping[str, Sequence[IndexModel]]
Session = AsyncClientSession
log = logs.get(__name__)


def connect(
    url: str, *, appname: str, timeout_ms: int = 3000, listeners: Sequence[CommandListener] = ()
) -> AsyncMongoClient[dict[str, Any]]:
    """A client of ``url``; ``listeners``: pymongo command listeners (``dvckit.mongo_metrics``)."""
    return AsyncMongoClient(
        url,
        appname=appname,
        event_listeners=list(listeners),
        tz_aware=True,
        uuidRepresentation="standard",
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        # A request must not hang on a dead server: fail with a 503 instead.
        socketTimeoutMS=max(timeout_ms * 5, 10_000),
    )


@contextmanager
def unique_key() -> Iterator[None]:
    """Inside, a write a unique index refuses raises :class:`dvckit.store.AlreadyExists` (the
    repository's word for it) instead of the driver's ``DuplicateKeyError``."""
    try:
        yield
    except DuplicateKeyError as e:
        if e.has_error_label("TransientTransactionError"):
            raise  # a conflict between transactions: ``transaction`` runs the whole one again
        raise AlreadyExists(str(e)[:300]) from e


async def ensure_schema(db: AsyncDatabase[Any], schema: Schema) -> None:
    """Create the collections and indexes of ``schema`` (what exists is left as it is: safe to run again,
    and by several replicas at once)."""
    existing = set(await db.list_collection_names())
    for name, indexes in schema.items():
        if name not in existing:
            try:
                await db.create_collection(name)
            except CollectionInvalid:
                pass  # another replica created it first
        if indexes:
            await db[name].create_indexes(list(indexes))


# pymongo's ``with_transaction`` retries a transient error for two minutes, whatever its cause: with the
# server gone, a request would hang that long. Conflicts between transactions are retried as long as
# there; a server that does not answer only briefly (a pooled socket that died with a restart), then the
# ConnectionFailure goes to the caller (a 503 for a request, a retry tier for an event).
RETRY_SECONDS = 120.0
UNREACHABLE_RETRY_SECONDS = 5.0


def _may_retry(exc: BaseException, label: str, started: float) -> bool:
    if not (isinstance(exc, PyMongoError) and exc.has_error_label(label)):
        return False
    limit = UNREACHABLE_RETRY_SECONDS if isinstance(exc, ConnectionFailure) else RETRY_SECONDS
    return time.monotonic() - started < limit


async def transaction(client: AsyncMongoClient[Any], fn: Callable[[Session], Awaitable[T]]) -> T:
    """Run ``fn(session)`` in a transaction, retried on transient errors (WriteConflict and the like),
    as ``with_transaction`` does but failing fast when the server does not answer."""
    async with client.start_session() as session:
        started = time.monotonic()
        attempt = 0
        while True:
            if attempt:  # backoff with jitter, as pymongo's, so conflicting writers spread out
                await asyncio.sleep(random.random() * min(0.005 * 1.5**attempt, 0.5))  # noqa: S311
            attempt += 1
            await session.start_transaction()
            try:
                result = await fn(session)
            except BaseException as exc:
                if session.in_transaction:
                    await session.abort_transaction()
                if _may_retry(exc, "TransientTransactionError", started):
                    continue
                raise
            if not session.in_transaction:  # fn ended the transaction itself
                return result
            while True:
                try:
                    await session.commit_transaction()
                    return result
                except PyMongoError as exc:
                    timed_out = isinstance(exc, OperationFailure) and exc.code == 50  # MaxTimeMSExpired
                    if not timed_out and _may_retry(exc, "UnknownTransactionCommitResult", started):
                        continue  # the commit is idempotent: try it again
                    if _may_retry(exc, "TransientTransactionError", started):
                        break  # the whole transaction again
                    raise


NEWEST_FIRST = [("created_at", -1), ("_id", 1)]


async def paged(
    coll: AsyncCollection[Any],
    query: Mapping[str, Any],
    *,
    page: int,
    size: int,
    sort: Sequence[tuple[str, int]] = NEWEST_FIRST,
) -> tuple[list[dict[str, Any]], int]:
    """One page (from 1) of what ``query`` finds, in a stable order; and how many it finds in all."""
    total = await coll.count_documents(dict(query))
    docs = await coll.find(dict(query)).sort(list(sort)).skip((page - 1) * size).limit(size).to_list()
    return docs, total


async def ping(client: AsyncMongoClient[Any]) -> None:
    await client.admin.command("ping")


class Repository:
    """An adapter over one collection of a service's database: subclasses name it in ``collection``."""

    collection: ClassVar[str]

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.coll: AsyncCollection[Any] = db[self.collection]
