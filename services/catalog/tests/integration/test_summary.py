"""``GET /procedures/summary``: every published procedure with the values ``procedure.published.v1``
carries (what reporting counts the catalogue with), cacheable by the catalogue's revision."""

from __future__ import annotations

from devstack.testing import eventually

from .conftest import SEED, seed_written
from .test_catalog import admin  # noqa: F401  (the fixture)

C = "/api/v1/catalog"


async def test_summary_has_every_published_procedure_as_the_events_carry_it(catalog, admin):  # noqa: F811
    await seed_written(catalog.app.state.runtime.db)
    r = await catalog.get(f"{C}/procedures/summary")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["revision"] == 1  # the seed's
    assert sorted(i["code"] for i in body["items"]) == sorted(p["code"] for p in SEED)
    for item in body["items"]:
        detail = (await catalog.get(f"{C}/procedures/{item['code']}")).json()  # the event's record
        assert item == {
            "code": detail["code"],
            "version": detail["version"],
            "status": "published",
            "field": detail["field"],
            "detailed": detail["detailed"],
            "online_level": detail["online_level"],
            "routing": {k: detail["routing"][k] for k in ("level", "receivers", "commune_body")},
        }
    licence = next(i for i in body["items"] if i["code"] == "3.000348")
    assert licence["online_level"] == "none" and licence["routing"]["level"] in ("city", "central")

    # Cacheable: the same revision answers 304.
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"]
    again = await catalog.get(f"{C}/procedures/summary", headers={"If-None-Match": etag})
    assert again.status_code == 304

    # An administrator's change moves the revision: the withdrawn procedure is gone, the changed one new.
    w = await catalog.post(f"{C}/procedures/1.010028/withdraw", headers=admin)
    assert w.status_code == 200, w.text
    o = await catalog.put(
        f"{C}/procedures/3.000348/online-level", json={"online_level": "full"}, headers=admin
    )
    assert o.status_code == 200, o.text

    async def moved() -> dict | None:
        r = await catalog.get(f"{C}/procedures/summary", headers={"If-None-Match": etag})
        if r.status_code != 200:
            return None
        b = r.json()
        return b if "1.010028" not in [i["code"] for i in b["items"]] and b["revision"] >= 3 else None

    after = await eventually(moved, timeout=20, interval=0.1)
    licence = next(i for i in after["items"] if i["code"] == "3.000348")
    assert (licence["version"], licence["online_level"]) == (2, "full")
    assert len(after["items"]) == len(SEED) - 1


async def test_summary_needs_no_login(catalog):
    r = await catalog.get(f"{C}/procedures/summary")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert r.headers.get("vary") is None  # the same in every language
