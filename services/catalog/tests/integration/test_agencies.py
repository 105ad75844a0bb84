"""The agency directory through the API: seeded from the data file and the package, read, administered
(validated, versioned, audited, published), against real MongoDB and RabbitMQ."""

from __future__ import annotations

from .test_catalog import C, admin, token  # noqa: F401  (admin: a fixture)

NEW = {
    "name": "Sở Thử nghiệm thành phố Hải Phòng",
    "kind": "department",
    "level": "city",
    "parent_code": "000.00.00.H26",
    "parent_name": "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG",
}


async def test_the_directory_lists_the_city_and_114_communes(catalog):
    everyone = (await catalog.get(f"{C}/agencies")).json()
    committees = [a for a in everyone if a["level"] == "commune" and a["kind"] == "people_committee"]
    assert len(committees) == 114 and len({a["ward_code"] for a in committees}) == 114
    assert len([a for a in everyone if a["level"] == "commune"]) == 3 * 114
    by_code = {a["code"]: a for a in everyone}
    assert by_code["000.00.13.H26"]["name"] == "Sở Tư pháp thành phố Hải Phòng"
    assert by_code["000.00.13.H26"]["parent_code"] == "000.00.00.H26"
    point = (await catalog.get(f"{C}/agencies", params={"q": "phuc vu hanh chinh cong bach long vi"})).json()
    assert [a["kind"] for a in point] == ["service_center"]
    assert point[0]["parent_name"] == "ỦY BAN NHÂN DÂN ĐẶC KHU BẠCH LONG VĨ"
    assert by_code[point[0]["parent_code"]]["kind"] == "people_committee"
    police = (await catalog.get(f"{C}/agencies", params={"kind": "police", "level": "commune"})).json()
    assert len(police) == 114 and police[0]["parent_name"] == "CÔNG AN THÀNH PHỐ HẢI PHÒNG"
    ward = point[0]["ward_code"]
    assert len((await catalog.get(f"{C}/agencies", params={"ward": ward})).json()) == 3
    one = await catalog.get(f"{C}/agencies/000.00.19.H26")
    assert one.json()["name"] == "Công an thành phố Hải Phòng" and one.headers["etag"] == '"000.00.19.H26-v1"'
    assert (await catalog.get(f"{C}/agencies/000.00.98.H26")).status_code == 404
    bad = await catalog.get(f"{C}/agencies/not-a-code")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


async def test_the_directory_and_the_search_are_walked_by_cursor(catalog):
    everyone = (await catalog.get(f"{C}/agencies", params={"level": "commune"})).json()
    seen, r = [], await catalog.get(f"{C}/agencies", params={"level": "commune", "limit": 100})
    while True:
        assert r.status_code == 200 and isinstance(r.json(), list)  # the directory keeps its shape
        seen += [a["code"] for a in r.json()]
        if "link" not in r.headers:
            break
        link = r.headers["link"]
        assert link.endswith('>; rel="next"') and "level=commune" in link
        r = await catalog.get(link[1 : link.index(">")])
    assert seen == [a["code"] for a in everyone] and len(seen) == 3 * 114
    # The catalogue search, ranked in memory: an offset cursor, every procedure of a field once.
    q = {"q": "dang ky", "limit": 2}
    first = (await catalog.get(f"{C}/procedures", params=q)).json()
    codes, body = [], first
    while True:
        codes += [i["code"] for i in body["items"]]
        if body["next_cursor"] is None:
            break
        body = (await catalog.get(f"{C}/procedures", params={**q, "cursor": body["next_cursor"]})).json()
    assert len(codes) == first["total"] == len(set(codes)) > 2
    bad = await catalog.get(f"{C}/procedures", params={"q": "khac", "cursor": first["next_cursor"]})
    assert bad.status_code == 400 and bad.json()["code"] == "bad-cursor"


async def test_procedures_carry_their_routing(catalog):
    detail = (await catalog.get(f"{C}/procedures/1.004194")).json()
    assert detail["routing"]["level"] == "commune" and detail["routing"]["commune_body"] == "police"
    assert detail["routing"]["fileable_here"] is True and detail["fileable"] is True


async def test_an_administrator_creates_changes_and_deactivates(catalog, admin):  # noqa: F811
    rt = catalog.app.state.runtime
    made = await catalog.put(f"{C}/agencies/000.00.90.H26", json=NEW, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["version"] == 1 and made.headers["etag"] == '"000.00.90.H26-v1"'
    changed = await catalog.put(
        f"{C}/agencies/000.00.90.H26",
        json={**NEW, "short_name": "Sở Thử nghiệm"},
        headers={**admin, "If-Match": '"000.00.90.H26-v1"'},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = await catalog.put(
        f"{C}/agencies/000.00.90.H26", json=NEW, headers={**admin, "If-Match": '"000.00.90.H26-v1"'}
    )
    assert stale.status_code == 412 and stale.json()["current_version"] == 2
    # a child, then the parent cannot go while the child is active
    child = {**NEW, "name": "Phòng Thử nghiệm", "kind": "other", "parent_code": "000.00.90.H26"}
    assert (await catalog.put(f"{C}/agencies/000.01.90.H26", json=child, headers=admin)).status_code == 201
    assert (await catalog.delete(f"{C}/agencies/000.00.90.H26", headers=admin)).status_code == 409
    gone = await catalog.delete(f"{C}/agencies/000.01.90.H26", headers=admin)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert "000.01.90.H26" not in [a["code"] for a in (await catalog.get(f"{C}/agencies")).json()]
    # audited: the replaced versions, with who replaced them; published: one event a change
    old = await rt.db.agency_versions.find_one({"_id": "000.00.90.H26@1"})
    assert old["replaced_by"] == "u-admin" and old["name"] == NEW["name"]
    events = [d["envelope"]["data"] async for d in rt.db.outbox.find({"routing_key": "agency.changed.v1"})]
    assert [(e["code"], e["change"]) for e in events] == [
        ("000.00.90.H26", "created"),
        ("000.00.90.H26", "updated"),
        ("000.01.90.H26", "created"),
        ("000.01.90.H26", "deactivated"),
    ]


async def test_bad_changes_are_refused_and_change_nothing(catalog, admin):  # noqa: F811
    cases = [
        ("000.00.91.H26", {**NEW, "parent_code": "000.00.97.H26"}, 422),  # no such parent
        ("000.00.91.H26", {**NEW, "parent_code": "000.00.91.H26"}, 422),  # its own parent
        ("000.00.91.H26", {**NEW, "level": "district"}, 422),  # no district level any more
        ("000.00.91.H26", {**NEW, "level": "commune"}, 422),  # a commune body without its unit
        ("000.00.91.H26", {**NEW, "code": "000.00.92.H26"}, 422),
        ("000.00.91.H26", {**NEW, "$where": "1"}, 422),
        ("000.0.91.H26", NEW, 422),  # not a Decision 20/2020 code
    ]
    for code, body, status in cases:
        r = await catalog.put(f"{C}/agencies/{code}", json=body, headers=admin)
        assert r.status_code == status, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await catalog.get(f"{C}/agencies/000.00.91.H26")).status_code == 404
    # a cycle: the city's committee under one of its departments
    city = (await catalog.get(f"{C}/agencies/000.00.00.H26")).json()
    fields = {k: city[k] for k in ("name", "kind", "level", "parent_name")}
    r = await catalog.put(
        f"{C}/agencies/000.00.00.H26", json={**fields, "parent_code": "000.00.13.H26"}, headers=admin
    )
    assert r.status_code == 422 and (await catalog.get(f"{C}/agencies/000.00.00.H26")).json()["version"] == 1
    # the routing rules send dossiers there
    assert (await catalog.delete(f"{C}/agencies/000.00.13.H26", headers=admin)).status_code == 409


async def test_administration_of_agencies_needs_an_administrator(catalog, admin):  # noqa: F811
    for headers in ({}, token(["citizen"]), token(["officer"])):
        r = await catalog.put(f"{C}/agencies/000.00.93.H26", json=NEW, headers=headers)
        assert r.status_code in (401, 403)
        r = await catalog.delete(f"{C}/agencies/000.00.14.H26", headers=headers)
        assert r.status_code in (401, 403)
