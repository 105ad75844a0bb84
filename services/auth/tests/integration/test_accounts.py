"""Registration, login, the account, password change, against real MongoDB and RabbitMQ."""

from __future__ import annotations

R = "/api/v1/auth"


async def test_register_then_login_with_id_phone_or_email(auth, person, h):
    p = person()
    r = await auth.post(f"{R}/register", json=p)
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["roles"] == ["citizen"] and "password" not in r.text and "hash" not in r.text

    for username in (p["citizen_id"], "+84" + p["phone"][1:], p["email"].upper()):
        r = await h.login(auth, username, p["password"])
        assert r.status_code == 200, (username, r.text)
        tokens = r.json()
        assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    me = await auth.get(f"{R}/me", headers=h.bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == user["id"]

    events = await h.outbox_events(auth.app, "user.registered.v1")
    mine = [e for e in events if e["data"]["user_id"] == user["id"]]
    assert len(mine) == 1 and mine[0]["data"]["full_name"] == "Vũ Thị Thu"
    assert "password" not in str(mine[0]) and "citizen_id" not in mine[0]["data"]


async def test_registration_refuses_weak_or_personal_passwords(auth, person, h):
    for pw in ("short1!", "password123", "iloveyou", "matkhau123"):
        r = await auth.post(f"{R}/register", json=person(password=pw))
        assert r.status_code == 422, pw
        assert r.json()["errors"][0]["field"] == "body.password"
    p = person()
    r = await auth.post(f"{R}/register", json={**p, "password": p["citizen_id"]})
    assert r.status_code == 422 and r.json()["code"] == "weak-password"
    r = await auth.post(f"{R}/register", json={**p, "password": p["phone"]})
    assert r.status_code == 422
    assert await auth.app.state.runtime.db.users.count_documents({"citizen_id": p["citizen_id"]}) == 0


async def test_registration_validates_and_changes_nothing_on_bad_input(auth, person, h):
    db = auth.app.state.runtime.db
    before = await db.users.count_documents({})
    bad = [
        person(citizen_id="12345"),
        person(phone="0212345678"),  # a landline, not a mobile
        person(email="not-an-email"),
        person(full_name="   "),
        {**person(), "roles": ["admin"]},  # unknown field: nobody registers as an administrator
        {**person(), "citizen_id": {"$ne": None}},
    ]
    for body in bad:
        r = await auth.post(f"{R}/register", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await auth.post(f"{R}/register", content=b"x" * 10, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert await db.users.count_documents({}) == before


async def test_the_same_id_phone_or_email_cannot_register_twice(auth, person, h):
    p = person()
    assert (await auth.post(f"{R}/register", json=p)).status_code == 201
    for clash in (
        {"phone": person()["phone"], "email": person()["email"]},  # same citizen ID
        {"citizen_id": person()["citizen_id"], "email": person()["email"]},  # same phone
        {"citizen_id": person()["citizen_id"], "phone": person()["phone"]},
    ):  # same email
        r = await auth.post(f"{R}/register", json={**p, **clash})
        assert r.status_code == 409 and r.json()["code"] == "account-exists"


async def test_change_contact_publishes_the_change_and_keeps_uniqueness(auth, person, h):
    a, b = person(), person()
    for p in (a, b):
        assert (await auth.post(f"{R}/register", json=p)).status_code == 201
    token = (await h.login(auth, a["citizen_id"], a["password"])).json()["access_token"]
    r = await auth.patch(
        f"{R}/me", json={"email": "moi@example.vn", "phone": "0399999999"}, headers=h.bearer(token)
    )
    assert r.status_code == 200 and r.json()["email"] == "moi@example.vn"
    assert r.json()["phone"] == "0399999999"
    events = [
        e
        for e in await h.outbox_events(auth.app, "user.contact_changed.v1")
        if e["data"]["user_id"] == r.json()["id"]
    ]
    assert events[-1]["data"] == {"user_id": r.json()["id"], "email": "moi@example.vn", "phone": "0399999999"}
    clash = await auth.patch(f"{R}/me", json={"email": b["email"]}, headers=h.bearer(token))
    assert clash.status_code == 409
    assert (await auth.patch(f"{R}/me", json={"citizen_id": "1"}, headers=h.bearer(token))).status_code == 422


async def test_password_change_ends_every_session(auth, person, h):
    p = person()
    await auth.post(f"{R}/register", json=p)
    first = (await h.login(auth, p["phone"], p["password"])).json()
    r = await auth.post(
        f"{R}/password/change",
        headers=h.bearer(first["access_token"]),
        json={"current_password": "wrong-one-123", "new_password": "Do-Son-Cape-2027"},
    )
    assert r.status_code == 400 and r.json()["code"] == "wrong-password"
    r = await auth.post(
        f"{R}/password/change",
        headers=h.bearer(first["access_token"]),
        json={"current_password": p["password"], "new_password": "Do-Son-Cape-2027"},
    )
    assert r.status_code == 204
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": first["refresh_token"]})
    ).status_code == 401
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 401
    assert (await h.login(auth, p["phone"], "Do-Son-Cape-2027")).status_code == 200


async def test_me_needs_a_token(auth, h):
    r = await auth.get(f"{R}/me")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = await auth.get(f"{R}/me", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401
