"""Registration (confirmed by a code to the phone), login, the account, contact and password changes,
against real MongoDB and RabbitMQ."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from devstack.testing import eventually

R = "/api/v1/auth"


async def test_register_then_login_with_id_phone_or_email(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    assert user["roles"] == ["citizen"] and "password" not in str(user) and "hash" not in str(user)
    assert user["email"] == p["email"] and user["pending"] == []

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
    # Only confirmed contacts are announced: the email was not yet confirmed when the account was made.
    assert mine[0]["data"]["phone"] == p["phone"] and mine[0]["data"]["email"] is None


async def test_no_account_before_the_code_and_a_wrong_code_makes_none(auth, person, h):
    p = person()
    r = await auth.post(f"{R}/register", json=p)
    assert r.status_code == 202 and r.json()["expires_in"] == 600
    code = await h.code(auth.app, "registration", phone=p["phone"])
    db = auth.app.state.runtime.db
    assert await db.users.count_documents({"citizen_id": p["citizen_id"]}) == 0
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 401
    wrong = "000000" if code != "000000" else "111111"
    confirm = {"citizen_id": p["citizen_id"], "phone": p["phone"]}
    r = await auth.post(f"{R}/register/confirm", json={**confirm, "code": wrong})
    assert r.status_code == 400 and r.json()["code"] == "invalid-code"
    other_phone = person()["phone"]  # the code belongs to the phone it was sent to
    r = await auth.post(f"{R}/register/confirm", json={**confirm, "phone": other_phone, "code": code})
    assert r.status_code == 400
    assert await db.users.count_documents({"citizen_id": p["citizen_id"]}) == 0
    r = await auth.post(f"{R}/register/confirm", json={**confirm, "code": code})
    assert r.status_code == 201
    r = await auth.post(f"{R}/register/confirm", json={**confirm, "code": code})
    assert r.status_code == 400  # used once


async def test_registering_an_existing_id_or_phone_answers_the_same_and_tells_only_the_phone(auth, person, h):
    """Finding 13: registration answered 409 account-exists for an ID or phone in use."""
    p = person()
    await h.register(auth, p)
    bodies = {
        "new": person(),
        "same ID": {**person(), "citizen_id": p["citizen_id"]},
        "same phone": {**person(), "phone": p["phone"]},
        "same email": {**person(), "email": p["email"]},
    }
    answers = {k: await auth.post(f"{R}/register", json=b) for k, b in bodies.items()}
    assert {a.status_code for a in answers.values()} == {202}
    assert len({a.text for a in answers.values()}) == 1
    # What happens next goes to the phone given: a code, or a message that it (or the ID) is registered.
    blocked = await eventually(lambda: _blocked(auth, h, 2))
    reasons = {e["reason"]: e for e in blocked}
    assert reasons["phone_in_use"]["phone"] == p["phone"]
    assert reasons["citizen_id_in_use"]["phone"] == bodies["same ID"]["phone"]
    assert {e["existing_user_id"] for e in blocked} == {(await _user(auth, p))["_id"]}
    assert await h.code(auth.app, "registration", phone=bodies["new"]["phone"])
    # An email in use is not even looked at: it is claimed only once its own code comes back.
    assert await h.code(auth.app, "registration", phone=bodies["same email"]["phone"])


async def _blocked(auth, h, n: int) -> list[dict]:
    events = [e["data"] for e in await h.outbox_events(auth.app, "user.registration_blocked.v1")]
    return events if len(events) >= n else []


async def _user(auth, p):
    return await auth.app.state.runtime.db.users.find_one({"citizen_id": p["citizen_id"]})


async def test_registration_refuses_weak_or_personal_passwords(auth, person, h):
    for pw in ("short1!", "Password123", "password1234", "matkhau123"):
        r = await auth.post(f"{R}/register", json=person(password=pw))
        assert r.status_code == 422, pw
        assert r.json()["errors"][0]["field"] == "body.password"
    p = person()
    r = await auth.post(f"{R}/register", json={**p, "password": p["citizen_id"]})
    assert r.status_code == 422 and r.json()["code"] == "weak-password"
    r = await auth.post(f"{R}/register", json={**p, "password": p["phone"] + "12"})
    assert r.status_code == 202  # 12 characters, not the phone itself
    r = await auth.post(f"{R}/register", json={**person(), "password": "Elevenchars"})
    assert r.status_code == 422 and "12" in r.json()["detail"]


async def test_registration_validates_and_changes_nothing_on_bad_input(auth, person, h):
    db = auth.app.state.runtime.db
    before = (await db.users.count_documents({}), await db.codes.count_documents({}))
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
    await asyncio.sleep(0.2)
    assert (await db.users.count_documents({}), await db.codes.count_documents({})) == before


async def test_me_looks_for_waiting_codes_only_while_one_may_be_live(auth, person, h, monkeypatch):
    """``GET /me`` is one read of the account (the portal and every draft's prefill ask it); the codes
    are looked up only while one sent for a new email or phone may still be waiting."""
    p = person()
    p.pop("email")
    user = await h.register(auth, p)
    token = (await h.login(auth, p["citizen_id"], p["password"])).json()["access_token"]
    me = h.bearer(token)
    codes = auth.app.state.accounts.codes
    looked: list[str] = []
    pending = codes.pending

    async def counted(user_id: str) -> list:
        looked.append(user_id)
        return await pending(user_id)

    monkeypatch.setattr(codes, "pending", counted)
    r = await auth.get(f"{R}/me", headers=me)
    assert r.status_code == 200 and r.json()["pending"] == [] and looked == []
    new = {"email": f"cho.{p['phone']}@example.vn", "current_password": p["password"]}
    r = await auth.patch(f"{R}/me", json=new, headers=me)
    assert r.status_code == 200 and [x["value"] for x in r.json()["pending"]] == [new["email"]]
    r = await auth.get(f"{R}/me", headers=me)
    assert [x["value"] for x in r.json()["pending"]] == [new["email"]] and len(looked) == 2
    # Once every code sent may have expired, the account is one read again.
    db = auth.app.state.runtime.db
    await db.users.update_one(
        {"_id": user["id"]}, {"$set": {"contact_pending_until": datetime.now(UTC) - timedelta(seconds=1)}}
    )
    r = await auth.get(f"{R}/me", headers=me)
    assert r.json()["pending"] == [] and len(looked) == 2


async def test_changing_a_contact_needs_the_password_and_the_new_contacts_code(auth, person, h):
    """Finding 1: with a stolen access token, PATCH /me changed the email at once, and the reset code
    went to the new address."""
    a, b = person(), person()
    await h.register(auth, a)
    await h.register(auth, b)
    token = (await h.login(auth, a["citizen_id"], a["password"])).json()["access_token"]
    me = h.bearer(token)
    new = {"email": "moi.a@example.vn", "phone": person()["phone"]}
    # Without the password (a stolen token is all the thief has): refused, nothing changes.
    assert (await auth.patch(f"{R}/me", json=new, headers=me)).status_code == 422
    wrong = await auth.patch(f"{R}/me", json={**new, "current_password": "Not-The-Pass-42"}, headers=me)
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong-password"
    r = await auth.patch(f"{R}/me", json={**new, "current_password": a["password"]}, headers=me)
    assert r.status_code == 200, r.text
    # Not in effect until confirmed: the account keeps its contacts, recovery still goes to the old ones.
    assert r.json()["email"] == a["email"] and r.json()["phone"] == a["phone"]
    assert {(p["channel"], p["value"]) for p in r.json()["pending"]} == {
        ("email", new["email"]),
        ("phone", new["phone"]),
    }
    assert (await h.login(auth, new["email"], a["password"])).status_code == 401
    # Each code went to the new contact itself.
    email_code = await h.code(auth.app, "contact_change", email=new["email"])
    phone_code = await h.code(auth.app, "contact_change", phone=new["phone"])
    wrong_code = "000000" if email_code != "000000" else "111111"
    bad = await auth.post(
        f"{R}/me/contact/confirm", json={"channel": "email", "code": wrong_code}, headers=me
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid-code"
    # A phone code does not confirm the email.
    if phone_code != email_code:
        crossed = {"channel": "email", "code": phone_code}
        assert (await auth.post(f"{R}/me/contact/confirm", json=crossed, headers=me)).status_code == 400
    r = await auth.post(f"{R}/me/contact/confirm", json={"channel": "email", "code": email_code}, headers=me)
    assert r.status_code == 200 and r.json()["email"] == new["email"]
    r = await auth.post(f"{R}/me/contact/confirm", json={"channel": "phone", "code": phone_code}, headers=me)
    assert r.status_code == 200 and r.json()["phone"] == new["phone"] and r.json()["pending"] == []
    assert (await h.login(auth, new["email"], a["password"])).status_code == 200
    # The old contacts are told (notify's contact_changed), one event a change, old and new in it.
    events = [
        e["data"]
        for e in await h.outbox_events(auth.app, "user.contact_changed.v1")
        if e["data"]["user_id"] == r.json()["id"]
    ]
    assert {(e["changed"], e["old_email"], e["old_phone"]) for e in events[-2:]} == {
        ("email", a["email"], None),
        ("phone", None, a["phone"]),
    }
    # Someone else's email: the code goes to its holder; confirming it cannot take it over.
    r = await auth.patch(f"{R}/me", json={"email": b["email"], "current_password": a["password"]}, headers=me)
    assert r.status_code == 200
    code = await h.code(auth.app, "contact_change", email=b["email"])
    r = await auth.post(f"{R}/me/contact/confirm", json={"channel": "email", "code": code}, headers=me)
    assert r.status_code == 409 and r.json()["code"] == "contact-in-use"
    assert (await auth.patch(f"{R}/me", json={"citizen_id": "1"}, headers=me)).status_code == 422


async def test_wrong_current_passwords_lock_the_account(auth, person, h):
    """A stolen token must not be a way to guess the password: wrong current passwords count like
    failed sign-ins."""
    p = person()
    await h.register(auth, p)
    me = h.bearer((await h.login(auth, p["phone"], p["password"])).json()["access_token"])
    answers = []
    for _ in range(5):
        r = await auth.post(
            f"{R}/password/change",
            json={"current_password": "Guess-Number-1x", "new_password": "Do-Son-Cape-2027"},
            headers=me,
        )
        answers.append(r.status_code)
    assert answers == [400, 400, 400, 400, 429]
    body = {"email": "x.y@example.vn", "current_password": p["password"]}
    assert (await auth.patch(f"{R}/me", json=body, headers=me)).status_code == 429
    assert (await h.login(auth, p["citizen_id"], p["password"])).status_code == 429


async def test_removing_the_email_takes_effect_and_is_announced(auth, person, h):
    p = person()
    await h.register(auth, p)
    me = h.bearer((await h.login(auth, p["phone"], p["password"])).json()["access_token"])
    r = await auth.patch(f"{R}/me", json={"email": None, "current_password": p["password"]}, headers=me)
    assert r.status_code == 200 and r.json()["email"] is None
    events = await h.outbox_events(auth.app, "user.contact_changed.v1")
    assert events[-1]["data"]["old_email"] == p["email"] and events[-1]["data"]["email"] is None


async def test_password_change_ends_every_other_session(auth, person, h):
    import jwt

    p = person()
    await h.register(auth, p)
    first = (await h.login(auth, p["phone"], p["password"])).json()
    other = (await h.login(auth, p["email"], p["password"])).json()  # another device
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
    # The device that changed it stays signed in: its access token and its refresh token still work...
    assert (await auth.get(f"{R}/me", headers=h.bearer(first["access_token"]))).status_code == 200
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": first["refresh_token"]})
    ).status_code == 200
    # ...the other is signed out: its refresh token at once, its access token too (this replica ended it).
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": other["refresh_token"]})
    ).status_code == 401
    refused = await auth.get(f"{R}/me", headers=h.bearer(other["access_token"]))
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 401
    assert (await h.login(auth, p["phone"], "Do-Son-Cape-2027")).status_code == 200
    # One event a session ended, the kept one not among them (its live notification stream stays open).
    sid = {
        k: jwt.decode(t["access_token"], options={"verify_signature": False})["sid"]
        for k, t in (("first", first), ("other", other))
    }
    ended = [e["data"] for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")]
    ours = [e for e in ended if e["reason"] == "password_changed"]
    assert sid["other"] in {e["session_id"] for e in ours}
    assert sid["first"] not in {e["session_id"] for e in ours} and None not in {e["session_id"] for e in ours}


async def test_me_needs_a_token(auth, h):
    r = await auth.get(f"{R}/me")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = await auth.get(f"{R}/me", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401
