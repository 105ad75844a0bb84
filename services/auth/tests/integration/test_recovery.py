"""Forgotten password: a one-time code through the notification service (an event), short-lived, few tries."""

from __future__ import annotations

from datetime import UTC, datetime

R = "/api/v1/auth"


async def codes_for(app, user_id: str, h) -> list[dict]:
    events = await h.outbox_events(app, "user.password_reset_requested.v1")
    return [e["data"] for e in events if e["data"]["user_id"] == user_id]


async def test_forgot_and_reset_with_the_code(auth, person, h):
    p = person()
    user = (await auth.post(f"{R}/register", json=p)).json()
    r = await auth.post(f"{R}/password/forgot", json={"username": p["phone"]})
    assert r.status_code == 202
    [sent] = await codes_for(auth.app, user["id"], h)
    assert set(sent) == {"user_id", "code", "expires_at", "email", "phone", "locale"}
    assert len(sent["code"]) == 6 and sent["code"].isdigit()
    expires = datetime.fromisoformat(sent["expires_at"])
    assert 500 < (expires - datetime.now(UTC)).total_seconds() <= 600
    # The code is stored only as a keyed digest.
    stored = await auth.app.state.runtime.db.reset_codes.find_one({"_id": user["id"]})
    assert sent["code"] not in str(stored)

    session = (await h.login(auth, p["phone"], p["password"])).json()
    r = await auth.post(
        f"{R}/password/reset",
        json={"username": p["phone"], "code": sent["code"], "new_password": "Cat-Ba-Island-2028"},
    )
    assert r.status_code == 204
    assert (await h.login(auth, p["phone"], "Cat-Ba-Island-2028")).status_code == 200
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 401
    # Single use, and the old sessions are over.
    again = await auth.post(
        f"{R}/password/reset",
        json={"username": p["phone"], "code": sent["code"], "new_password": "Another-Pass-2029"},
    )
    assert again.status_code == 400
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": session["refresh_token"]})
    ).status_code == 401


async def test_unknown_account_gets_the_same_answer_and_no_message(auth, h):
    before = len(await h.outbox_events(auth.app, "user.password_reset_requested.v1"))
    r = await auth.post(f"{R}/password/forgot", json={"username": "khong.co@example.vn"})
    assert r.status_code == 202
    known_answer = r.json()
    assert len(await h.outbox_events(auth.app, "user.password_reset_requested.v1")) == before
    assert known_answer["detail"].startswith("Nếu tài khoản tồn tại")


async def test_wrong_codes_use_up_the_tries(auth, person, h):
    p = person()
    user = (await auth.post(f"{R}/register", json=p)).json()
    await auth.post(f"{R}/password/forgot", json={"username": p["email"]})
    [sent] = await codes_for(auth.app, user["id"], h)
    wrong = "000000" if sent["code"] != "000000" else "111111"
    for _ in range(5):
        r = await auth.post(
            f"{R}/password/reset",
            json={"username": p["email"], "code": wrong, "new_password": "Cat-Ba-Island-2028"},
        )
        assert r.status_code == 400 and r.json()["code"] == "invalid-reset-code"
    r = await auth.post(
        f"{R}/password/reset",
        json={"username": p["email"], "code": sent["code"], "new_password": "Cat-Ba-Island-2028"},
    )
    assert r.status_code == 400  # the right code, too late
    assert (await h.login(auth, p["email"], p["password"])).status_code == 200


async def test_reset_requests_are_limited_per_hour(auth, person, h):
    p = person()
    user = (await auth.post(f"{R}/register", json=p)).json()
    for _ in range(5):
        assert (await auth.post(f"{R}/password/forgot", json={"username": p["phone"]})).status_code == 202
    assert len(await codes_for(auth.app, user["id"], h)) == 3


async def test_reset_refuses_a_weak_new_password_and_keeps_the_code(auth, person, h):
    p = person()
    user = (await auth.post(f"{R}/register", json=p)).json()
    await auth.post(f"{R}/password/forgot", json={"username": p["citizen_id"]})
    [sent] = await codes_for(auth.app, user["id"], h)
    r = await auth.post(
        f"{R}/password/reset",
        json={"username": p["citizen_id"], "code": sent["code"], "new_password": "12345678"},
    )
    assert r.status_code == 422 and r.json()["code"] == "weak-password"
    r = await auth.post(
        f"{R}/password/reset",
        json={"username": p["citizen_id"], "code": sent["code"], "new_password": "Cat-Ba-Island-2028"},
    )
    assert r.status_code == 204
