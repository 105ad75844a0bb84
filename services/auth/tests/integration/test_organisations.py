"""Organisations: registered by their legal representative verified through VNeID, one per tax code,
members managed by representatives, memberships in the access token; against real MongoDB."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import jwt

R = "/api/v1/auth"
_codes = itertools.count(1)


def tax_code() -> str:
    return f"02{next(_codes):04d}{id(object()) % 10_000:04d}"


async def verified(auth, person, h, **over) -> tuple[dict, str]:
    """A citizen account whose identity VNeID vouched for (what a VNeID sign-in or link leaves on the
    account: tests/integration/test_vneid.py drives that flow), and a token issued after it."""
    p = person(**over)
    user = await h.register(auth, p)
    identity = {
        "source": "vneid",
        "level": 2,
        "citizen_id": p["citizen_id"],
        "full_name": p["full_name"],
        "verified_at": datetime.now(UTC),
    }
    db = auth.app.state.runtime.db
    await db.users.update_one({"_id": user["id"]}, {"$set": {"identity_level": 2, "identity": identity}})
    token = (await h.login(auth, p["phone"], p["password"])).json()["access_token"]
    return {**user, **p}, token


def org_body(rep: dict, code: str | None = None) -> dict:
    return {
        "tax_code": code or tax_code(),
        "name": "Công ty TNHH Cảng Xanh Hải Phòng",
        "address": "Số 5 Lê Thánh Tông, phường Ngô Quyền, Hải Phòng",
        "legal_representative": {"full_name": rep["full_name"], "citizen_id": rep["citizen_id"]},
    }


async def test_a_verified_legal_representative_registers_an_organisation_once(auth, person, h):
    rep, token = await verified(auth, person, h)
    body = org_body(rep)
    r = await auth.post(f"{R}/organisations", json=body, headers=h.bearer(token))
    assert r.status_code == 201, r.text
    org = r.json()
    assert org["tax_code"] == body["tax_code"] and org["role"] == "representative"
    assert [m["user_id"] for m in org["members"]] == [rep["id"]]
    events = await h.outbox_events(auth.app, "organisation.member_changed.v1")
    assert any(e["data"]["organisation_id"] == org["id"] and e["data"]["change"] == "added" for e in events)
    created = await h.outbox_events(auth.app, "organisation.created.v1")
    assert [e["data"]["tax_code"] for e in created if e["data"]["organisation_id"] == org["id"]] == [
        body["tax_code"]
    ]

    # The tax code is unique: nobody registers the company again, not even the same person.
    other, other_token = await verified(auth, person, h)
    again = {**org_body(other), "tax_code": body["tax_code"]}
    r = await auth.post(f"{R}/organisations", json=again, headers=h.bearer(other_token))
    assert r.status_code == 409 and r.json()["code"] == "tax-code-registered"
    assert r.headers["content-type"].startswith("application/problem+json")
    db = auth.app.state.runtime.db
    assert await db.organisations.count_documents({"tax_code": body["tax_code"]}) == 1

    mine = (await auth.get(f"{R}/organisations", headers=h.bearer(token))).json()["items"]
    assert [(o["id"], o["role"]) for o in mine] == [(org["id"], "representative")]
    assert (await auth.get(f"{R}/organisations", headers=h.bearer(other_token))).json()["items"] == []


async def test_an_unverified_citizen_or_someone_elses_company_is_refused(auth, person, h):
    p = person()
    await h.register(auth, p)
    token = (await h.login(auth, p["phone"], p["password"])).json()["access_token"]
    db = auth.app.state.runtime.db
    before = await db.organisations.count_documents({})
    r = await auth.post(f"{R}/organisations", json=org_body(p), headers=h.bearer(token))
    assert r.status_code == 403 and r.json()["code"] == "identity-not-verified"
    assert r.json()["title"].startswith("Cần xác thực")

    # Verified, but naming someone else as the legal representative: claiming another's company.
    _, hostile = await verified(auth, person, h)
    victim = person()
    r = await auth.post(f"{R}/organisations", json=org_body(victim), headers=h.bearer(hostile))
    assert r.status_code == 403 and r.json()["code"] == "not-legal-representative"
    assert await db.organisations.count_documents({}) == before


async def test_bad_input_is_a_422_and_changes_nothing(auth, person, h):
    rep, token = await verified(auth, person, h)
    db = auth.app.state.runtime.db
    before = await db.organisations.count_documents({})
    for bad in ("12345", "01234567890", "0123456789-12", "abcdefghij", "0123456789 001"):
        r = await auth.post(f"{R}/organisations", json=org_body(rep, bad), headers=h.bearer(token))
        assert r.status_code == 422, bad
    r = await auth.post(f"{R}/organisations", json={**org_body(rep), "extra": 1}, headers=h.bearer(token))
    assert r.status_code == 422
    assert await db.organisations.count_documents({}) == before
    branch = org_body(rep, tax_code() + "-001")
    assert (await auth.post(f"{R}/organisations", json=branch, headers=h.bearer(token))).status_code == 201


async def test_members_managed_by_the_representative_and_the_token_names_them(auth, person, h):
    rep, token = await verified(auth, person, h)
    org = (await auth.post(f"{R}/organisations", json=org_body(rep), headers=h.bearer(token))).json()
    staff_p = person()
    staff = await h.register(auth, staff_p)
    viewer_p = person()
    viewer = await h.register(auth, viewer_p)
    members = f"{R}/organisations/{org['id']}/members"

    r = await auth.post(
        members, json={"login": staff_p["citizen_id"], "role": "staff"}, headers=h.bearer(token)
    )
    assert r.status_code == 201, r.text
    r = await auth.post(members, json={"login": viewer_p["phone"], "role": "viewer"}, headers=h.bearer(token))
    assert r.status_code == 201
    assert {m["user_id"]: m["role"] for m in r.json()["members"]} == {
        rep["id"]: "representative",
        staff["id"]: "staff",
        viewer["id"]: "viewer",
    }
    r = await auth.post(members, json={"login": viewer_p["phone"], "role": "staff"}, headers=h.bearer(token))
    assert r.status_code == 409 and r.json()["code"] == "already-member"
    r = await auth.post(members, json={"login": "079999999999", "role": "staff"}, headers=h.bearer(token))
    assert r.status_code == 404 and r.json()["code"] == "account-not-found"

    # Memberships travel in the access token (claim "orgs") issued after the change.
    staff_token = (await h.login(auth, staff_p["phone"], staff_p["password"])).json()["access_token"]
    claims = jwt.decode(staff_token, options={"verify_signature": False})
    assert claims["orgs"] == [{"id": org["id"], "role": "staff"}]
    who = await auth.app.state.runtime.tokens.verify(staff_token)
    assert who.org_role(org["id"]) == "staff" and who.org_role("other") is None

    # A staff member and a viewer see the organisation, not its members, and manage nothing.
    r = await auth.get(f"{R}/organisations/{org['id']}", headers=h.bearer(staff_token))
    assert r.status_code == 200 and r.json()["role"] == "staff" and r.json()["members"] is None
    r = await auth.post(
        members, json={"login": person()["phone"], "role": "representative"}, headers=h.bearer(staff_token)
    )
    assert r.status_code == 403 and r.json()["code"] == "not-organisation-representative"
    r = await auth.patch(
        f"{members}/{staff['id']}", json={"role": "representative"}, headers=h.bearer(staff_token)
    )
    assert r.status_code == 403

    # An outsider (even knowing the id) learns nothing: 404 as for no organisation.
    outsider_p = person()
    await h.register(auth, outsider_p)
    outsider = (await h.login(auth, outsider_p["phone"], outsider_p["password"])).json()["access_token"]
    for r in (
        await auth.get(f"{R}/organisations/{org['id']}", headers=h.bearer(outsider)),
        await auth.post(
            members, json={"login": outsider_p["phone"], "role": "staff"}, headers=h.bearer(outsider)
        ),
        await auth.delete(f"{members}/{rep['id']}", headers=h.bearer(outsider)),
    ):
        assert r.status_code == 404 and r.json()["code"] == "organisation-not-found"

    # Never the last representative: not removed, not demoted; a second one first, then it works.
    r = await auth.delete(f"{members}/{rep['id']}", headers=h.bearer(token))
    assert r.status_code == 409 and r.json()["code"] == "last-representative"
    r = await auth.patch(f"{members}/{rep['id']}", json={"role": "viewer"}, headers=h.bearer(token))
    assert r.status_code == 409
    r = await auth.patch(f"{members}/{staff['id']}", json={"role": "representative"}, headers=h.bearer(token))
    assert r.status_code == 200
    r = await auth.delete(f"{members}/{viewer['id']}", headers=h.bearer(token))
    assert r.status_code == 200 and viewer["id"] not in [m["user_id"] for m in r.json()["members"]]
    r = await auth.delete(f"{members}/{viewer['id']}", headers=h.bearer(token))
    assert r.status_code == 404 and r.json()["code"] == "member-not-found"
    events = await h.outbox_events(auth.app, "organisation.member_changed.v1")
    mine = [
        (e["data"]["user_id"], e["data"]["change"], e["data"]["role"])
        for e in events
        if e["data"]["organisation_id"] == org["id"]
    ]
    assert mine[-2:] == [(staff["id"], "role_changed", "representative"), (viewer["id"], "removed", None)]

    # The removed viewer's next token no longer names the organisation.
    viewer_token = (await h.login(auth, viewer_p["phone"], viewer_p["password"])).json()["access_token"]
    assert jwt.decode(viewer_token, options={"verify_signature": False})["orgs"] == []
    assert (
        await auth.get(f"{R}/organisations/{org['id']}", headers=h.bearer(viewer_token))
    ).status_code == 404


async def test_administrators_list_organisations(auth, person, h):
    rep, token = await verified(auth, person, h)
    org = (await auth.post(f"{R}/organisations", json=org_body(rep), headers=h.bearer(token))).json()
    admin = await h.admin_token(auth)
    r = await auth.get(f"{R}/organisations/all", params={"q": org["tax_code"]}, headers=h.bearer(admin))
    assert r.status_code == 200 and [o["id"] for o in r.json()["items"]] == [org["id"]]
    assert r.json()["items"][0]["members"][0]["user_id"] == rep["id"]
    assert (await auth.get(f"{R}/organisations/all", headers=h.bearer(token))).status_code == 403
    r = await auth.get(f"{R}/organisations/{org['id']}", headers=h.bearer(admin))
    assert r.status_code == 200 and r.json()["role"] is None
