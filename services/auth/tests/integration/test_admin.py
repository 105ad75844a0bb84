"""Administration: the first administrator, officers bound to agencies, locking, roles."""

from __future__ import annotations

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
    assert r.json()["roles"] == ["officer"] and r.json()["agencies"] == ["000.00.31.H26"]
    login = await h.login(auth, "quang.dv", "Mot-Cua-Officer-1")
    assert login.status_code == 200
    principal = await auth.app.state.runtime.tokens.verify(login.json()["access_token"])
    assert principal.roles == ("officer",) and principal.agencies == ("000.00.31.H26",)

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


async def test_locking_an_account_ends_its_sessions_and_unlocking_restores_login(auth, h):
    token = await h.admin_token(auth)
    user = (
        await auth.post(f"{R}/users", json=officer(username="lan.nt", email=None), headers=h.bearer(token))
    ).json()
    session = (await h.login(auth, "lan.nt", "Mot-Cua-Officer-1")).json()
    r = await auth.patch(f"{R}/users/{user['id']}", json={"locked": True}, headers=h.bearer(token))
    assert r.status_code == 200 and r.json()["locked"] is True
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": session["refresh_token"]})
    ).status_code == 401
    locked = await h.login(auth, "lan.nt", "Mot-Cua-Officer-1")
    assert locked.status_code == 403 and locked.json()["code"] == "account-locked"
    await auth.patch(f"{R}/users/{user['id']}", json={"locked": False}, headers=h.bearer(token))
    assert (await h.login(auth, "lan.nt", "Mot-Cua-Officer-1")).status_code == 200


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
    assert set(r.json()["roles"]) == {"officer", "admin"}
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
    await auth.post(f"{R}/register", json=p)
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
