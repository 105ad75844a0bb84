"""What repositories build on: a unique key refused in the repository's words, pages in a stable order,
and a service's background loops run between the runtime's start and stop."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from dvckit.mongo import paged, unique_key, upsert_and_read
from dvckit.store import AlreadyExists


async def test_a_duplicate_key_is_already_exists(make_runtime):
    rt = await make_runtime(start=False)
    coll = rt.db["keyed"]
    await coll.create_index("k", unique=True)
    with unique_key():
        await coll.insert_one({"k": 1})
    with pytest.raises(AlreadyExists), unique_key():
        await coll.insert_one({"k": 1})
    assert await coll.count_documents({}) == 1


async def test_first_increments_at_once_from_two_replicas_each_count_once(make_runtime):
    a, b = await make_runtime(start=False), await make_runtime(start=False)
    colls = [rt.client[a.db.name]["counted"] for rt in (a, b)]  # one database, two clients
    for key in [f"day{i}" for i in range(20)]:  # a new counter each round: the creation races too
        bump = {"$inc": {"n": 10}, "$setOnInsert": {"first": key}, "$set": {"last": key}}
        got = await asyncio.gather(*(upsert_and_read(colls[i % 2], key, bump) for i in range(6)))
        assert sorted(d["n"] for d in got) == [10, 20, 30, 40, 50, 60]
        assert all(d["first"] == d["last"] == key for d in got)
    assert await colls[0].count_documents({}) == 20


async def test_pages_are_newest_first_and_count_everything(make_runtime):
    rt = await make_runtime(start=False)
    coll = rt.db["paged"]
    now = datetime.now(UTC)
    await coll.insert_many([{"_id": f"d{i}", "created_at": now - timedelta(minutes=i)} for i in range(5)])
    docs, total = await paged(coll, {}, page=2, size=2)
    assert total == 5 and [d["_id"] for d in docs] == ["d2", "d3"]
    docs, total = await paged(coll, {"_id": {"$in": ["d4", "d0"]}}, page=1, size=10)
    assert total == 2 and [d["_id"] for d in docs] == ["d0", "d4"]


async def test_a_loop_runs_from_start_to_stop(make_runtime):
    rt = await make_runtime(start=False)
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            await asyncio.sleep(0.01)

    rt.loop("test-loop", loop)
    await rt.start()
    await asyncio.sleep(0.1)
    assert rounds > 1 and any(t.get_name() == "test-loop" for t in asyncio.all_tasks())
    await rt.stop()
    seen = rounds
    await asyncio.sleep(0.05)
    assert rounds == seen and not any(t.get_name() == "test-loop" for t in asyncio.all_tasks())
