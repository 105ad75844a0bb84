"""Seed loading, search, detail, facets, caching and administration, against real MongoDB and RabbitMQ."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from catalog.api.routes import ProcedureIn
from catalog.service import catalog as catalog_service
from devstack.testing import eventually
from dvckit.auth import TokenVerifier

from .conftest import seed_written

C = "/api/v1/catalog"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(roles: list[str]) -> dict[str, str]:
    now = int(time.time())
    t = jwt.encode(
        {
            "iss": "dvc-haiphong-auth",
            "aud": "dvc-haiphong",
            "sub": "u-" + roles[0],
            "iat": now,
            "exp": now + 300,
            "jti": uuid.uuid4().hex,
            "roles": roles,
        },
        KEY,
        "RS256",
        headers={"kid": "test"},
    )
    return {"Authorization": f"Bearer {t}"}


@pytest.fixture
def admin(catalog):
    """The catalog trusts a test signing key (the auth service's own keys are tested in tests/contract)."""
    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "test", "use": "sig"}

    async def source():
        return {"keys": [jwk]}

    catalog.app.state.runtime.tokens = TokenVerifier(
        source, issuer="dvc-haiphong-auth", audience="dvc-haiphong"
    )
    return token(["admin"])


async def test_seed_is_loaded_once_and_searchable(catalog, make_catalog):
    db = catalog.app.state.runtime.db
    await seed_written(db)
    assert await db.procedures.count_documents({}) == 7
    # A second replica on the same database does not load it again.
    second = await make_catalog(mongo_db=catalog.app.state.runtime.settings.mongo_db)
    assert await db.procedures.count_documents({}) == 7
    r = await second.get(f"{C}/procedures", params={"q": "tam tru"})
    assert r.json()["items"][0]["code"] == "1.004194"


async def test_a_seed_load_this_replica_began_is_resumed_at_once(infra, tmp_path):
    """A start-up step run again after a database timeout finds its own "loading" marker: it goes on
    at once (another replica's marker is waited for, up to two minutes)."""
    from datetime import UTC, datetime

    from catalog.config import Settings
    from catalog.main import create_app
    from devstack.testing import running

    from .conftest import SEED, write_seed

    settings = infra.settings(Settings, seed_path=write_seed(tmp_path / "seed.jsonl.gz", SEED))
    app = create_app(settings)
    mine = {"_id": "seed", "state": "loading", "owner": app.state.catalog._owner, "at": datetime.now(UTC)}
    await app.state.runtime.db.catalog_meta.insert_one(mine)
    async with asyncio.timeout(60):
        async with running(app) as client:
            r = await client.get(f"{C}/procedures", params={"q": "tam tru"})
            seed = await seed_written(app.state.runtime.db)
    assert r.json()["items"][0]["code"] == "1.004194"
    assert seed["state"] == "done" and seed["count"] == len(SEED)


async def test_search_without_diacritics_in_any_order_with_a_typo(catalog):
    for q in ("dang ky tam tru", "Đăng ký tạm trú", "tam tru dang ky", "dang ky tam trus", "đăng kí tạm trú"):
        r = await catalog.get(f"{C}/procedures", params={"q": q})
        assert r.status_code == 200
        assert r.json()["items"][0]["code"] == "1.004194", q
    body = (await catalog.get(f"{C}/procedures", params={"q": "dang ky tam tru"})).json()
    first = body["items"][0]
    assert first["highlight"]["name"] == "<mark>Đăng ký tạm trú</mark>"
    assert first["fee_summary"] == "7.000 đ – 10.000 đ"
    assert first["processing_time"] == "3 Ngày làm việc" and first["working_days"] == 3
    assert first["fileable"] is True and first["online_level"] == "full"


async def test_filters_paging_and_popularity_order(catalog):
    r = (await catalog.get(f"{C}/procedures", params={"size": 3})).json()
    assert r["total"] == 7 and [i["code"] for i in r["items"]] == ["1.004194", "1.004222", "1.001612"]
    r2 = (await catalog.get(f"{C}/procedures", params={"size": 3, "page": 3})).json()
    assert [i["code"] for i in r2["items"]] == ["1.001193"]
    assert (await catalog.get(f"{C}/procedures", params={"level": "city"})).json()["total"] == 1
    assert (await catalog.get(f"{C}/procedures", params={"online": "true"})).json()["total"] == 6
    assert (await catalog.get(f"{C}/procedures", params={"field": "Hộ tịch", "q": "khai sinh"})).json()[
        "total"
    ] == 1
    assert (await catalog.get(f"{C}/procedures", params={"agency": "Sở Xây dựng"})).json()["items"][0][
        "code"
    ] == "3.000348"
    assert (await catalog.get(f"{C}/procedures", params={"q": "1.001612"})).json()["items"][0][
        "code"
    ] == "1.001612"


async def test_bad_queries_are_problems(catalog):
    for params in ({"size": 1000}, {"page": 0}, {"level": "district"}, {"online": "maybe"}, {"q": "x" * 300}):
        r = await catalog.get(f"{C}/procedures", params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await catalog.get(f"{C}/procedures/not-a-code")).status_code == 422
    assert (await catalog.get(f"{C}/procedures/9.999999")).json()["code"] == "procedure-not-found"


async def test_detail_has_everything_and_is_cacheable(catalog):
    r = await catalog.get(f"{C}/procedures/1.004194")
    assert r.status_code == 200
    p = r.json()
    assert p["components"][0]["id"] == "a1b2c3d4e5f6" and p["components"][0]["forms"] == ["CT01.docx"]
    assert p["components"][0]["file_types"] == ["pdf", "jpg", "png", "docx", "xlsx"]
    assert p["components"][0]["max_bytes"] == 10 * 1024 * 1024
    assert {f["amount"] for f in p["fees"]} == {7000, 10000}
    assert p["processing_time"]["value"] == 3 and p["version"] == 1
    assert r.headers["etag"] == '"1.004194-v1"' and "max-age" in r.headers["cache-control"]
    again = await catalog.get(f"{C}/procedures/1.004194", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    listing = await catalog.get(f"{C}/procedures", params={"q": "tam tru"})
    assert (
        await catalog.get(
            f"{C}/procedures", params={"q": "tam tru"}, headers={"If-None-Match": listing.headers["etag"]}
        )
    ).status_code == 304


async def test_facets_count_published_procedures(catalog):
    fields = (await catalog.get(f"{C}/fields")).json()
    assert fields[0] == {"name": "Đăng ký, quản lý cư trú", "count": 4}
    agencies = {a["name"]: a["count"] for a in (await catalog.get(f"{C}/implementing-agencies")).json()}
    assert agencies["Ủy ban nhân dân cấp xã"] == 2 and agencies["Sở Xây dựng"] == 1


async def test_administration_makes_versions_and_events(catalog, admin):
    rt = catalog.app.state.runtime
    r = await catalog.put(
        f"{C}/procedures/3.000348/online-level",
        json={"online_level": "partial"},
        headers={**admin, "If-Match": '"3.000348-v1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["fileable"] is True and r.headers["etag"] == '"3.000348-v2"'
    # The same If-Match again: someone else's change came first.
    stale = await catalog.put(
        f"{C}/procedures/3.000348/online-level",
        json={"online_level": "full"},
        headers={**admin, "If-Match": '"3.000348-v1"'},
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    # The old version is kept for dossiers filed under it.
    old = await catalog.get(f"{C}/procedures/3.000348/versions/1")
    assert old.json()["online_level"] == "none" and old.json()["version"] == 1

    w = await catalog.post(f"{C}/procedures/1.010028/withdraw", headers=admin)
    assert w.json()["status"] == "withdrawn" and w.json()["fileable"] is False
    events = {d["routing_key"]: d async for d in rt.db.outbox.find({})}
    assert events["procedure.withdrawn.v1"]["envelope"]["data"] == {
        "code": "1.010028",
        "version": 2,
        "name": "Xóa đăng ký tạm trú",
    }
    published = events["procedure.published.v1"]["envelope"]["data"]
    assert published["code"] == "3.000348" and published["procedure"]["online_level"] == "partial"
    # The index follows: a withdrawn procedure is no longer found.
    found = (await catalog.get(f"{C}/procedures", params={"q": "xoa dang ky tam tru"})).json()
    assert "1.010028" not in [i["code"] for i in found["items"]]


async def test_create_and_replace_a_procedure(catalog, admin):
    new = {
        "code": "2.999001",
        "name": "Cấp giấy phép tổ chức lễ hội truyền thống Hải Phòng",
        "field": "Văn hóa",
        "agencies": ["Sở Văn hóa, Thể thao và Du lịch"],
        "levels": ["city"],
        "online_level": "full",
    }
    r = await catalog.post(f"{C}/procedures", json=new, headers=admin)
    assert r.status_code == 201 and r.json()["version"] == 1
    assert (await catalog.post(f"{C}/procedures", json=new, headers=admin)).status_code == 409
    changed = {
        **new,
        "name": "Cấp phép tổ chức lễ hội truyền thống",
        "fees": [{"name": "Phí", "amount": 50000}],
    }
    r = await catalog.put(
        f"{C}/procedures/2.999001", json=changed, headers={**admin, "If-Match": '"2.999001-v1"'}
    )
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["fee_summary"] == "50.000 đ"
    await asyncio.sleep(0)
    hits = (await catalog.get(f"{C}/procedures", params={"q": "le hoi truyen thong"})).json()["items"]
    assert hits[0]["code"] == "2.999001"
    bad = await catalog.post(
        f"{C}/procedures", json={**new, "code": "2.999002", "online_level": "sometimes"}, headers=admin
    )
    assert bad.status_code == 422
    assert (
        await catalog.post(f"{C}/procedures", json={**new, "code": "2.999003", "$where": "1"}, headers=admin)
    ).status_code == 422
    # Numbers no database integer holds (found by the fuzzer: a 500) are invalid input, and nothing is kept.
    for huge in (
        {"fees": [{"name": "Phí", "amount": 13030258101457178853376}]},
        {"fees": [{"name": "Phí", "amount": 121645100408831999}]},
        {"processing_time": {"value": 1e300, "unit": "working_day", "text": "mãi mãi"}},
    ):
        r = await catalog.post(f"{C}/procedures", json={**new, "code": "2.999004", **huge}, headers=admin)
        assert r.status_code == 422, r.text
    assert (await catalog.get(f"{C}/procedures/2.999004")).status_code == 404
    # A blank name, field or agency (the fuzzer's, shown by the search filters as " (3)"), or no agency.
    for blank in ({"name": " "}, {"field": ""}, {"agencies": ["  "]}, {"agencies": []}):
        r = await catalog.post(f"{C}/procedures", json={**new, "code": "2.999005", **blank}, headers=admin)
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", r.text
    assert (await catalog.get(f"{C}/procedures/2.999005")).status_code == 404
    assert "" not in {a["name"] for a in (await catalog.get(f"{C}/implementing-agencies")).json()}


async def test_administration_needs_an_administrator(catalog, admin):
    for headers in ({}, token(["citizen"]), token(["officer"])):
        r = await catalog.post(f"{C}/procedures/1.004194/withdraw", headers=headers)
        assert r.status_code in (401, 403)
    assert (await catalog.get(f"{C}/procedures/1.004194")).json()["status"] == "published"


async def test_english_names_are_curated_while_the_name_translated_is_the_procedures(catalog, admin):
    found = (await catalog.get(f"{C}/procedures", params={"q": "tam tru"})).json()["items"]
    assert {i["code"]: i["name_en"] for i in found}["1.004194"] == "Temporary residence registration"
    # Renamed: the curated name no longer translates it; the glossary's gloss (or none) is given.
    body = (await catalog.get(f"{C}/procedures/1.004194")).json()
    changed = {k: v for k, v in body.items() if k in ProcedureIn.model_fields} | {
        "name": "Đăng ký tạm trú mới"
    }
    for k in ("version", "status", "updated_at"):
        changed.pop(k, None)
    r = await catalog.put(
        f"{C}/procedures/1.004194", json=changed, headers={**admin, "If-Match": '"1.004194-v1"'}
    )
    assert r.status_code == 200, r.text
    found = (await catalog.get(f"{C}/procedures", params={"q": "tam tru moi"})).json()["items"]
    assert found[0]["code"] == "1.004194" and found[0]["name_en"] != "Temporary residence registration"


async def test_another_replica_sees_changes(catalog, make_catalog, admin, monkeypatch):
    monkeypatch.setattr(catalog_service, "COMPACT_AFTER_S", 1.5)  # quiet time before a fresh build
    other = await make_catalog(mongo_db=catalog.app.state.runtime.settings.mongo_db)
    await catalog.post(f"{C}/procedures/1.002755/withdraw", headers=admin)
    for _ in range(50):
        found = (await other.get(f"{C}/procedures", params={"q": "gia han tam tru"})).json()["items"]
        if "1.002755" not in [i["code"] for i in found]:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the other replica did not rebuild its index")
    # It read only what changed (the revision document names it) and put it into its index in place.
    mine = other.app.state.catalog
    assert mine.view.index.retired == 1 and "1.002755" not in mine.view.entries
    revision, codes = await mine.procedures.changes_since(mine.view.revision - 1)
    assert revision == mine.view.revision and codes == ["1.002755"]
    assert (await mine.procedures.changes_since(0))[1] is None  # further back than the changes kept
    # Once the catalogue is quiet, the index is built afresh in the background: as a fresh replica's.
    await catalog.put(f"{C}/procedures/1.004222/online-level", json={"online_level": "full"}, headers=admin)
    await eventually(lambda: mine.view.index.retired == 0 and mine.view.items["1.004222"].version == 2)
    found = (await other.get(f"{C}/procedures", params={"q": "dang ky thuong tru"})).json()["items"]
    assert found[0]["code"] == "1.004222" and found[0]["version"] == 2
