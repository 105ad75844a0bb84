"""Administration: the first administrator, officers bound to agencies, locking, roles."""

from __future__ import annotations

import asyncio

import jwt

R = "/api/v1/auth"


def officer(**over):
    return {
        "full_name": "Đỗ Văn Quang",
        "role": "officer",
        "agencies": ["000.00.31.H26"],
        "username": "quang.dv",
        "email": "quang.dv@haiphong.gov.vn",
        "password": "Mot-Cua-Officer-1",
        **over,
    }


async def test_first_admin_creates_an_officer_who_gets_agency_claims(auth, h):
    token = await h.admin_token(auth)
    r = await auth.post(f"{R}/users", json=officer(), headers=h.bearer(token))
    assert r.status_code == 201, r.text
    # The old single role "officer": every agency role, and the marker.
    held = ["officer", "reception", "specialist", "leader"]
    assert r.json()["roles"] == held and r.json()["agencies"] == ["000.00.31.H26"]
    tokens, _ = await h.sign_in(auth, "quang.dv", "Mot-Cua-Officer-1")  # enrols the second factor
    principal = await auth.app.state.runtime.tokens.verify(tokens["access_token"])
    assert principal.roles == tuple(held) and principal.agencies == ("000.00.31.H26",)

    listed = await auth.get(f"{R}/users", params={"role": "officer", "q": "Đỗ"}, headers=h.bearer(token))
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert listed.json()["items"][0]["username"] == "quang.dv"


async def test_an_officer_needs_an_agency_and_a_login_name(auth, h):
    token = await h.admin_token(auth)
    r = await auth.post(f"{R}/users", json=officer(agencies=[]), headers=h.bearer(token))
    assert r.status_code == 422 and r.json()["code"] == "agency-required"
    r = await auth.post(f"{R}/users", json=officer(username=None, email=None), headers=h.bearer(token))
    assert r.status_code == 422 and r.json()["code"] == "login-name-required"
    r = await auth.post(f"{R}/users", json=officer(role="superuser"), headers=h.bearer(token))
    assert r.status_code == 422


async def test_every_kind_of_login_name_signs_in_an_at_sign_included(auth, h):
    """A username shaped like an email ("@"), an email, a phone number and a citizen ID all sign in; a
    username that is another account's email is refused (sign-in would find the email's holder). The
    right password gets an officer the ticket of the second step, whichever name was typed."""
    token = await h.admin_token(auth)
    made = await auth.post(
        f"{R}/users",
        json=officer(
            username="Mot-Cua@Phuong-Ngo-Quyen.gov.vn",
            email="mc.nq@haiphong.gov.vn",
            phone="0912 000 111",
            citizen_id="031099000111",
        ),
        headers=h.bearer(token),
    )
    assert made.status_code == 201, made.text
    assert made.json()["username"] == "mot-cua@phuong-ngo-quyen.gov.vn"
    for name in (
        "mot-cua@phuong-ngo-quyen.gov.vn",
        " MOT-CUA@Phuong-Ngo-Quyen.gov.vn ",
        "mc.nq@haiphong.gov.vn",
        "+84912000111",
        "031099000111",
    ):
        r = await h.login(auth, name, "Mot-Cua-Officer-1")
        assert r.status_code == 200 and r.json()["mfa"] == "enrol", (name, r.text)
    assert (await h.login(auth, "mot-cua@phuong-ngo-quyen.gov.vn", "wrong-password-12")).status_code == 401
    clash = await auth.post(
        f"{R}/users", json=officer(username="mc.nq@haiphong.gov.vn", email=None), headers=h.bearer(token)
    )
    assert clash.status_code == 409


async def test_locking_an_account_ends_its_sessions_and_unlocking_restores_login(auth, h):
    token = await h.admin_token(auth)
    user = (
        await auth.post(f"{R}/users", json=officer(username="lan.nt", email=None), headers=h.bearer(token))
    ).json()
    session, factor = await h.sign_in(auth, "lan.nt", "Mot-Cua-Officer-1")
    r = await auth.patch(f"{R}/users/{user['id']}", json={"locked": True}, headers=h.bearer(token))
    assert r.status_code == 200 and r.json()["locked"] is True
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": session["refresh_token"]})
    ).status_code == 401
    locked = await h.login(auth, "lan.nt", "Mot-Cua-Officer-1")
    assert locked.status_code == 403 and locked.json()["code"] == "account-locked"
    await auth.patch(f"{R}/users/{user['id']}", json={"locked": False}, headers=h.bearer(token))
    tokens, _ = await h.sign_in(auth, "lan.nt", "Mot-Cua-Officer-1", factor.secret)
    assert tokens["access_token"]


async def test_roles_and_agencies_change(auth, h):
    token = await h.admin_token(auth)
    user = (
        await auth.post(f"{R}/users", json=officer(username="hai.pv", email=None), headers=h.bearer(token))
    ).json()
    r = await auth.patch(
        f"{R}/users/{user['id']}", json={"agencies": ["B", "A", "A"]}, headers=h.bearer(token)
    )
    assert r.json()["agencies"] == ["A", "B"]
    r = await auth.patch(
        f"{R}/users/{user['id']}", json={"roles": ["officer", "admin"]}, headers=h.bearer(token)
    )
    assert r.json()["roles"] == ["officer", "reception", "specialist", "leader", "admin"]
    assert (
        await auth.patch(f"{R}/users/nobody", json={"locked": True}, headers=h.bearer(token))
    ).status_code == 404


async def test_an_administrator_cannot_lock_out_themself(auth, h):
    token = await h.admin_token(auth)
    me = (await auth.get(f"{R}/me", headers=h.bearer(token))).json()
    r = await auth.patch(f"{R}/users/{me['id']}", json={"locked": True}, headers=h.bearer(token))
    assert r.status_code == 409 and r.json()["code"] == "self-lockout"
    r = await auth.patch(f"{R}/users/{me['id']}", json={"roles": ["officer"]}, headers=h.bearer(token))
    assert r.status_code == 409


async def test_administration_is_for_administrators_only(auth, person, h):
    p = person()
    await h.register(auth, p)
    citizen = (await h.login(auth, p["phone"], p["password"])).json()["access_token"]
    for method, path, body in (
        ("post", "/users", officer()),
        ("get", "/users", None),
        ("patch", "/users/x", {"locked": True}),
        ("post", "/keys/rotate", None),
    ):
        kw = {"json": body} if body is not None else {}
        anonymous = await getattr(auth, method)(f"{R}{path}", **kw)
        assert anonymous.status_code == 401, path
        as_citizen = await getattr(auth, method)(f"{R}{path}", headers=h.bearer(citizen), **kw)
        assert as_citizen.status_code == 403, path


async def test_the_first_administrator_is_created_once(make_auth, infra):
    first = await make_auth()
    second = await make_auth(mongo_db=first.app.state.runtime.settings.mongo_db)  # a second replica
    users = first.app.state.runtime.db.users
    assert await users.count_documents({"username": "admin"}) == 1
    assert second.app.state.runtime.settings.mongo_db == first.app.state.runtime.settings.mongo_db


async def test_a_first_administrator_named_by_email_can_sign_in(make_auth, h):
    """Finding 5: DVC_ADMIN_USERNAME=admin@example.vn created an administrator who got 401 forever."""
    auth = await make_auth(admin_username="Quan.Tri@Example.vn")
    tokens, _ = await h.sign_in(auth, "quan.tri@example.vn", "Admin-Test-Pass-42", h.ADMIN_TOTP)
    me = (await auth.get(f"{R}/me", headers=h.bearer(tokens["access_token"]))).json()
    assert me["roles"] == ["admin"] and me["email"] == "quan.tri@example.vn" and me["username"] is None


async def test_locking_and_rights_changes_end_sessions_with_an_event(auth, h):
    token = await h.admin_token(auth)
    user = (
        await auth.post(f"{R}/users", json=officer(username="binh.lv", email=None), headers=h.bearer(token))
    ).json()
    await auth.patch(f"{R}/users/{user['id']}", json={"agencies": ["X.1"]}, headers=h.bearer(token))
    await auth.patch(f"{R}/users/{user['id']}", json={"locked": True}, headers=h.bearer(token))
    ended = [e["data"] for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")]
    mine = [(e["reason"], e["session_id"]) for e in ended if e["user_id"] == user["id"]]
    assert mine == [("rights_changed", None), ("locked", None)]


async def test_every_replica_publishes_a_key_another_replica_just_made(make_auth, h):
    """Two replicas starting together each made a key; one replica, still holding its earlier read,
    published only its own, and the gateway refused the other's tokens ("unknown key id") until it could
    ask again. The keys are published as the database has them."""
    a = await make_auth(key_reload_seconds=300)
    b = await make_auth(mongo_db=a.app.state.runtime.settings.mongo_db, key_reload_seconds=300)
    before = {k["kid"] for k in (await a.get(f"{R}/.well-known/jwks.json")).json()["keys"]}
    new = await b.app.state.keys.rotate()
    assert new and new not in before
    await asyncio.sleep(1.1)
    assert new in {k["kid"] for k in (await a.get(f"{R}/.well-known/jwks.json")).json()["keys"]}
    assert new in {k["kid"] for k in (await a.get(f"{R}/.well-known/edge-keys.json")).json()["keys"]}
    # A token the other replica signs now verifies with what this one publishes.
    token = await h.admin_token(b)
    assert jwt.get_unverified_header(token)["kid"] == new
    me = await a.get(f"{R}/me", headers=h.bearer(token))
    assert me.status_code == 200, me.text
