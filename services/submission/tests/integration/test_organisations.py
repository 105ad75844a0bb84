"""Dossiers filed for an organisation: its staff and representatives file and change them, its viewers
see them, nobody else learns they exist; against the real auth service (memberships from its tokens)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

S = "/api/v1/submissions"
A = "/api/v1/auth"
_codes = itertools.count(1)


async def relogin(world, p: dict[str, Any]) -> dict[str, Any]:
    """A fresh token (memberships travel in it: a change shows at the next token)."""
    r = await world.auth.post(f"{A}/login", json={"username": p["phone"], "password": p["password"]})
    return {**p, "h": {"Authorization": f"Bearer {r.json()['access_token']}"}}


async def organisation(world) -> tuple[dict[str, Any], dict[str, Any]]:
    """A representative verified through VNeID (what a VNeID sign-in leaves on the account; the flow is
    tested in services/auth) and the organisation they registered."""
    rep = await world.citizen()
    identity = {
        "source": "vneid",
        "level": 2,
        "citizen_id": rep["citizen_id"],
        "full_name": rep["full_name"],
        "verified_at": datetime.now(UTC),
    }
    await world.auth.app.state.runtime.db.users.update_one(
        {"_id": rep["id"]}, {"$set": {"identity_level": 2, "identity": identity}}
    )
    rep = await relogin(world, rep)
    body = {
        "tax_code": f"03{next(_codes):04d}{id(object()) % 10_000:04d}",
        "name": "Công ty Cổ phần Vận tải Đình Vũ",
        "address": "Số 8 đường Đình Vũ, phường Đông Hải, Hải Phòng",
        "legal_representative": {"full_name": rep["full_name"], "citizen_id": rep["citizen_id"]},
    }
    r = await world.auth.post(f"{A}/organisations", json=body, headers=rep["h"])
    assert r.status_code == 201, r.text
    return await relogin(world, rep), r.json()


async def member(world, rep, org, role: str) -> dict[str, Any]:
    p = await world.citizen()
    r = await world.auth.post(
        f"{A}/organisations/{org['id']}/members",
        json={"login": p["citizen_id"], "role": role},
        headers=rep["h"],
    )
    assert r.status_code == 201, r.text
    return await relogin(world, p)


async def org_draft(world, who, org, status: int = 201) -> Any:
    body = {"procedure_code": "1.004194", "agency_code": "000.01.G5.H26", "organisation_id": org["id"]}
    r = await world.sub.post(f"{S}/dossiers", json=body, headers=who["h"])
    assert r.status_code == status, r.text
    return r.json()


async def test_staff_file_for_the_organisation_and_members_see_it_by_role(world):
    rep, org = await organisation(world)
    staff = await member(world, rep, org, "staff")
    viewer = await member(world, rep, org, "viewer")
    outsider = await world.citizen()

    d = await org_draft(world, staff, org)
    assert d["organisation_id"] == org["id"]
    assert d["organisation"]["tax_code"] == org["tax_code"] and d["organisation"]["name"] == org["name"]

    # Step 1: the owner is the organisation as registered, whatever was typed.
    typed = world.applicant(staff) | {
        "owner": {
            "kind": "business",
            "name": "Công ty Ma",
            "tax_code": "0999999999",
            "representative": {"full_name": "Ai Đó", "position": "Giám đốc", "citizen_id": "031299999999"},
            "phone": "0912000111",
            "address": "Một nơi nào đó, Hải Phòng",
        }
    }
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=typed, headers=staff["h"])
    assert r.status_code == 200, r.text
    owner = r.json()["applicant"]["owner"]
    assert (owner["name"], owner["tax_code"]) == (org["name"], org["tax_code"])
    assert owner["representative"]["citizen_id"] == rep["citizen_id"] and owner["phone"] == "0912000111"
    # Staff are not the legal representative: filing for it needs the authorisation.
    ids = [c["id"] for c in r.json()["procedure"]["components"]]
    assert "authorization" in ids

    # Every member lists and reads it; the representative may change it too.
    for who in (rep, staff, viewer):
        listed = await world.sub.get(f"{S}/dossiers", params={"organisation": org["id"]}, headers=who["h"])
        assert listed.status_code == 200 and [x["id"] for x in listed.json()["items"]] == [d["id"]]
        assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=who["h"])).status_code == 200
    # Not in the maker's personal list: it is the organisation's.
    mine = await world.sub.get(f"{S}/dossiers", headers=staff["h"])
    assert d["id"] not in [x["id"] for x in mine.json()["items"]]
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=typed, headers=rep["h"])
    assert r.status_code == 200, r.text

    # A viewer sees but neither files nor changes (and nothing changes).
    before = await world.sub.app.state.runtime.db.dossiers.find_one({"_id": d["id"]})
    r = await world.sub.put(
        f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(viewer), headers=viewer["h"]
    )
    assert r.status_code == 403 and r.json()["code"] == "organisation-viewer"
    assert (await world.sub.delete(f"{S}/dossiers/{d['id']}", headers=viewer["h"])).status_code == 403
    up = await world.upload(viewer, d["id"], "aaaaaaaaaaaa", world.pdf())
    assert up.status_code == 403
    await org_draft(world, viewer, org, status=403)
    after = await world.sub.app.state.runtime.db.dossiers.find_one({"_id": d["id"]})
    assert after == before

    # Anyone else: 404 everywhere, as for a dossier or organisation that does not exist.
    r = await world.sub.get(f"{S}/dossiers", params={"organisation": org["id"]}, headers=outsider["h"])
    assert r.status_code == 404 and r.json()["code"] == "organisation-not-found"
    for r in (
        await world.sub.get(f"{S}/dossiers/{d['id']}", headers=outsider["h"]),
        await world.sub.put(
            f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(outsider), headers=outsider["h"]
        ),
        await world.sub.delete(f"{S}/dossiers/{d['id']}", headers=outsider["h"]),
    ):
        assert r.status_code == 404 and r.json()["code"] == "dossier-not-found"
    nothing = await org_draft(world, outsider, org, status=404)
    assert nothing["code"] == "organisation-not-found"
    assert await world.sub.app.state.runtime.db.dossiers.count_documents({"organisation_id": org["id"]}) == 1


async def test_staff_submit_and_a_removed_member_loses_it_at_the_next_token(world):
    rep, org = await organisation(world)
    staff = await member(world, rep, org, "staff")
    d = await org_draft(world, rep, org)
    # The representative files for their own organisation: no authorisation needed.
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(rep), headers=rep["h"])
    assert r.status_code == 200
    assert "authorization" not in [c["id"] for c in r.json()["procedure"]["components"]]
    assert (await world.upload(staff, d["id"], "aaaaaaaaaaaa", world.pdf())).status_code == 201
    png = await world.upload(staff, d["id"], "bbbbbbbbbbbb", world.png(), "ảnh.png", "image/png")
    assert png.status_code == 201
    r = await world.submit(staff, d["id"])
    assert r.status_code == 200 and r.json()["status"] == "submitted", r.text

    r = await world.auth.delete(f"{A}/organisations/{org['id']}/members/{staff['id']}", headers=rep["h"])
    assert r.status_code == 200
    # Until the token is refreshed it still names the organisation (docs/auth.md); then it does not.
    assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=staff["h"])).status_code == 200
    staff = await relogin(world, staff)
    assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=staff["h"])).status_code == 404
    r = await world.sub.get(f"{S}/dossiers", params={"organisation": org["id"]}, headers=staff["h"])
    assert r.status_code == 404


async def test_a_bad_organisation_id_is_a_422(world):
    p = await world.citizen()
    for bad in ("", "x" * 65, "../../users", "ORG!"):
        body = {"procedure_code": "1.004194", "agency_code": "000.01.G5.H26", "organisation_id": bad}
        assert (await world.sub.post(f"{S}/dossiers", json=body, headers=p["h"])).status_code == 422, bad
        r = await world.sub.get(f"{S}/dossiers", params={"organisation": bad or "?"}, headers=p["h"])
        assert r.status_code == 422, bad
