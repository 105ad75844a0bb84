"""The search vocabulary through the API: seeded from data/vocabulary.json, read by everyone, administered
(versioned, audited, published) and applied to the next search, against real MongoDB and RabbitMQ."""

from __future__ import annotations

from .test_catalog import C, admin, token  # noqa: F401  (admin: a fixture)

NEW = {
    "kind": "everyday",
    "terms": ["giấy thử nghiệm xyzzy"],
    "means": ["đăng ký tạm trú"],
    "weight": 0.9,
    "note": "test entry",
}


async def test_the_vocabulary_is_seeded_and_read_by_everyone(catalog):
    page = (await catalog.get(f"{C}/vocabulary")).json()
    assert len(page["entries"]) >= 400 and page["revision"] >= 1
    kinds = {e["kind"] for e in page["entries"]}
    assert kinds == {"everyday", "abbreviation", "borrowed", "situation", "english"}
    assert all(e["note"] for e in page["entries"])
    english = (await catalog.get(f"{C}/vocabulary", params={"kind": "english", "q": "passport"})).json()
    assert [e["means"] for e in english["entries"]] == [["hộ chiếu"]]
    one = await catalog.get(f"{C}/vocabulary/eve-so-hong")
    assert one.status_code == 200 and one.headers["etag"] == '"eve-so-hong-v1"'
    assert (await catalog.get(f"{C}/vocabulary/no-such-entry")).status_code == 404


async def test_search_understands_everyday_english_and_suggests(catalog):
    got = (await catalog.get(f"{C}/procedures", params={"q": "bằng lái bị mất"})).json()
    assert got["matched"] == "all" and got["items"][0]["code"] == "3.000348"
    en = (await catalog.get(f"{C}/procedures", params={"q": "driving licence reissue"})).json()
    assert en["items"][0]["code"] == "3.000348"
    assert en["items"][0]["name"] == "Cấp lại giấy phép lái xe" and en["items"][0]["name_en"]
    shop = (await catalog.get(f"{C}/procedures", params={"q": "mở cửa hàng tạp hóa"})).json()
    assert shop["items"][0]["code"] == "1.001612"
    none = (await catalog.get(f"{C}/procedures", params={"q": "qqqzzx"})).json()
    assert none["total"] == 0 and none["matched"] == "none" and none["items"] == []
    assert none["suggestions"]["procedures"][0]["code"] == "1.004194"  # the most popular
    typo = (await catalog.get(f"{C}/procedures", params={"q": "tammm truuu"})).json()
    assert typo["total"] == 0 and typo["suggestions"]["queries"] == ["tam tru"]


async def test_an_administrator_adds_changes_and_deletes_an_entry(catalog, admin):  # noqa: F811
    rt = catalog.app.state.runtime
    before = (await catalog.get(f"{C}/procedures", params={"q": "giấy thử nghiệm xyzzy"})).json()
    assert before["matched"] != "all"
    made = await catalog.put(f"{C}/vocabulary/eve-test-xyzzy", json=NEW, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1 and made.headers["etag"] == '"eve-test-xyzzy-v1"'
    after = (await catalog.get(f"{C}/procedures", params={"q": "giấy thử nghiệm xyzzy"})).json()
    assert after["matched"] == "all" and "tạm trú" in after["items"][0]["name"].lower()
    changed = await catalog.put(
        f"{C}/vocabulary/eve-test-xyzzy",
        json={**NEW, "weight": 0.5},
        headers={**admin, "If-Match": '"eve-test-xyzzy-v1"'},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = await catalog.put(
        f"{C}/vocabulary/eve-test-xyzzy", json=NEW, headers={**admin, "If-Match": '"eve-test-xyzzy-v1"'}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    bad = await catalog.put(f"{C}/vocabulary/eve-test-bad", json={**NEW, "terms": []}, headers=admin)
    assert bad.status_code == 422
    gone = await catalog.delete(
        f"{C}/vocabulary/eve-test-xyzzy", headers={**admin, "If-Match": '"eve-test-xyzzy-v2"'}
    )
    assert gone.status_code == 200
    assert (await catalog.get(f"{C}/vocabulary/eve-test-xyzzy")).status_code == 404
    assert (await catalog.delete(f"{C}/vocabulary/eve-test-xyzzy", headers=admin)).status_code == 404
    # audited: the replaced versions with who replaced them; published: one event a change
    old = await rt.db.vocabulary_versions.find_one({"_id": "eve-test-xyzzy@1"})
    assert old["replaced_by"] == "u-admin" and old["weight"] == 0.9 and not old["deleted"]
    assert (await rt.db.vocabulary_versions.find_one({"_id": "eve-test-xyzzy@2"}))["deleted"]
    events = [
        d["envelope"]["data"] async for d in rt.db.outbox.find({"routing_key": "vocabulary.changed.v1"})
    ]
    assert [(e["id"], e["change"]) for e in events] == [
        ("eve-test-xyzzy", "created"),
        ("eve-test-xyzzy", "updated"),
        ("eve-test-xyzzy", "deleted"),
    ]


async def test_only_an_administrator_changes_it(catalog):
    assert (await catalog.put(f"{C}/vocabulary/eve-test-anon", json=NEW)).status_code == 401
    assert (await catalog.delete(f"{C}/vocabulary/eve-so-hong")).status_code == 401
