"""Start-up from the seed and from snapshots, and details served from memory, against real MongoDB.

A replica says how its catalogue came into memory in ``catalog.started["source"]``: ``seed`` (the seed
file), ``snapshot`` (one read), ``database`` (a bulk read) or ``database+snapshot`` (a stale snapshot
brought up to date by reading only what changed)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from catalog.adapters.procedures import Procedures
from catalog.adapters.snapshots import Snapshots
from catalog.service import catalog as catalog_mod
from catalog.service import view as views
from devstack.testing import eventually

from .conftest import SEED, seed_written
from .test_catalog import KEY, token

C = "/api/v1/catalog"
QUERIES = ("tam tru", "dang ki khai sinh", "giay phep lai xe", "ho kinh doanh")


def admin_of(client: Any) -> dict[str, str]:
    """An administrator's headers that ``client``'s replica trusts (a test signing key)."""
    import jwt

    from dvckit.auth import TokenVerifier

    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "test", "use": "sig"}

    async def source() -> dict[str, Any]:
        return {"keys": [jwk]}

    client.app.state.runtime.tokens = TokenVerifier(
        source, issuer="dvc-haiphong-auth", audience="dvc-haiphong"
    )
    return token(["admin"])


def parts(client: Any) -> tuple[Any, Any]:
    """(the replica's Catalog, its database)."""
    app = client.app
    return app.state.catalog, app.state.runtime.db


async def snapshot_at(db: Any, revision: int, key: str | None = None) -> dict[str, Any]:
    key = key or f"index-{views.CODE_VERSION}"

    async def stored() -> dict[str, Any] | None:
        head = await db.catalog_snapshots.find_one({"_id": key})
        return head if head and head["revision"] >= revision else None

    return await eventually(stored, timeout=30, interval=0.1)


async def answers(client: Any) -> list[Any]:
    """What a citizen sees: searches, facets, a detail."""
    out = [(await client.get(f"{C}/procedures", params={"q": q})).json() for q in QUERIES]
    out.append((await client.get(f"{C}/procedures", params={"size": 100})).json())
    out.append((await client.get(f"{C}/fields")).json())
    out.append((await client.get(f"{C}/implementing-agencies")).json())
    out.append((await client.get(f"{C}/procedures/1.004194")).json())
    return out


async def seeded(make_catalog: Any, **overrides: Any) -> Any:
    """A first replica whose seed is written and whose snapshot is stored."""
    first = await make_catalog(**overrides)
    c, db = parts(first)
    assert c.started["source"] == "seed"
    await seed_written(db)
    await snapshot_at(db, views.SEED_REVISION)
    return first


async def test_a_fresh_replica_starts_from_the_snapshot(make_catalog):
    first = await seeded(make_catalog)
    db_name = first.app.state.runtime.settings.mongo_db
    second = await make_catalog(mongo_db=db_name)
    assert parts(second)[0].started["source"] == "snapshot"
    assert await answers(second) == await answers(first)
    assert (await second.get(f"{C}/procedures", params={"q": "tam tru"})).json()["items"][0][
        "code"
    ] == "1.004194"


async def test_a_stale_snapshot_is_brought_up_to_date(make_catalog):
    # The first replica's watch sleeps, so nothing stores a newer snapshot behind the test's back.
    first = await seeded(make_catalog, index_watch_seconds=3600)
    _, db = parts(first)
    # A change whose replica died before it stored a snapshot: the database is a revision ahead.
    await db.procedures.update_one(
        {"_id": "1.002755"}, {"$set": {"name": "Gia hạn tạm trú cho người nước ngoài", "version": 2}}
    )
    await db.catalog_meta.update_one({"_id": "revision"}, {"$inc": {"value": 1}})
    second = await make_catalog(mongo_db=first.app.state.runtime.settings.mongo_db)
    c, _ = parts(second)
    assert c.started["source"] == "database+snapshot" and c.revision == views.SEED_REVISION + 1
    detail = (await second.get(f"{C}/procedures/1.002755")).json()
    assert detail["name"] == "Gia hạn tạm trú cho người nước ngoài" and detail["version"] == 2
    found = (await second.get(f"{C}/procedures", params={"q": "nguoi nuoc ngoai"})).json()["items"]
    assert found[0]["code"] == "1.002755"
    # ...and it stores the snapshot of the new revision for the next one.
    await snapshot_at(db, views.SEED_REVISION + 1)
    third = await make_catalog(mongo_db=first.app.state.runtime.settings.mongo_db)
    assert parts(third)[0].started["source"] == "snapshot"
    assert await answers(third) == await answers(second)


async def test_a_snapshot_of_other_code_is_ignored(make_catalog, monkeypatch):
    first = await seeded(make_catalog)
    _, db = parts(first)
    monkeypatch.setattr(views, "CODE_VERSION", "other-code")  # the next replica runs other code
    second = await make_catalog(mongo_db=first.app.state.runtime.settings.mongo_db)
    assert parts(second)[0].started["source"] == "database"
    assert await answers(second) == await answers(first)
    # It stores its own beside the first's: a rollout of mixed versions does not take turns.
    await snapshot_at(db, views.SEED_REVISION, key="index-other-code")
    assert await db.catalog_snapshots.find_one({"_id": parts(first)[0].snapshots.key})


async def test_a_snapshot_of_another_format_is_rebuilt(make_catalog):
    first = await seeded(make_catalog)
    c, db = parts(first)
    head = await snapshot_at(db, views.SEED_REVISION)
    # The same key, bytes of a later layout (another format byte after the magic).
    blob = (await c.snapshots.read()).blob
    other = blob[: len(views.MAGIC) - 1] + bytes([views.SNAPSHOT_FORMAT + 1]) + blob[len(views.MAGIC) :]
    assert await c.snapshots.write(views.SEED_REVISION, head["seed"], other, replacing=head["token"])
    bad = (await db.catalog_snapshots.find_one({"_id": c.snapshots.key}))["token"]
    second = await make_catalog(mongo_db=first.app.state.runtime.settings.mongo_db)
    assert parts(second)[0].started["source"] == "database"
    assert await answers(second) == await answers(first)
    await rewritten(c.snapshots, than=bad)


async def rewritten(snapshots: Snapshots, than: str) -> None:
    """The snapshot was stored again (another token) and reads whole."""

    async def whole() -> bool:
        try:
            stored = await snapshots.read()
        except Exception:
            return False
        return bool(stored and stored.token != than and views.decode(stored.blob))

    await eventually(whole, timeout=30, interval=0.1)


async def test_a_corrupt_snapshot_is_rebuilt(make_catalog):
    first = await seeded(make_catalog)
    c, db = parts(first)
    head = await snapshot_at(db, views.SEED_REVISION)
    await db.catalog_snapshots.update_one(
        {"kind": "chunk", "token": head["token"], "n": 0}, {"$set": {"data": b"not a snapshot"}}
    )
    second = await make_catalog(mongo_db=first.app.state.runtime.settings.mongo_db)
    assert parts(second)[0].started["source"] == "database"
    assert await answers(second) == await answers(first)
    await rewritten(c.snapshots, than=head["token"])
    # Chunks of the damaged one are gone.
    assert await db.catalog_snapshots.count_documents({"token": head["token"]}) == 0
    third = await make_catalog(mongo_db=first.app.state.runtime.settings.mongo_db)
    assert parts(third)[0].started["source"] == "snapshot"


async def test_details_are_served_from_memory_until_the_revision_moves(catalog, make_catalog):
    admin = admin_of(catalog)
    _, db = parts(catalog)
    await seed_written(db)
    first = (await catalog.get(f"{C}/procedures/1.004194")).json()
    assert first["version"] == 1 and first["name"] == "Đăng ký tạm trú"
    # Written behind the service's back without moving the revision: not read, memory answers.
    await db.procedures.update_one(
        {"_id": "1.004194"}, {"$set": {"name": "Đăng ký tạm trú (đã sửa)", "version": 2}}
    )
    await asyncio.sleep(0.5)  # a few turns of the watch (every 0.2 s here)
    assert (await catalog.get(f"{C}/procedures/1.004194")).json()["name"] == "Đăng ký tạm trú"
    await db.catalog_meta.update_one({"_id": "revision"}, {"$inc": {"value": 1}})

    async def renamed() -> bool:
        r = await catalog.get(f"{C}/procedures/1.004194")
        return r.json()["name"] == "Đăng ký tạm trú (đã sửa)" and r.headers["etag"] == '"1.004194-v2"'

    await eventually(renamed, timeout=10)

    # An administrator's change: this replica answers with it at once, another after its next look.
    other = await make_catalog(mongo_db=catalog.app.state.runtime.settings.mongo_db)
    r = await catalog.put(
        f"{C}/procedures/1.001193/online-level",
        json={"online_level": "full"},
        headers={**admin, "If-Match": '"1.001193-v1"'},
    )
    assert r.status_code == 200, r.text
    detail = await catalog.get(f"{C}/procedures/1.001193")
    assert detail.json()["online_level"] == "full" and detail.headers["etag"] == '"1.001193-v2"'

    async def seen_by_other() -> bool:
        return (await other.get(f"{C}/procedures/1.001193")).json()["online_level"] == "full"

    await eventually(seen_by_other, timeout=10)
    # The version it replaced is read from the database, the current one from memory.
    old = await other.get(f"{C}/procedures/1.001193/versions/1")
    assert old.json()["online_level"] == "partial" and old.json()["version"] == 1
    assert (await other.get(f"{C}/procedures/1.001193/versions/2")).json()["online_level"] == "full"
    assert (await other.get(f"{C}/procedures/1.001193/versions/3")).status_code == 404


async def test_ready_before_the_seed_is_written_and_changes_wait_for_it(make_catalog, monkeypatch):
    gate = asyncio.Event()
    insert = Procedures.insert_batch

    async def held(self: Procedures, procedures: list[Any]) -> int:
        await gate.wait()
        return await insert(self, procedures)

    monkeypatch.setattr(Procedures, "insert_batch", held)
    monkeypatch.setattr(catalog_mod, "SEED_WRITE_WAIT_S", 0.5)
    client = await make_catalog()
    admin = admin_of(client)
    c, db = parts(client)
    assert c.started["source"] == "seed"
    assert await db.procedures.count_documents({}) == 0
    # Reads are right already: the catalogue is exactly the seed.
    assert (await client.get(f"{C}/procedures", params={"q": "tam tru"})).json()["items"][0][
        "code"
    ] == "1.004194"
    assert (await client.get(f"{C}/procedures/1.001612")).json()["version"] == 1
    # A change cannot be taken yet: it would be lost, or move the revision past the seed's.
    busy = await client.post(f"{C}/procedures/1.010028/withdraw", headers=admin)
    assert busy.status_code == 503 and busy.json()["code"] == "catalogue-loading"
    assert busy.headers["retry-after"]
    # A replica started meanwhile serves the same seed (the loader's snapshot) without loading it.
    await snapshot_at(db, views.SEED_REVISION)
    second = await make_catalog(mongo_db=client.app.state.runtime.settings.mongo_db)
    assert parts(second)[0].started["source"] == "snapshot"
    assert await answers(second) == await answers(client)
    gate.set()
    marker = await seed_written(db)
    assert marker["count"] == len(SEED) and await db.procedures.count_documents({}) == len(SEED)
    assert await db.catalog_meta.find_one({"_id": "revision"}) == {"_id": "revision", "value": 1}
    ok = await client.post(f"{C}/procedures/1.010028/withdraw", headers=admin)
    assert ok.status_code == 200, ok.text

    async def withdrawn_everywhere() -> bool:
        found = (await second.get(f"{C}/procedures", params={"q": "xoa dang ky tam tru"})).json()
        return "1.010028" not in [i["code"] for i in found["items"]]

    await eventually(withdrawn_everywhere, timeout=10)


async def test_a_stalled_seed_load_is_taken_over(make_catalog, infra, tmp_path, monkeypatch):
    """Another replica claimed the seed and died: a replica started meanwhile serves the same seed
    (from its own file once it has waited a little) and writes it when the loader shows no progress."""
    from catalog.config import Settings
    from dvckit.mongo import connect

    monkeypatch.setattr(catalog_mod, "SEED_OWN_AFTER_S", 0.3)
    settings = infra.settings(Settings)
    mongo = connect(settings.mongo_url, appname="test")
    db = mongo[settings.mongo_db]
    try:
        seed = views.seed_id(tmp_path / "seed.jsonl.gz")  # the file make_catalog's replicas load
        await db.catalog_meta.insert_one(
            {"_id": "seed", "state": "loading", "owner": "dead/0", "seed": seed, "at": datetime.now(UTC)}
        )
        first = {"_id": SEED[0]["code"], **SEED[0], "version": 1, "status": "published"}
        await db.procedures.insert_one(first)
        client = await make_catalog(mongo_db=settings.mongo_db)
        c, _ = parts(client)
        assert c.started["source"] == "seed"
        assert (await client.get(f"{C}/procedures/1.001612")).status_code == 200
        # Still the other replica's load: this one writes nothing while that one may be at work.
        await asyncio.sleep(0.5)
        assert await db.procedures.count_documents({}) == 1
        stalled = datetime.now(UTC) - timedelta(seconds=catalog_mod.SEED_STALL_S + 1)
        await db.catalog_meta.update_one({"_id": "seed"}, {"$set": {"at": stalled}})
        marker = await seed_written(db)
        assert marker["owner"] == c._owner and await db.procedures.count_documents({}) == len(SEED)
        assert c.revision == views.SEED_REVISION
    finally:
        await mongo.close()


async def test_a_snapshot_is_replaced_only_by_a_newer_one(catalog):
    _, db = parts(catalog)
    shots = Snapshots(db, "index-test")
    assert await shots.read() is None
    big = bytes(range(256)) * 40_000  # 10 MB: three chunks
    assert await shots.write(2, "s", big)
    first = await shots.read()
    assert first is not None and (first.revision, first.seed, first.blob) == (2, "s", big)
    assert not await shots.write(2, "s", b"same revision")
    assert not await shots.write(1, "s", b"older")
    assert (await shots.read()).blob == big
    assert await shots.write(3, "s", b"newer")
    assert (await shots.read()).blob == b"newer"
    # The chunks of the replaced one, and of the refused ones, are gone.
    assert await db.catalog_snapshots.count_documents({"snap": "index-test", "kind": "chunk"}) == 1
    # Another seed's replaces it whatever the revision (a first load taken over by other code).
    assert await shots.write(1, "t", b"other seed")
    assert (await shots.read()).seed == "t"
