"""Login failures, lockout, throttling, refresh rotation and reuse detection, logout."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from devstack.testing import client_for

R = "/api/v1/auth"


async def test_failed_login_says_the_same_whether_or_not_the_account_exists(auth, person, h):
    p = person()
    await h.register(auth, p)
    pw = auth.app.state.passwords
    before = pw.verifications
    wrong = await h.login(auth, p["citizen_id"], "Not-The-Password-1")
    after_wrong = pw.verifications
    unknown = await h.login(auth, "099999999999", "Not-The-Password-1")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid-credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]
    # Both paths spend one argon2 verification: an unknown account is checked against a dummy hash.
    assert after_wrong - before == 1 and pw.verifications - after_wrong == 1


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_repeated_failures_lock_the_account_name_temporarily(auth, person, h):
    p = person()
    await h.register(auth, p)
    before = {
        "bad": metric("auth_login_failures_total", reason="bad-credentials"),
        "throttled": metric("auth_login_failures_total", reason="throttled"),
        "lockouts": metric("auth_lockouts_total", scope="account"),
    }
    for _ in range(4):
        assert (await h.login(auth, p["phone"], "Wrong-Password-99")).status_code == 401
    fifth = await h.login(auth, p["phone"], "Wrong-Password-99")
    assert fifth.status_code == 429 and int(fifth.headers["retry-after"]) > 0
    # Locked now, even with the right password...
    locked = await h.login(auth, p["phone"], p["password"])
    assert locked.status_code == 429 and locked.json()["code"] == "too-many-attempts"
    # ...and an account name that does not exist locks the same way, so a lockout reveals nothing.
    for _ in range(5):
        last = await h.login(auth, "ai.do@example.vn", "Wrong-Password-99")
    assert last.status_code == 429
    log = auth.app.state.runtime.db.login_attempts
    assert await log.count_documents({"reason": "bad-credentials"}) >= 10
    assert await log.count_documents({"reason": "throttled"}) >= 1
    assert await log.count_documents({"login": p["phone"]}) == 0  # names are kept only as digests
    # /metrics: the failures by reason, and the two lockouts as they started
    assert metric("auth_login_failures_total", reason="bad-credentials") - before["bad"] >= 10
    assert metric("auth_login_failures_total", reason="throttled") - before["throttled"] >= 1
    assert metric("auth_lockouts_total", scope="account") - before["lockouts"] >= 2


async def test_a_burst_of_wrong_passwords_at_once_is_counted_whole_and_locks(auth, person, h):
    """Twelve guesses in the same instant, on an account with no failure yet (its counter is created by
    one of them): each is refused as a guess or a lockout, none fails, and all twelve are counted."""
    p = person()
    user = await h.register(auth, p)
    answers = await asyncio.gather(*(h.login(auth, p["email"], f"Wrong-Password-{i}") for i in range(12)))
    assert {a.status_code for a in answers} <= {401, 429} and 429 in {a.status_code for a in answers}
    counter = await auth.app.state.runtime.db.login_throttle.find_one({"_id": f"acct:user:{user['id']}"})
    assert counter["fails"] == 12 and counter["locked_until"] is not None
    assert (await h.login(auth, p["email"], p["password"])).status_code == 429


async def test_lockout_ends_after_its_time(make_auth, person, h):
    auth = await make_auth(lockout_failures=2, lockout_seconds=1, lockout_window_seconds=60)
    p = person()
    await h.register(auth, p)
    await h.login(auth, p["phone"], "Wrong-Password-99")
    assert (await h.login(auth, p["phone"], "Wrong-Password-99")).status_code == 429
    await asyncio.sleep(2.1)
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 200


async def test_an_address_with_many_failures_is_throttled_and_others_are_not(make_auth, person, h):
    auth = await make_auth(ip_failures=6, lockout_failures=100)
    p = person()
    await h.register(auth, p)
    attacker = client_for(auth.app, "203.0.113.7")
    async with attacker:
        for i in range(6):
            await h.login(attacker, f"09{i:08d}", "Wrong-Password-99")
        r = await h.login(attacker, p["phone"], p["password"])
        assert r.status_code == 429
    neighbour = client_for(auth.app, "198.51.100.20")
    async with neighbour:
        assert (await h.login(neighbour, p["phone"], p["password"])).status_code == 200


async def test_refresh_rotates_and_a_reused_token_ends_the_whole_login(auth, person, h):
    p = person()
    await h.register(auth, p)
    first = (await h.login(auth, p["email"], p["password"])).json()
    second = await auth.post(f"{R}/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second = second.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await auth.get(f"{R}/me", headers=h.bearer(second["access_token"]))).status_code == 200

    # The first token again: a copy is in someone else's hands. The family is revoked...
    reuse = await auth.post(f"{R}/refresh", json={"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401 and reuse.json()["code"] == "invalid-refresh-token"
    # ...so the legitimate latest token stops working too.
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": second["refresh_token"]})
    ).status_code == 401
    # Tokens are stored only as digests.
    stored = await auth.app.state.runtime.db.refresh_tokens.find_one({})
    assert first["refresh_token"] not in str(stored)


async def test_logout_revokes_the_refresh_token(auth, person, h):
    p = person()
    await h.register(auth, p)
    tokens = (await h.login(auth, p["phone"], p["password"])).json()
    other = (await h.login(auth, p["phone"], p["password"])).json()  # another device
    assert (
        await auth.post(f"{R}/logout", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 204
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).status_code == 401
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": other["refresh_token"]})
    ).status_code == 200


async def test_bad_login_bodies_are_problems(auth, h):
    for body in (
        {"username": {"$ne": None}, "password": "x"},
        {"username": "a"},
        {"password": "x"},
        {"username": "a", "password": "b", "remember": True},
    ):
        r = await auth.post(f"{R}/login", json=body)
        assert r.status_code == 422, body
    assert (await auth.post(f"{R}/refresh", json={"refresh_token": "short"})).status_code == 422
    assert (await auth.post(f"{R}/refresh", json={"refresh_token": "x" * 43})).status_code == 401


async def test_failures_count_against_the_account_whichever_name_is_typed(auth, person, h):
    """Finding 10: the citizen ID, phone and email each allowed 5 tries (15 for one account)."""
    p = person()
    await h.register(auth, p)
    names = [p["citizen_id"], p["phone"], p["email"], p["citizen_id"], p["phone"]]
    answers = [(await h.login(auth, n, "Wrong-Password-99")).status_code for n in names]
    assert answers == [401, 401, 401, 401, 429]
    for name in (p["citizen_id"], p["phone"], p["email"]):
        assert (await h.login(auth, name, p["password"])).status_code == 429


async def test_tokens_name_their_login_and_signing_out_announces_which(auth, person, h):
    import jwt

    p = person()
    user = await h.register(auth, p)
    tokens = (await h.login(auth, p["phone"], p["password"])).json()
    sid = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    stored = await auth.app.state.runtime.db.refresh_tokens.find_one(
        {"user_id": user["id"]}, sort=[("created_at", -1)]
    )
    assert sid == stored["family"]
    await auth.post(f"{R}/logout", json={"refresh_token": tokens["refresh_token"]})
    await auth.post(f"{R}/logout", json={"refresh_token": tokens["refresh_token"]})  # already ended
    ended = [e["data"] for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")]
    assert [(e["reason"], e["session_id"]) for e in ended if e["user_id"] == user["id"]] == [("logout", sid)]
