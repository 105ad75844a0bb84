"""One-stop roles: reception, specialist, leader and admin given to staff accounts; an agency's staff list
and its default specialist."""

from __future__ import annotations

import itertools

R = "/api/v1/auth"
WARD = "000.01.H1.H26"
OTHER = "000.01.G4.H26"
PASSWORD = "Mot-Cua-Phan-Vai-9"
_n = itertools.count(1)


def staff(roles=None, *, role=None, agencies=(WARD,), name="Lê Thị Chuyên Viên"):
    body = {"full_name": name, "username": f"vt{next(_n)}x", "password": PASSWORD, "agencies": list(agencies)}
    if roles is not None:
        body["roles"] = roles
    if role is not None:
        body["role"] = role
    return body


async def made(auth, h, admin: str, body: dict) -> dict:
    r = await auth.post(f"{R}/users", json=body, headers=h.bearer(admin))
    assert r.status_code == 201, r.text
    return {**r.json(), "password": body["password"]}


async def token_of(auth, h, user: dict) -> str:
    """A staff member's access token (the stack of these tests signs staff in with a password alone)."""
    r = await h.login(auth, user["username"], user["password"])
    assert r.status_code == 200 and "access_token" in r.json(), r.text
    return r.json()["access_token"]


async def test_roles_are_given_as_a_list_stored_with_the_officer_marker_and_in_the_token(auth, h):
    admin = await h.admin_token(auth)
    user = await made(auth, h, admin, staff(["specialist", "reception"]))
    assert user["roles"] == ["officer", "reception", "specialist"] and user["agencies"] == [WARD]
    # The second factor is a staff member's, whatever agency role: a reception officer enrols too.
    first = await h.login(auth, user["username"], PASSWORD)
    assert first.status_code == 200 and first.json()["mfa"] == "enrol", first.text
    tokens, _ = await h.sign_in(auth, user["username"], PASSWORD)
    principal = await auth.app.state.runtime.tokens.verify(tokens["access_token"])
    assert principal.roles == ("officer", "reception", "specialist") and principal.agencies == (WARD,)

    chief = await made(auth, h, admin, staff(["admin"], agencies=[WARD]))
    assert chief["roles"] == ["admin"] and chief["agencies"] == []  # no agency role: no agency
    both = await made(auth, h, admin, staff(["leader", "admin"]))
    assert both["roles"] == ["officer", "leader", "admin"]
    stored = await auth.app.state.runtime.db.users.find_one({"_id": both["id"]})
    assert stored["roles"] == ["officer", "leader", "admin"]


async def test_the_old_single_role_is_still_taken_and_exactly_one_of_the_two_is_needed(auth, h):
    admin = await h.admin_token(auth)
    old = await made(auth, h, admin, staff(role="officer"))
    assert old["roles"] == ["officer", "reception", "specialist", "leader"]
    assert (await made(auth, h, admin, staff(role="admin", agencies=[])))["roles"] == ["admin"]
    for body in (staff(["leader"], role="officer"), staff()):
        r = await auth.post(f"{R}/users", json=body, headers=h.bearer(admin))
        assert r.status_code == 422 and r.json()["code"] == "role-or-roles", r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    for roles in (["officer"], ["citizen"], ["superuser"], []):  # given roles are staff roles only
        r = await auth.post(f"{R}/users", json=staff(roles), headers=h.bearer(admin))
        assert r.status_code == 422, (roles, r.text)
    for body in (staff(["reception"], agencies=[]), staff(role="officer", agencies=[])):
        r = await auth.post(f"{R}/users", json=body, headers=h.bearer(admin))
        assert r.status_code == 422 and r.json()["code"] == "agency-required", r.text


async def test_changed_roles_are_normalised_and_keep_an_agency(auth, h):
    admin = await h.admin_token(auth)
    user = await made(auth, h, admin, staff(["reception"]))
    url = f"{R}/users/{user['id']}"
    r = await auth.patch(url, json={"roles": ["leader", "specialist"]}, headers=h.bearer(admin))
    assert r.status_code == 200 and r.json()["roles"] == ["officer", "specialist", "leader"], r.text
    r = await auth.patch(url, json={"roles": ["officer"]}, headers=h.bearer(admin))  # the old meaning
    assert r.json()["roles"] == ["officer", "reception", "specialist", "leader"]
    r = await auth.patch(url, json={"roles": ["citizen"]}, headers=h.bearer(admin))
    assert r.status_code == 200 and r.json()["roles"] == ["citizen"]
    # Agency roles without an agency: refused, and nothing changed.
    r = await auth.patch(url, json={"roles": ["specialist"], "agencies": []}, headers=h.bearer(admin))
    assert r.status_code == 422 and r.json()["code"] == "agency-required"
    await auth.patch(url, json={"roles": ["specialist"]}, headers=h.bearer(admin))
    r = await auth.patch(url, json={"agencies": []}, headers=h.bearer(admin))
    assert r.status_code == 422 and r.json()["code"] == "agency-required"
    assert (await auth.get(f"{R}/users", params={"q": user["username"]}, headers=h.bearer(admin))).json()[
        "items"
    ][0]["agencies"] == [WARD]
    chief = await made(auth, h, admin, staff(["admin"]))
    r = await auth.patch(f"{R}/users/{chief['id']}", json={"roles": ["leader"]}, headers=h.bearer(admin))
    assert r.status_code == 422 and r.json()["code"] == "agency-required"  # it has no agency


async def test_administrators_filter_accounts_by_the_new_roles(auth, h):
    admin = await h.admin_token(auth)
    name = f"Tra Cứu {next(_n)}"
    spec = await made(auth, h, admin, staff(["specialist"], name=name))
    desk = await made(auth, h, admin, staff(["reception"], name=name))
    legacy = await made(auth, h, admin, staff(["leader"], name=name))
    # An account made before the agency roles holds "officer" alone: every agency role.
    await auth.app.state.runtime.db.users.update_one({"_id": legacy["id"]}, {"$set": {"roles": ["officer"]}})

    async def ids(role: str) -> set[str]:
        r = await auth.get(f"{R}/users", params={"role": role, "q": name}, headers=h.bearer(admin))
        assert r.status_code == 200, r.text
        return {u["id"] for u in r.json()["items"]}

    assert await ids("specialist") == {spec["id"], legacy["id"]}
    assert await ids("reception") == {desk["id"], legacy["id"]}
    assert await ids("officer") == {spec["id"], desk["id"], legacy["id"]}
    r = await auth.get(f"{R}/users", params={"role": "chief"}, headers=h.bearer(admin))
    assert r.status_code == 422


async def test_an_agencys_staff_is_listed_to_its_staff_and_administrators(make_auth, h, person):
    auth = await make_auth(staff_mfa="off")
    admin = await h.admin_token(auth)
    desk = await made(auth, h, admin, staff(["reception"], name="Bùi Thị Một Cửa"))
    spec = await made(auth, h, admin, staff(["specialist"], name="Cao Văn Chuyên"))
    boss = await made(auth, h, admin, staff(["leader", "admin"], name="Đặng Văn Lãnh Đạo"))
    both = await made(auth, h, admin, staff(["specialist"], agencies=[OTHER, WARD], name="Hà Thị Hai Nơi"))
    other = await made(auth, h, admin, staff(["specialist"], agencies=[OTHER], name="Kiều Văn Khác"))
    locked = await made(auth, h, admin, staff(["specialist"], name="Lý Văn Khóa"))
    await auth.patch(f"{R}/users/{locked['id']}", json={"locked": True}, headers=h.bearer(admin))
    legacy = await made(auth, h, admin, staff(["reception"], name="Mai Văn Cũ"))
    await auth.app.state.runtime.db.users.update_one({"_id": legacy["id"]}, {"$set": {"roles": ["officer"]}})
    await made(auth, h, admin, staff(["admin"], name="Ngô Quản Trị"))  # no agency role: not listed

    url = f"{R}/agencies/{WARD}/staff"
    for who in (desk, spec, boss, both, legacy):
        r = await auth.get(url, headers=h.bearer(await token_of(auth, h, who)))
        assert r.status_code == 200, (who["full_name"], r.text)
    listed = (await auth.get(url, headers=h.bearer(admin))).json()["items"]
    assert [(s["full_name"], s["roles"], s["default_specialist"]) for s in listed] == [
        ("Bùi Thị Một Cửa", ["officer", "reception"], False),
        ("Cao Văn Chuyên", ["officer", "specialist"], False),
        ("Đặng Văn Lãnh Đạo", ["officer", "leader", "admin"], False),
        ("Hà Thị Hai Nơi", ["officer", "specialist"], False),
        ("Mai Văn Cũ", ["officer", "reception", "specialist", "leader"], False),
    ]
    assert {s["id"] for s in listed} == {desk["id"], spec["id"], boss["id"], both["id"], legacy["id"]}
    assert set(listed[0]) == {"id", "full_name", "roles", "default_specialist"}  # no contact, no login

    # Staff of another agency, a citizen and nobody: refused, as problems.
    p = person()
    await h.register(auth, p)
    citizen = (await h.login(auth, p["phone"], p["password"])).json()["access_token"]
    for token, status in ((await token_of(auth, h, other), 403), (citizen, 403), (None, 401)):
        r = await auth.get(url, headers=h.bearer(token) if token else {})
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "Cao Văn Chuyên" not in r.text
    # The other agency's own list is theirs: WARD's staff see only those of both.
    mine = await auth.get(f"{R}/agencies/{OTHER}/staff", headers=h.bearer(await token_of(auth, h, both)))
    assert {s["full_name"] for s in mine.json()["items"]} == {"Hà Thị Hai Nơi", "Kiều Văn Khác"}
    r = await auth.get(f"{R}/agencies/{OTHER}/staff", headers=h.bearer(await token_of(auth, h, desk)))
    assert r.status_code == 403 and r.json()["code"] == "not-agency-staff"


async def test_an_administrator_sets_and_clears_the_default_specialist(make_auth, h):
    auth = await make_auth(staff_mfa="off")
    admin = await h.admin_token(auth)
    spec = await made(auth, h, admin, staff(["specialist", "leader"], name="Phan Văn Mặc Định"))
    desk = await made(auth, h, admin, staff(["reception"], name="Quách Thị Tiếp Nhận"))
    away = await made(auth, h, admin, staff(["specialist"], agencies=[OTHER], name="Tạ Văn Xa"))
    gone = await made(auth, h, admin, staff(["specialist"], name="Tô Văn Nghỉ"))
    await auth.patch(f"{R}/users/{gone['id']}", json={"locked": True}, headers=h.bearer(admin))
    url = f"{R}/agencies/{WARD}/default-specialist"

    r = await auth.put(url, json={"user_id": spec["id"]}, headers=h.bearer(admin))
    assert r.status_code == 200, r.text
    assert r.json() == {"agency": WARD, "user_id": spec["id"], "full_name": "Phan Văn Mặc Định"}
    listed = (await auth.get(f"{R}/agencies/{WARD}/staff", headers=h.bearer(admin))).json()["items"]
    assert {s["full_name"]: s["default_specialist"] for s in listed} == {
        "Phan Văn Mặc Định": True,
        "Quách Thị Tiếp Nhận": False,
    }
    # Not a specialist, another agency's, locked, nobody: refused, and the default stays.
    for user_id in (desk["id"], away["id"], gone["id"], "khong-co-ai"):
        r = await auth.put(url, json={"user_id": user_id}, headers=h.bearer(admin))
        assert r.status_code == 422 and r.json()["code"] == "not-a-specialist", r.text
    # Only administrators: the agency's own staff, the specialist included, may not.
    as_staff = h.bearer(await token_of(auth, h, spec))
    assert (await auth.put(url, json={"user_id": spec["id"]}, headers=as_staff)).status_code == 403
    assert (await auth.delete(url, headers=as_staff)).status_code == 403
    listed = (await auth.get(f"{R}/agencies/{WARD}/staff", headers=as_staff)).json()["items"]
    assert [s["full_name"] for s in listed if s["default_specialist"]] == ["Phan Văn Mặc Định"]

    # The default who stops being a specialist is no longer shown as one.
    await auth.patch(f"{R}/users/{spec['id']}", json={"roles": ["leader"]}, headers=h.bearer(admin))
    listed = (await auth.get(f"{R}/agencies/{WARD}/staff", headers=h.bearer(admin))).json()["items"]
    assert not any(s["default_specialist"] for s in listed)
    await auth.patch(f"{R}/users/{spec['id']}", json={"roles": ["specialist"]}, headers=h.bearer(admin))

    assert (await auth.delete(url, headers=h.bearer(admin))).status_code == 204
    assert (await auth.delete(url, headers=h.bearer(admin))).status_code == 204  # none: still 204
    listed = (await auth.get(f"{R}/agencies/{WARD}/staff", headers=h.bearer(admin))).json()["items"]
    assert not any(s["default_specialist"] for s in listed)
    assert (
        await auth.delete(f"{R}/agencies/NEVER.SET/default-specialist", headers=h.bearer(admin))
    ).status_code == 204
