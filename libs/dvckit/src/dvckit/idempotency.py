"""``Idempotency-Key`` for creation endpoints: a client that retries on a flaky network gets the first
answer again instead of creating a second resource.

The key is scoped to the caller (and the operation); the first request stores a fingerprint of its body
and, once done, its answer. A repeat with the same body gets that answer; the same key with a different
body is refused (422); a repeat while the first is still running gets 409 (retry shortly).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .errors import Problem, Text
from .jsonutil import dumps

COLLECTION = "idempotency_keys"
TTL = timedelta(hours=24)
SCHEMA = {
    COLLECTION: [
        IndexModel([("created_at", ASCENDING)], name="ttl", expireAfterSeconds=int(TTL.total_seconds()))
    ]
}

KEY_REUSED = Problem(
    422,
    "idempotency-key-reused",
    Text(
        "Idempotency-Key đã được dùng cho một yêu cầu khác",
        "This Idempotency-Key was used for a different request",
    ),
)
IN_PROGRESS = Problem(
    409,
    "idempotency-in-progress",
    Text(
        "Yêu cầu trước với cùng khóa đang được xử lý, vui lòng thử lại",
        "A request with this key is still being processed; retry shortly",
    ),
    headers={"Retry-After": "1"},
)
BAD_KEY = Problem(
    400, "bad-idempotency-key", Text("Idempotency-Key không hợp lệ", "Malformed Idempotency-Key")
)


def fingerprint(body: Any) -> str:
    return hashlib.sha256(dumps(body)).hexdigest()


class Idempotency:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.coll = db[COLLECTION]

    async def run(
        self, *, scope: str, key: str | None, body: Any, fn: Callable[[], Awaitable[dict[str, Any]]]
    ) -> tuple[dict[str, Any], bool]:
        """Run ``fn`` once per (scope, key). Returns (answer, replayed)."""
        if key is None:
            return await fn(), False
        if not (1 <= len(key) <= 200) or not key.isprintable():
            raise BAD_KEY
        _id = f"{scope}|{key}"
        fp = fingerprint(body)
        try:
            await self.coll.insert_one(
                {"_id": _id, "fingerprint": fp, "state": "running", "created_at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            doc = await self.coll.find_one({"_id": _id})
            if doc is None:  # expired between the two calls: start over
                return await self.run(scope=scope, key=key, body=body, fn=fn)
            if doc["fingerprint"] != fp:
                raise KEY_REUSED from None
            if doc["state"] != "done":
                raise IN_PROGRESS from None
            return doc["answer"], True
        try:
            answer = await fn()
        except BaseException:
            await self.coll.delete_one({"_id": _id, "state": "running"})  # let the client retry
            raise
        await self.coll.update_one({"_id": _id}, {"$set": {"state": "done", "answer": answer}})
        return answer, False
