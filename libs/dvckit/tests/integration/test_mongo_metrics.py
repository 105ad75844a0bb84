"""``mongodb_commands_total``: every command a runtime's client sends, by database and command name,
counted against the real server and exposed on /metrics."""

from __future__ import annotations

from prometheus_client import REGISTRY, generate_latest

from dvckit import mongo


def sent(database: str, command: str) -> float:
    return (
        REGISTRY.get_sample_value("mongodb_commands_total", {"database": database, "command": command}) or 0
    )


async def test_a_runtime_counts_each_command_it_sends(make_runtime):
    rt = await make_runtime(start=False)
    db = rt.db.name
    coll = rt.db["counted"]
    before = {c: sent(db, c) for c in ("insert", "find", "update", "delete", "getMore")}
    commits = sent("admin", "commitTransaction")

    await coll.insert_one({"n": 0})
    await coll.insert_many([{"n": i} for i in range(1, 5)])  # one command for four documents
    await coll.update_one({"n": 1}, {"$set": {"seen": True}})
    await coll.delete_one({"n": 2})
    assert len(await coll.find({}).batch_size(2).to_list()) == 4  # a first batch and getMores
    await mongo.transaction(rt.client, lambda s: coll.insert_one({"n": 9}, session=s))

    after = {c: sent(db, c) for c in before}
    assert after["insert"] - before["insert"] == 3
    assert after["update"] - before["update"] == 1
    assert after["delete"] - before["delete"] == 1
    assert after["find"] - before["find"] == 1
    assert after["getMore"] - before["getMore"] >= 1
    assert sent("admin", "commitTransaction") - commits == 1


async def test_the_count_is_on_the_metrics_page(make_runtime):
    rt = await make_runtime(start=False)
    await rt.db["counted"].find_one({})
    page = generate_latest().decode()
    assert f'mongodb_commands_total{{command="find",database="{rt.db.name}"}}' in page
