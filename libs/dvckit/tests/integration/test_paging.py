"""Keyset cursors against the real MongoDB-wire server: a walk sees every document once, in order, even
when documents are added at the head of a newest-first list while it walks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from dvckit import mongo, paging


async def _walk(coll, query, sort, size, scope="/t"):
    seen, cursor = [], None
    while True:
        if cursor is None:
            w = paging.Window(size=size, scope=scope)
        else:
            skip, after = paging.decode(scope, cursor)
            w = paging.Window(size=size, skip=skip, after=after, by_cursor=True, scope=scope)
        docs = await mongo.window_find(coll, query, sort, w)
        seen += docs
        cursor = w.next_cursor(len(docs))
        if cursor is None:
            return seen


async def test_a_keyset_walk_sees_every_document_once_in_order(infra) -> None:
    client = mongo.connect(infra.mongo_url, appname="paging-test")
    coll = client[f"paging_{uuid.uuid4().hex[:8]}"]["things"]
    try:
        base = datetime(2026, 1, 1, tzinfo=UTC)
        # Ties on created_at, ObjectIds and strings as ids: the id breaks the tie.
        docs = [
            {"_id": ObjectId(), "owner": "a", "created_at": base + timedelta(minutes=i // 3), "n": i}
            for i in range(23)
        ] + [{"_id": f"s{i}", "owner": "b", "created_at": base, "n": 100 + i} for i in range(5)]
        await coll.insert_many(docs)
        sort = [("created_at", -1), ("_id", 1)]
        walked = await _walk(coll, {"owner": "a"}, sort, 4)
        expected = await coll.find({"owner": "a"}).sort(sort).to_list()
        assert [d["n"] for d in walked] == [d["n"] for d in expected] and len(walked) == 23
        assert len(await _walk(coll, {"owner": "b"}, [("created_at", 1), ("_id", 1)], 2)) == 5

        # A newest-first walk is not disturbed by a document added at the head meanwhile.
        w = paging.Window(size=5, scope="/t")
        first = await mongo.window_find(coll, {"owner": "a"}, sort, w)
        cursor = w.next_cursor(len(first))
        await coll.insert_one(
            {"_id": ObjectId(), "owner": "a", "created_at": base + timedelta(days=9), "n": -1}
        )
        skip, after = paging.decode("/t", cursor)
        w2 = paging.Window(size=5, skip=skip, after=after, by_cursor=True, scope="/t")
        second = await mongo.window_find(coll, {"owner": "a"}, sort, w2)
        assert [d["n"] for d in second] == [d["n"] for d in expected[5:10]]
    finally:
        await client.drop_database(coll.database.name)
        await client.close()
