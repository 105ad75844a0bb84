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
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from bson import ObjectId
from pymongo import AsyncMongoClient, IndexModel, ReturnDocument
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
from .paging import BAD_CURSOR, Window
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


async def upsert_and_read(coll: AsyncCollection[Any], key: str, update: Mapping[str, Any]) -> dict[str, Any]:
    """The document ``key`` after ``update``, created first when missing (from the update's
    ``$setOnInsert``): a counter's increment that returns what it counted to.

    Not ``find_one_and_update(upsert=True)``: with two first increments at once, a server may create the
    document for one and, for the other, apply the increment yet return nothing (secantusdb does), or
    refuse it as a duplicate key. Here the increment is never an upsert and the creation is a plain insert
    whose duplicate is the other's, so each increment is applied once and read back. One round trip once
    the document exists. Outside a transaction only (a refused insert would abort it)."""
    changes = {op: v for op, v in update.items() if op != "$setOnInsert"}
    for _ in range(3):
        doc = await coll.find_one_and_update({"_id": key}, changes, return_document=ReturnDocument.AFTER)
        if doc is not None:
            return dict(doc)
        try:
            await coll.insert_one({**update.get("$setOnInsert", {}), "_id": key})
        except DuplicateKeyError:
            pass  # created by another at the same moment: increment that one
    raise RuntimeError(f"{coll.name} {key!r} kept disappearing while being incremented")


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


# -- cursor pagination (dvckit.paging): the keyset of a page's last item, and the query after it --------


def _key_value(value: Any) -> Any:
    """A sort value as JSON the cursor can carry (dates and ObjectIds tagged)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return {"$d": value.isoformat()}
    if isinstance(value, ObjectId):
        return {"$o": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot carry {type(value).__name__} in a cursor")


def _from_key(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$d"} and isinstance(value["$d"], str):
            return datetime.fromisoformat(value["$d"])
        if set(value) == {"$o"} and isinstance(value["$o"], str):
            return ObjectId(value["$o"])
        raise ValueError("not a key value")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ValueError("not a key value")


def _field(doc: Mapping[str, Any], path: str) -> Any:
    node: Any = doc
    for part in path.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node


def after_key(sort: Sequence[tuple[str, int]], key: list[Any]) -> dict[str, Any]:
    """The query for what sorts after ``key`` (one value for each field of ``sort``, ``_id`` last):
    ``(a > x) or (a = x and b > y) or ...``. The sort fields must never be missing or null."""
    if len(key) != len(sort):
        raise ValueError("key length")
    values = [_from_key(v) for v in key]
    if any(v is None for v in values):
        raise ValueError("null key")
    ors = []
    for i, (name, direction) in enumerate(sort):
        clause = {sort[j][0]: values[j] for j in range(i)}
        clause[name] = {"$gt" if direction > 0 else "$lt": values[i]}
        ors.append(clause)
    return {"$or": ors}


async def window_find(
    coll: AsyncCollection[Any],
    query: Mapping[str, Any],
    sort: Sequence[tuple[str, int]],
    window: Window,
    projection: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The page ``window`` (a ``dvckit.paging.Window``) asks of ``query`` in ``sort`` order (a total
    order: ``_id`` last, no field ever null): after its keyset when the cursor has one, else after
    ``skip`` items. Records on the window whether more follow and the last item's keyset."""
    q = dict(query)
    skip = window.skip
    if window.after is not None:
        try:
            cond = after_key(sort, window.after)
        except (ValueError, TypeError) as exc:
            raise BAD_CURSOR from exc
        q = {"$and": [q, cond]} if q else cond
        skip = 0
    docs = await coll.find(q, projection).sort(list(sort)).skip(skip).limit(window.size + 1).to_list()
    window.more = len(docs) > window.size
    docs = docs[: window.size]
    if docs:
        window.last = [_key_value(_field(docs[-1], name)) for name, _ in sort]
    return docs


async def ping(client: AsyncMongoClient[Any]) -> None:
    await client.admin.command("ping")


class Repository:
    """An adapter over one collection of a service's database: subclasses name it in ``collection``."""

    collection: ClassVar[str]

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.coll: AsyncCollection[Any] = db[self.collection]


async def windowed(
    coll: AsyncCollection[Any],
    query: Mapping[str, Any],
    window: Window,
    *,
    sort: Sequence[tuple[str, int]] = NEWEST_FIRST,
) -> tuple[list[dict[str, Any]], int]:
    """``paged`` for a ``dvckit.paging.Window``: the page (by number or by keyset cursor) and the total."""
    docs = await window_find(coll, query, sort, window)
    total = await coll.count_documents(dict(query))
    return docs, total
