"""Thiết bị đăng nhập: the sessions a person sees (device, address, place, times, which is this one) and
ends, one or all; and the revocation list that makes an ended session's access tokens stop everywhere
(here: the replica that ended it at once, another replica of auth at its next poll)."""

from __future__ import annotations

import asyncio
import hashlib

import jwt

from devstack.testing import client_for

R = "/api/v1/auth"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
VIETTEL = "14.160.32.10"  # allocated to Viet Nam (VNPT); an address as the gateway forwards it


def sid(tokens: dict) -> str:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]


async def sign_in(client, p, h, ua: str) -> dict:
    r = await h.login(client, p["phone"], p["password"], headers={"User-Agent": ua})
    assert r.status_code == 200, r.text
    return r.json()


async def listed(client, tokens: dict, h, lang: str = "vi") -> dict:
    r = await client.get(
        f"{R}/sessions", headers={**h.bearer(tokens["access_token"]), "Accept-Language": lang}
    )
    assert r.status_code == 200, r.text
    return r.json()


def problem(r, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code


async def test_the_list_shows_each_sign_in_with_its_device_address_place_and_times(auth, person, h):
    p = person()
    await h.register(auth, p)
    phone_client = client_for(auth.app, VIETTEL)
    async with phone_client:
        laptop = await sign_in(auth, p, h, CHROME)
        phone = await sign_in(phone_client, p, h, IPHONE)
        seen = await listed(auth, laptop, h)
        assert seen["more"] is False
        rows = {row["id"]: row for row in seen["items"]}
        assert seen["items"][0]["id"] == sid(laptop) and seen["items"][0]["current"] is True
        assert [row["current"] for row in seen["items"]].count(True) == 1
        mine, theirs = rows[sid(laptop)], rows[sid(phone)]
        assert mine["device"] == "Chrome 131 trên Windows 10"
        assert mine["ip"] == "127.0.0.1" and mine["place"] is None  # a local address has no country
        assert theirs["device"] == "Safari 17 trên iOS 17.5"
        assert theirs["ip"] == VIETTEL and theirs["place"] == "Việt Nam"
        english = {row["id"]: row for row in (await listed(auth, laptop, h, "en"))["items"]}
        assert english[sid(phone)]["device"] == "Safari 17 on iOS 17.5"
        assert english[sid(phone)]["place"] == "Vietnam"

        # Using a session (a refresh) moves its "last used" and its address, never when it began.
        await asyncio.sleep(0.05)
        r = await auth.post(f"{R}/refresh", json={"refresh_token": phone["refresh_token"]})
        assert r.status_code == 200
        after = {row["id"]: row for row in (await listed(auth, laptop, h))["items"]}[sid(phone)]
        assert after["started_at"] == theirs["started_at"]
        assert after["last_used_at"] > theirs["last_used_at"]
        assert after["ip"] == "127.0.0.1" and after["device"] == theirs["device"]  # the device stays
        # The list is the caller's: the other session sees the same rows, itself as current.
        from_phone = await listed(phone_client, r.json(), h)
        assert {row["id"] for row in from_phone["items"]} == set(rows)
        assert next(row for row in from_phone["items"] if row["current"])["id"] == sid(phone)


async def test_a_hostile_user_agent_is_kept_short_and_printable(auth, person, h):
    p = person()
    await h.register(auth, p)
    tokens = await sign_in(auth, p, h, "Evil/1.0 " + "(" * 5000 + "\x1b[31m")
    stored = await auth.app.state.runtime.db.refresh_tokens.find_one({"family": sid(tokens)})
    assert len(stored["ua"]) <= 512 and "\x1b" not in stored["ua"]
    row = next(r for r in (await listed(auth, tokens, h))["items"] if r["current"])
    assert row["device"] and len(row["device"]) < 100


async def test_ending_one_session_signs_that_device_out_and_only_it(auth, person, h):
    p = person()
    await h.register(auth, p)
    laptop = await sign_in(auth, p, h, CHROME)
    phone = await sign_in(auth, p, h, IPHONE)
    r = await auth.delete(f"{R}/sessions/{sid(phone)}", headers=h.bearer(laptop["access_token"]))
    assert r.status_code == 204, r.text
    # The phone: its refresh token refused, its access token too (this replica ended it: at once).
    problem(
        await auth.post(f"{R}/refresh", json={"refresh_token": phone["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    problem(await auth.get(f"{R}/me", headers=h.bearer(phone["access_token"])), 401, "unauthenticated")
    # The laptop goes on, and no longer lists the phone.
    ids = {row["id"] for row in (await listed(auth, laptop, h))["items"]}
    assert sid(laptop) in ids and sid(phone) not in ids
    # Ended once: a second time it is not found, and says nothing new.
    problem(
        await auth.delete(f"{R}/sessions/{sid(phone)}", headers=h.bearer(laptop["access_token"])),
        404,
        "session-not-found",
    )
    user_id = (await auth.get(f"{R}/me", headers=h.bearer(laptop["access_token"]))).json()["id"]
    ended = [e["data"] for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")]
    assert [(e["reason"], e["session_id"]) for e in ended if e["user_id"] == user_id] == [
        ("logout", sid(phone))
    ]
    # Published in the revocation list, with the time.
    doc = (await auth.get(f"{R}/.well-known/revoked")).json()
    assert sid(phone) in {e["id"] for e in doc["sessions"]}


async def test_someone_elses_session_is_not_found_and_stays_signed_in(auth, person, h):
    a, b = person(), person()
    await h.register(auth, a)
    await h.register(auth, b)
    victim = await sign_in(auth, a, h, CHROME)
    hostile = await sign_in(auth, b, h, CHROME)
    tokens = auth.app.state.runtime.db.refresh_tokens
    before = await tokens.count_documents({"revoked": True})
    unknown = "0" * 32
    for target in (sid(victim), unknown):
        r = await auth.delete(f"{R}/sessions/{target}", headers=h.bearer(hostile["access_token"]))
        problem(r, 404, "session-not-found")
        # The same answer, word for word, for a session that is someone's and one that is no one's.
        assert (
            r.json()["detail"]
            == (
                await auth.delete(f"{R}/sessions/{unknown}", headers=h.bearer(hostile["access_token"]))
            ).json()["detail"]
        )
    assert await tokens.count_documents({"revoked": True}) == before
    assert (await auth.get(f"{R}/me", headers=h.bearer(victim["access_token"]))).status_code == 200
    r = await auth.post(f"{R}/refresh", json={"refresh_token": victim["refresh_token"]})
    assert r.status_code == 200
    # Nor is it in the hostile user's list.
    assert sid(victim) not in {row["id"] for row in (await listed(auth, hostile, h))["items"]}
    # Whatever is not a session id is refused as such, before any lookup; nothing anonymous gets in.
    for bad in ("abc", "0" * 31 + "G", "%24ne", "0" * 33):
        problem(
            await auth.delete(f"{R}/sessions/{bad}", headers=h.bearer(hostile["access_token"])),
            422,
            "validation-error",
        )
    problem(await auth.get(f"{R}/sessions"), 401, "unauthenticated")
    problem(await auth.delete(f"{R}/sessions/{sid(victim)}"), 401, "unauthenticated")
    problem(await auth.delete(f"{R}/sessions"), 401, "unauthenticated")
    assert await tokens.count_documents({"revoked": True}) == before


async def test_ending_all_other_sessions_keeps_this_one(auth, person, h):
    p = person()
    user = await h.register(auth, p)  # registering signed in once too (to confirm the email)
    here = await sign_in(auth, p, h, CHROME)
    others = [await sign_in(auth, p, h, IPHONE) for _ in range(2)]
    r = await auth.delete(
        f"{R}/sessions", params={"keep_current": "true"}, headers=h.bearer(here["access_token"])
    )
    assert r.status_code == 200 and r.json() == {"ended": 3}
    assert [row["id"] for row in (await listed(auth, here, h))["items"]] == [sid(here)]
    for o in others:
        problem(await auth.get(f"{R}/me", headers=h.bearer(o["access_token"])), 401, "unauthenticated")
        problem(
            await auth.post(f"{R}/refresh", json={"refresh_token": o["refresh_token"]}),
            401,
            "invalid-refresh-token",
        )
    assert (await auth.post(f"{R}/refresh", json={"refresh_token": here["refresh_token"]})).status_code == 200
    ended = [
        e["data"]
        for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")
        if e["data"]["user_id"] == user["id"]
    ]
    # One event a session, this one not among them (its live notification stream stays open).
    assert len(ended) == 3 and {e["session_id"] for e in ended} >= {sid(o) for o in others}
    assert sid(here) not in {e["session_id"] for e in ended} and all(e["reason"] == "logout" for e in ended)
    # Nothing else to end: none.
    r = await auth.delete(
        f"{R}/sessions", params={"keep_current": True}, headers=h.bearer(here["access_token"])
    )
    assert r.json() == {"ended": 0}
    problem(
        await auth.delete(
            f"{R}/sessions", params={"keep_current": "maybe"}, headers=h.bearer(here["access_token"])
        ),
        422,
        "validation-error",
    )


async def test_ending_all_sessions_ends_this_one_too(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    here = await sign_in(auth, p, h, CHROME)
    r = await auth.delete(f"{R}/sessions", headers=h.bearer(here["access_token"]))
    assert r.status_code == 200 and r.json() == {"ended": 2}
    problem(await auth.get(f"{R}/me", headers=h.bearer(here["access_token"])), 401, "unauthenticated")
    problem(
        await auth.post(f"{R}/refresh", json={"refresh_token": here["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    ended = [
        e["data"]
        for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")
        if e["data"]["user_id"] == user["id"]
    ]
    assert [(e["reason"], e["session_id"]) for e in ended] == [("logout", None)]  # all of them, in one
    # Signing in again is a new session, accepted.
    again = await sign_in(auth, p, h, CHROME)
    assert (await auth.get(f"{R}/me", headers=h.bearer(again["access_token"]))).status_code == 200


async def test_another_auth_replica_refuses_an_ended_session_at_its_next_poll(make_auth, person, h):
    """Two replicas on one database; the session is ended through the first. The second did not end it:
    it refuses the token once its list is polled (every 0.2 s here; 20 s by default)."""
    first = await make_auth(revocations_refresh_seconds=0.2)
    second = await make_auth(
        revocations_refresh_seconds=0.2, mongo_db=first.app.state.runtime.settings.mongo_db
    )
    p = person()
    await h.register(first, p)
    laptop = await sign_in(first, p, h, CHROME)
    stolen = await sign_in(first, p, h, IPHONE)
    assert (await second.get(f"{R}/me", headers=h.bearer(stolen["access_token"]))).status_code == 200
    r = await first.delete(f"{R}/sessions/{sid(stolen)}", headers=h.bearer(laptop["access_token"]))
    assert r.status_code == 204
    for _ in range(50):  # 5 s at most
        got = await second.get(f"{R}/me", headers=h.bearer(stolen["access_token"]))
        if got.status_code == 401:
            break
        await asyncio.sleep(0.1)
    problem(got, 401, "unauthenticated")
    assert (await second.get(f"{R}/me", headers=h.bearer(laptop["access_token"]))).status_code == 200


async def test_a_lock_lists_the_account_and_its_tokens_stop(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    tokens = await sign_in(auth, p, h, CHROME)
    admin = await h.admin_token(auth)
    r = await auth.patch(f"{R}/users/{user['id']}", json={"locked": True}, headers=h.bearer(admin))
    assert r.status_code == 200
    problem(await auth.get(f"{R}/me", headers=h.bearer(tokens["access_token"])), 401, "unauthenticated")
    doc = (await auth.get(f"{R}/.well-known/revoked")).json()
    # Named by the digest of the id: the public list names nobody.
    key = hashlib.sha256(user["id"].encode()).hexdigest()
    assert key in {e["id"] for e in doc["users"]} and user["id"] not in str(doc)
    assert sid(tokens) in {e["id"] for e in doc["sessions"]}
    # Unlocked and signed in again: the new token is issued after the lock and accepted.
    await asyncio.sleep(1.1)  # tokens carry whole seconds: one from the lock's second would be refused
    r = await auth.patch(f"{R}/users/{user['id']}", json={"locked": False}, headers=h.bearer(admin))
    assert r.status_code == 200
    again = await sign_in(auth, p, h, CHROME)
    assert (await auth.get(f"{R}/me", headers=h.bearer(again["access_token"]))).status_code == 200


async def test_a_password_reset_ends_every_session_and_lists_them(auth, person, h):
    p = person()
    user = await h.register(auth, p)
    tokens = await sign_in(auth, p, h, CHROME)
    assert (await auth.post(f"{R}/password/forgot", json={"username": p["phone"]})).status_code == 202
    code = await h.code(auth.app, "password_reset", user_id=user["id"])
    body = {"username": p["phone"], "code": code, "new_password": "Hon-Dau-Lighthouse-9"}
    assert (await auth.post(f"{R}/password/reset", json=body)).status_code == 204
    problem(await auth.get(f"{R}/me", headers=h.bearer(tokens["access_token"])), 401, "unauthenticated")
    doc = (await auth.get(f"{R}/.well-known/revoked")).json()
    assert sid(tokens) in {e["id"] for e in doc["sessions"]}
    # At once after the reset, a new sign-in works (sessions are listed by id, not the account by time).
    again = (await h.login(auth, p["phone"], "Hon-Dau-Lighthouse-9")).json()
    assert (await auth.get(f"{R}/me", headers=h.bearer(again["access_token"]))).status_code == 200


async def test_the_revocation_list_answers_by_time_page_by_page(make_auth, person, h):
    auth = await make_auth(revocations_page=2)
    p = person()
    await h.register(auth, p)
    here = await sign_in(auth, p, h, CHROME)
    others = [await sign_in(auth, p, h, IPHONE) for _ in range(4)]
    first = await auth.get(f"{R}/.well-known/revoked")
    assert first.status_code == 200 and first.headers["cache-control"] == "public, max-age=5"
    since = first.json()["now"]
    assert first.json()["window"] == 900 + 60 and first.json()["next"] is None
    for o in others[:3]:
        await auth.delete(f"{R}/sessions/{sid(o)}", headers=h.bearer(here["access_token"]))
    # From the first answer's time: only what was listed since, two an answer, then the rest.
    seen, params = [], {"since": since}
    for _ in range(5):
        page = (await auth.get(f"{R}/.well-known/revoked", params=params)).json()
        assert len(page["sessions"]) <= 2
        seen += [e["id"] for e in page["sessions"]]
        if not page["next"]:
            break
        params = page["next"]
    assert seen == [sid(o) for o in others[:3]]
    assert all(e["at"] >= since for e in page["sessions"])
    # A time in the future: nothing yet; nonsense: a problem, and nothing changed.
    later = (await auth.get(f"{R}/.well-known/revoked", params={"since": since + 3600})).json()
    assert later["sessions"] == [] and later["users"] == []
    for bad in ({"since": "yesterday"}, {"since": -1}, {"after": "session:$ne"}, {"since": "nan"}):
        problem(await auth.get(f"{R}/.well-known/revoked", params=bad), 422, "validation-error")


async def test_a_session_ended_while_it_refreshes_stays_ended(auth, person, h):
    """The refresh marks its token used, then makes the next one: a session ended between the two must not
    come back with the new token once it leaves the revocation list (16 minutes later)."""
    p = person()
    await h.register(auth, p)
    laptop = await sign_in(auth, p, h, CHROME)
    phone = await sign_in(auth, p, h, IPHONE)
    users = auth.app.state.sessions.users
    real_get = users.get

    async def ended_meanwhile(user_id):
        # The holder signs the phone out from the laptop while the phone's refresh is under way.
        r = await auth.delete(f"{R}/sessions/{sid(phone)}", headers=h.bearer(laptop["access_token"]))
        assert r.status_code == 204
        return await real_get(user_id)

    users.get = ended_meanwhile
    try:
        r = await auth.post(f"{R}/refresh", json={"refresh_token": phone["refresh_token"]})
    finally:
        users.get = real_get
    problem(r, 401, "invalid-refresh-token")
    live = await auth.app.state.runtime.db.refresh_tokens.count_documents(
        {"family": sid(phone), "revoked": False}
    )
    assert live == 0
