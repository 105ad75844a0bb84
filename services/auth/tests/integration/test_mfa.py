"""The second factor of officers and administrators: enrolment on the first sign-in, a TOTP code (or a
recovery code) after every password, each code once, wrong codes counted like wrong passwords, the
administrator's reset; citizens sign in as before."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp

from dvckit.sealed import Sealer

R = "/api/v1/auth"
OFFICER_PASSWORD = "Mot-Cua-Officer-1"


async def new_officer(auth, h, username: str = "quang.dv", admin: str = "") -> dict:
    body = {
        "full_name": "Đỗ Văn Quang",
        "role": "officer",
        "agencies": ["000.00.31.H26"],
        "username": username,
        "password": OFFICER_PASSWORD,
    }
    r = await auth.post(f"{R}/users", json=body, headers=h.bearer(admin or await h.admin_token(auth)))
    assert r.status_code == 201, r.text
    return r.json()


async def enrolled(auth, h, username: str = "quang.dv") -> tuple[dict, str]:
    """An officer who has signed in once (and so enrolled): the account and its TOTP secret."""
    user = await new_officer(auth, h, username)
    _, factor = await h.sign_in(auth, username, OFFICER_PASSWORD)
    return user, factor.secret


async def ticket(auth, h, username: str = "quang.dv", password: str = OFFICER_PASSWORD, **kw) -> dict:
    r = await h.login(auth, username, password, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def users(auth):
    return auth.app.state.runtime.db.users


async def test_a_citizen_signs_in_with_the_password_alone_as_before(auth, person, h):
    p = person()
    await h.register(auth, p)
    r = await h.login(auth, p["phone"], p["password"])
    assert r.status_code == 200
    assert set(r.json()) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
    }
    assert not await auth.app.state.runtime.db.mfa_tickets.count_documents({})


async def test_an_officer_enrols_at_the_first_sign_in_then_signs_in_with_a_code(auth, h):
    user = await new_officer(auth, h)
    first = await ticket(auth, h)
    # The right password alone is no session: a ticket for the second step, nothing else.
    assert set(first) == {"mfa", "mfa_token", "expires_in"} and first["mfa"] == "enrol"
    assert first["expires_in"] == 900
    t = {"mfa_token": first["mfa_token"]}
    early = await auth.post(f"{R}/mfa/totp/verify", json={**t, "code": "123456"})
    assert early.status_code == 409 and early.json()["code"] == "mfa-enrolment-not-started"

    made = await auth.post(f"{R}/mfa/totp", json=t)
    assert made.status_code == 200, made.text
    m = made.json()
    secret, codes = m["secret"], m["recovery_codes"]
    uri = urlsplit(m["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp"
    assert unquote(uri.path) == "/DVC Hải Phòng:quang.dv"
    assert parse_qs(uri.query)["secret"] == [secret] and parse_qs(uri.query)["issuer"] == ["DVC Hải Phòng"]
    assert len(secret) == 32 and len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    # Not the account's until a first code proves the app holds it.
    assert "mfa" not in await users(auth).find_one({"_id": user["id"]})

    wrong = await auth.post(f"{R}/mfa/totp/verify", json={**t, "code": "000000"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "invalid-mfa-code"
    assert wrong.json()["tries_left"] == 2
    assert wrong.json()["title"] == "Mã xác thực không đúng"
    english = await auth.post(
        f"{R}/mfa/totp/verify", json={**t, "code": "000001"}, headers={"Accept-Language": "en"}
    )
    assert english.json()["title"] == "The code is wrong" and english.json()["tries_left"] == 1
    code = h.totp(secret, auth)
    done = await auth.post(f"{R}/mfa/totp/verify", json={**t, "code": code})
    assert done.status_code == 200, done.text
    principal = await auth.app.state.runtime.tokens.verify(done.json()["access_token"])
    assert principal.sub == user["id"] and principal.roles == ("officer", "reception", "specialist", "leader")
    again = await auth.post(f"{R}/mfa/totp/verify", json={**t, "code": code})
    assert again.status_code == 401 and again.json()["code"] == "invalid-mfa-ticket"  # single use

    # At rest: the secret sealed under AUTH_MFA_KEY, recovery codes as digests only.
    stored = (await users(auth).find_one({"_id": user["id"]}))["mfa"]
    assert secret not in str(stored) and not any(c in str(stored) for c in codes)
    assert Sealer(auth.app.state.settings.mfa_key.get_secret_value()).open(stored["totp"]) == secret
    assert len(stored["recovery"]) == 10

    # Later sign-ins: a code; the enrolment's code never again (replayed), the next one yes.
    later = await ticket(auth, h)
    assert later["mfa"] == "totp" and later["expires_in"] == 300
    replay = await auth.post(f"{R}/login/mfa", json={"mfa_token": later["mfa_token"], "code": code})
    assert replay.status_code == 401 and replay.json()["code"] == "invalid-mfa-code"
    ok = await auth.post(
        f"{R}/login/mfa", json={"mfa_token": later["mfa_token"], "code": h.totp(secret, auth)}
    )
    assert ok.status_code == 200, ok.text
    # The login refreshes like any other.
    r = await auth.post(f"{R}/refresh", json={"refresh_token": ok.json()["refresh_token"]})
    assert r.status_code == 200, r.text
    listed = await auth.get(f"{R}/users", params={"q": "quang"}, headers=h.bearer(await h.admin_token(auth)))
    assert listed.json()["items"][0]["mfa_enrolled"] is True


async def test_a_stolen_password_opens_nothing(auth, h):
    await enrolled(auth, h)
    t = await ticket(auth, h)
    assert "access_token" not in t and "refresh_token" not in t
    # The ticket is no token: not for the API, not for a refresh, not for the enrolment of a new app.
    assert (await auth.get(f"{R}/me", headers=h.bearer(t["mfa_token"]))).status_code == 401
    assert (await auth.post(f"{R}/refresh", json={"refresh_token": t["mfa_token"]})).status_code == 401
    r = await auth.post(f"{R}/mfa/totp", json={"mfa_token": t["mfa_token"]})
    assert r.status_code == 401 and r.json()["code"] == "invalid-mfa-ticket"
    # A first sign-in's ticket is not a later one's, and the other way round.
    user2 = await new_officer(auth, h, "lan.nt")
    fresh = await ticket(auth, h, "lan.nt")
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": fresh["mfa_token"], "code": "123456"})
    assert r.status_code == 401 and r.json()["code"] == "invalid-mfa-ticket"
    assert "mfa" not in await users(auth).find_one({"_id": user2["id"]})


async def test_a_code_works_once_even_for_two_sign_ins_at_the_same_moment(auth, h):
    _, secret = await enrolled(auth, h)
    a, b = await ticket(auth, h), await ticket(auth, h)
    code = h.totp(secret, auth)
    answers = await asyncio.gather(
        *(auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": code}) for t in (a, b))
    )
    assert sorted(r.status_code for r in answers) == [200, 401]


async def test_wrong_codes_lock_like_wrong_passwords_and_the_ticket_dies(auth, h):
    user, secret = await enrolled(auth, h)
    t = await ticket(auth, h)
    for left in (2, 1, 0):
        r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": "000000"})
        assert r.status_code == 401 and r.json()["tries_left"] == left
    # Dead after its last try, even for the right code.
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": h.totp(secret, auth)})
    assert r.status_code == 401 and r.json()["code"] == "invalid-mfa-ticket"
    # The right password again clears nothing: two more wrong codes make five failures, and lock.
    t = await ticket(auth, h)
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": "000000"})
    assert r.status_code == 401
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": "000000"})
    assert (
        r.status_code == 429 and r.json()["code"] == "too-many-attempts" and int(r.headers["Retry-After"]) > 0
    )
    # Locked: the password step too, and the ticket is gone.
    assert (await h.login(auth, "quang.dv", OFFICER_PASSWORD)).status_code == 429
    assert not await auth.app.state.runtime.db.mfa_tickets.count_documents({"user_id": user["id"]})
    attempts = auth.app.state.runtime.db.login_attempts
    assert await attempts.count_documents({"user_id": user["id"], "reason": "bad-mfa-code"}) == 5


async def test_a_locked_account_waits_at_the_second_step_too(make_auth, h):
    auth = await make_auth(lockout_failures=2)
    _, secret = await enrolled(auth, h)
    t = await ticket(auth, h)
    assert (await h.login(auth, "quang.dv", "Wrong-Password-1")).status_code == 401
    assert (await h.login(auth, "quang.dv", "Wrong-Password-1")).status_code == 429
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": h.totp(secret, auth)})
    assert r.status_code == 429, r.text


async def test_recovery_codes_sign_in_once_each(auth, h):
    await new_officer(auth, h)
    _, factor = await h.sign_in(auth, "quang.dv", OFFICER_PASSWORD)
    code = factor.recovery_codes[3]
    t = await ticket(auth, h)
    typed = code.replace("-", " ").upper()  # as read aloud from paper
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": typed})
    assert r.status_code == 200, r.text
    assert len((await users(auth).find_one({"username": "quang.dv"}))["mfa"]["recovery"]) == 9
    t = await ticket(auth, h)
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": code})
    assert r.status_code == 401 and r.json()["code"] == "invalid-mfa-code"
    attempts = auth.app.state.runtime.db.login_attempts
    assert await attempts.count_documents({"reason": "ok-recovery-code"}) == 1


async def test_bad_input_is_a_422_and_spends_no_try(auth, h):
    await enrolled(auth, h)
    t = await ticket(auth, h)
    for body in (
        {"mfa_token": t["mfa_token"], "code": "12345"},
        {"mfa_token": t["mfa_token"], "code": "12345678901234567890"},
        {"mfa_token": t["mfa_token"], "code": "１２３４５６"},  # full-width digits
        {"mfa_token": "short", "code": "123456"},
        {"mfa_token": t["mfa_token"]},
        {"mfa_token": t["mfa_token"], "code": "123456", "remember": True},
    ):
        r = await auth.post(f"{R}/login/mfa", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    tickets = auth.app.state.runtime.db.mfa_tickets
    assert (await tickets.find_one({}))["tries_left"] == 3
    assert not await auth.app.state.runtime.db.login_attempts.count_documents({"reason": "bad-mfa-code"})


async def test_an_expired_ticket_opens_nothing(make_auth, h):
    auth = await make_auth(mfa_ticket_seconds=1)
    _, secret = await enrolled(auth, h)
    t = await ticket(auth, h)
    await asyncio.sleep(1.5)
    r = await auth.post(f"{R}/login/mfa", json={"mfa_token": t["mfa_token"], "code": h.totp(secret, auth)})
    assert r.status_code == 401 and r.json()["code"] == "invalid-mfa-ticket"


async def test_an_administrator_resets_another_accounts_second_factor(auth, h):
    admin = await h.admin_token(auth)
    me = (await auth.get(f"{R}/me", headers=h.bearer(admin))).json()
    user = await new_officer(auth, h, admin=admin)
    session, factor = await h.sign_in(auth, "quang.dv", OFFICER_PASSWORD)
    secret = factor.secret
    waiting = await ticket(auth, h)  # half signed in when the reset comes

    r = await auth.delete(f"{R}/users/{user['id']}/mfa", headers=h.bearer(admin))
    assert r.status_code == 204, r.text
    assert "mfa" not in await users(auth).find_one({"_id": user["id"]})
    # Every session ended, and the half-done sign-in too.
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": session["refresh_token"]})
    ).status_code == 401
    r = await auth.post(
        f"{R}/login/mfa", json={"mfa_token": waiting["mfa_token"], "code": h.totp(secret, auth)}
    )
    assert r.status_code == 401 and r.json()["code"] == "invalid-mfa-ticket"
    # Recorded: who and when; the sessions' end announced.
    resets = [e["data"] for e in await h.outbox_events(auth.app, "user.mfa_reset.v1")]
    assert [(e["user_id"], e["reset_by"]) for e in resets] == [(user["id"], me["id"])]
    ended = [e["data"] for e in await h.outbox_events(auth.app, "user.sessions_ended.v1")]
    assert any(e["user_id"] == user["id"] and e["session_id"] is None for e in ended)
    # The next sign-in enrols again, with a new secret.
    assert (await ticket(auth, h))["mfa"] == "enrol"
    _, factor = await h.sign_in(auth, "quang.dv", OFFICER_PASSWORD)
    assert factor.secret and factor.secret != secret

    # Not one's own; not an account without a second factor; not a missing one: nothing changes.
    own = await auth.delete(f"{R}/users/{me['id']}/mfa", headers=h.bearer(admin))
    assert own.status_code == 409 and own.json()["code"] == "self-mfa-reset"
    assert (await users(auth).find_one({"_id": me["id"]}))["mfa"]
    other = await new_officer(auth, h, "lan.nt", admin=admin)
    none = await auth.delete(f"{R}/users/{other['id']}/mfa", headers=h.bearer(admin))
    assert none.status_code == 409 and none.json()["code"] == "mfa-not-enrolled"
    assert (await auth.delete(f"{R}/users/nobody/mfa", headers=h.bearer(admin))).status_code == 404
    assert len(await h.outbox_events(auth.app, "user.mfa_reset.v1")) == 1


async def test_only_an_administrator_resets_a_second_factor(auth, h, person):
    user, secret = await enrolled(auth, h)
    officer, _ = await h.sign_in(auth, "quang.dv", OFFICER_PASSWORD, secret)
    p = person()
    await h.register(auth, p)
    citizen = (await h.login(auth, p["phone"], p["password"])).json()["access_token"]
    path = f"{R}/users/{user['id']}/mfa"
    assert (await auth.delete(path)).status_code == 401
    assert (await auth.delete(path, headers=h.bearer(citizen))).status_code == 403
    assert (await auth.delete(path, headers=h.bearer(officer["access_token"]))).status_code == 403
    assert (await users(auth).find_one({"_id": user["id"]}))["mfa"]


async def test_a_login_made_without_the_second_factor_gives_no_staff_session(make_auth, h, person):
    """A citizen made an officer, and staff signed in before the second factor was required: their
    refresh tokens do not carry them into staff rights."""
    auth = await make_auth()
    p = person()
    user = await h.register(auth, p)
    before = (await h.login(auth, p["phone"], p["password"])).json()
    r = await auth.patch(
        f"{R}/users/{user['id']}",
        json={"roles": ["citizen", "officer"], "agencies": ["000.00.31.H26"]},
        headers=h.bearer(await h.admin_token(auth)),
    )
    assert r.status_code == 200
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": before["refresh_token"]})
    ).status_code == 401
    assert (await ticket(auth, h, p["phone"], p["password"]))["mfa"] == "enrol"

    off = await make_auth(staff_mfa="off")
    await new_officer(off, h)
    plain = (await h.login(off, "quang.dv", OFFICER_PASSWORD)).json()
    assert plain["access_token"]  # development with AUTH_STAFF_MFA=off: a password alone
    required = await make_auth(mongo_db=off.app.state.settings.mongo_db)
    r = await required.post(f"{R}/refresh", json={"refresh_token": plain["refresh_token"]})
    assert r.status_code == 401


async def test_the_first_administrator_takes_its_secret_from_the_setting(make_auth, h):
    auth = await make_auth()
    admin = await users(auth).find_one({"username": "admin"})
    sealer = Sealer(auth.app.state.settings.mfa_key.get_secret_value())
    assert sealer.open(admin["mfa"]["totp"]) == h.ADMIN_TOTP
    # Changed (a developer's new one): the next start takes it.
    other = pyotp.random_base32(32)
    again = await make_auth(mongo_db=auth.app.state.settings.mongo_db, admin_totp_secret=other)
    assert sealer.open((await users(again).find_one({"username": "admin"}))["mfa"]["totp"]) == other
    tokens, _ = await h.sign_in(again, "admin", "Admin-Test-Pass-42", other)
    assert tokens["access_token"]
    # Without one, the first administrator enrols at its first sign-in like everyone else.
    fresh = await make_auth(admin_totp_secret=None)
    assert (await ticket(fresh, h, "admin", "Admin-Test-Pass-42"))["mfa"] == "enrol"
