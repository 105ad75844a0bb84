"""Forgotten password: a one-time code through the notification service (an event), short-lived, few
tries, used once; the code never stored or published in clear; the answer the same for everyone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from auth.service.codes import destination
from devstack.testing import eventually

R = "/api/v1/auth"
CODES = "user.verification_code_issued.v1"
NEW_PASSWORD = "Cat-Ba-Island-2028"


async def reset(auth, username: str, code: str, new_password: str = NEW_PASSWORD):
    """POST /password/reset, as the form sends it."""
    body = {"username": username, "code": code, "new_password": new_password}
    return await auth.post(f"{R}/password/reset", json=body)


async def resets_for(app, user_id: str, h) -> list[dict]:
    events = await h.outbox_events(app, CODES)
    return [
        e["data"]
        for e in events
        if e["data"]["purpose"] == "password_reset" and e["data"]["user_id"] == user_id
    ]


async def reset_code(auth, user_id: str, h) -> str:
    await eventually(lambda: resets_for(auth.app, user_id, h))
    return await h.code(auth.app, "password_reset", user_id=user_id)


async def test_forgot_and_reset_with_the_code(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    r = await auth.post(f"{R}/password/forgot", json={"username": p["phone"]})
    assert r.status_code == 202
    code = await reset_code(auth, user["id"], h)
    [sent] = await resets_for(auth.app, user["id"], h)
    # Sent to the confirmed email (there is one), sealed: the stored event does not hold the code.
    assert sent["email"] == p["email"] and code not in str(sent) and len(code) == 6 and code.isdigit()
    expires = datetime.fromisoformat(sent["expires_at"])
    assert 500 < (expires - datetime.now(UTC)).total_seconds() <= 600
    # Stored only as a keyed digest.
    stored = await auth.app.state.runtime.db.codes.find_one({"_id": f"reset:{user['id']}"})
    assert stored is not None and code not in str(stored)

    session = (await h.login(auth, p["phone"], p["password"])).json()
    r = await reset(auth, p["phone"], code)
    assert r.status_code == 204
    assert (await h.login(auth, p["phone"], NEW_PASSWORD)).status_code == 200
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 401
    # Single use, and the old sessions are over.
    again = await reset(auth, p["phone"], code, "Another-Pass-2029")
    assert again.status_code == 400
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": session["refresh_token"]})
    ).status_code == 401


async def test_unknown_account_gets_the_same_answer_and_no_message(auth, person, h):
    p = person()
    await h.register(auth, p)
    before = len(await h.outbox_events(auth.app, CODES))
    unknown = await auth.post(f"{R}/password/forgot", json={"username": "khong.co@example.vn"})
    known = await auth.post(f"{R}/password/forgot", json={"username": p["citizen_id"]})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert known.json()["detail"].startswith("Nếu tài khoản tồn tại")
    # Only the real account gets a message (after the answer, in the background).
    await eventually(lambda: _count(auth, h, before + 1))
    await asyncio.sleep(0.3)
    assert len(await h.outbox_events(auth.app, CODES)) == before + 1


async def _count(auth, h, n: int) -> bool:
    return len(await h.outbox_events(auth.app, CODES)) >= n


async def test_wrong_codes_use_up_the_tries(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    await auth.post(f"{R}/password/forgot", json={"username": p["email"]})
    code = await reset_code(auth, user["id"], h)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = await reset(auth, p["email"], wrong)
        assert r.status_code == 400 and r.json()["code"] == "invalid-reset-code"
    r = await reset(auth, p["email"], code)
    assert r.status_code == 400  # the right code, too late
    assert (await h.login(auth, p["email"], p["password"])).status_code == 200


async def test_parallel_guesses_cannot_share_a_try(auth, person, h):
    """Finding 9: 40 guesses at once were all compared though only 5 tries were left."""
    p = person()
    user = await h.register(auth, p)
    await auth.post(f"{R}/password/forgot", json={"username": p["email"]})
    code = await reset_code(auth, user["id"], h)
    wrong = [f"{(int(code) + i) % 10**6:06d}" for i in range(1, 41)]
    answers = await asyncio.gather(*(reset(auth, p["email"], w) for w in wrong))
    assert all(a.status_code == 400 for a in answers)
    record = await auth.app.state.runtime.db.codes.find_one({"_id": f"reset:{user['id']}"})
    assert record["tries_left"] == 0  # five tries spent, never below: the other 35 were not compared
    r = await reset(auth, p["email"], code)
    assert r.status_code == 400


async def test_reset_requests_are_limited_per_hour(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    for _ in range(5):
        assert (await auth.post(f"{R}/password/forgot", json={"username": p["phone"]})).status_code == 202
    # The email's hourly count: its confirmation code at registration, then five asks (codes go there).
    await eventually(lambda: _requests(auth, destination("email", p["email"]), 6))
    await eventually(lambda: _resets(auth, user["id"], h, 2))
    await asyncio.sleep(0.5)  # time for any extra message to show up
    assert len(await resets_for(auth.app, user["id"], h)) == 2


async def _resets(auth, user_id: str, h, n: int) -> bool:
    return len(await resets_for(auth.app, user_id, h)) >= n


async def _requests(auth, dest: str, n: int) -> bool:
    counters = auth.app.state.runtime.db.code_requests
    return sum([c["n"] async for c in counters.find({"_id": {"$regex": f"^{dest}"}})]) >= n


async def test_reset_refuses_a_weak_new_password_and_keeps_the_code(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    await auth.post(f"{R}/password/forgot", json={"username": p["citizen_id"]})
    code = await reset_code(auth, user["id"], h)
    r = await reset(auth, p["citizen_id"], code, "12345678")
    assert r.status_code == 422 and r.json()["code"] == "weak-password"
    r = await reset(auth, p["citizen_id"], code)
    assert r.status_code == 204
