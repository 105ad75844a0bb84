"""The second factor of officers and administrators against someone holding a stolen password, a code
seen over a shoulder, or time to guess codes; and an administrator undoing their own (through the
gateway of the test stack). Each test fails on the code before the second factor."""

from __future__ import annotations

import uuid

import pyotp

from devstack.client import scope_of, totp_code

from .conftest import AGENCY_X, World
from .test_hostile import address, refused, too_many, until_limited

A = "/api/v1/auth"
S = "/api/v1/submissions"


def officer(world: World) -> tuple[dict[str, str], str]:
    """A new officer of agency X, enrolled (its first sign-in): its login and TOTP secret."""
    who = world.officer("officer M", AGENCY_X)
    return {"username": who.person["username"], "password": who.person["password"]}, who.person["totp_secret"]


def ticket(world: World, login: dict[str, str], headers: dict[str, str] | None = None) -> str:
    r = world.http.post(f"{A}/login", json=login, headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json()["mfa_token"]


def test_a_stolen_password_opens_no_officers_queue(world):
    login, _ = officer(world)
    r = world.http.post(f"{A}/login", json=login, headers=address())
    assert r.status_code == 200
    answer = r.json()
    assert answer["mfa"] == "totp" and "access_token" not in answer and "refresh_token" not in answer
    # The ticket is no token: refused at the gateway, and by auth as a refresh token.
    bearer = {"Authorization": f"Bearer {answer['mfa_token']}"}
    refused(world.http.get(f"{S}/officer/dossiers", headers=bearer), 401)
    refused(world.http.post(f"{A}/refresh", json={"refresh_token": answer["mfa_token"]}), 401)
    # A guess is no code either.
    body = {"mfa_token": answer["mfa_token"], "code": "123456"}
    got = refused(world.http.post(f"{A}/login/mfa", json=body, headers=address()), 401, "invalid-mfa-code")
    assert got["tries_left"] == 2


def test_a_code_seen_over_a_shoulder_does_not_work_twice(world):
    login, secret = officer(world)
    code = totp_code(secret, scope_of(world.http))
    first = world.http.post(f"{A}/login/mfa", json={"mfa_token": ticket(world, login), "code": code})
    assert first.status_code == 200, first.text
    again = {"mfa_token": ticket(world, login), "code": code}
    refused(world.http.post(f"{A}/login/mfa", json=again, headers=address()), 401, "invalid-mfa-code")


def test_guessing_codes_locks_the_account_whatever_the_address_and_kills_the_ticket(world):
    login, secret = officer(world)
    user = world.db("auth").users.find_one({"username": login["username"]})
    # Wrong codes from new addresses each time, three a ticket (each ticket dies after its third) ...
    statuses = []
    for _ in range(2):
        t = ticket(world, login, address())
        got = until_limited(
            lambda body: world.http.post(f"{A}/login/mfa", json=body, headers=address()),
            ({"mfa_token": t, "code": f"{n:06d}"} for n in range(3)),
        )
        statuses += [r.status_code for r in got]
        if got[-1].status_code == 429:
            break
    # ... five wrong codes lock the account, as five wrong passwords would.
    assert statuses == [401, 401, 401, 401, 429], statuses
    too_many(got[-1], "too-many-attempts")
    # Locked for everyone: the right password, and the right code with a ticket got before the lock.
    too_many(world.http.post(f"{A}/login", json=login, headers=address()), "too-many-attempts")
    assert (
        world.db("auth").login_attempts.count_documents({"user_id": user["_id"], "reason": "bad-mfa-code"})
        == 5
    )
    assert not world.db("auth").mfa_tickets.count_documents({"user_id": user["_id"]})
    # The right code now changes nothing either: the ticket of before the lock is gone with it.
    body = {"mfa_token": t, "code": pyotp.TOTP(secret).now()}
    refused(world.http.post(f"{A}/login/mfa", json=body, headers=address()), 401, "invalid-mfa-ticket")


def test_the_second_step_is_rate_limited_per_address_at_the_gateway(world):
    headers = address()
    bodies = ({"mfa_token": uuid.uuid4().hex + uuid.uuid4().hex, "code": "123456"} for _ in range(16))
    got = until_limited(lambda body: world.http.post(f"{A}/login/mfa", json=body, headers=headers), bodies)
    codes = [r.status_code for r in got]
    assert codes[:10] == [401] * 10 and codes[-1] == 429, codes  # burst 10, then 20 a minute (login zone)
    too_many(got[-1])


def test_an_administrator_cannot_reset_their_own_second_factor(world):
    me = world.db("auth").users.find_one({"_id": world.admin.user_id})
    r = world.http.delete(f"{A}/users/{world.admin.user_id}/mfa", headers=world.admin.headers)
    refused(r, 409, "self-mfa-reset")
    assert world.db("auth").users.find_one({"_id": world.admin.user_id})["mfa"] == me["mfa"]
    # Nor can an officer reset anyone's, their own included.
    x = world.officer_x
    refused(world.http.delete(f"{A}/users/{x.user_id}/mfa", headers=x.headers), 403)
    assert world.db("auth").users.find_one({"_id": x.user_id})["mfa"]


def test_a_reset_ends_the_officers_sessions_and_the_next_sign_in_enrols_anew(world):
    login, secret = officer(world)
    tokens = world.login(login["username"], login["password"], secret)
    user_id = world.db("auth").users.find_one({"username": login["username"]})["_id"]
    r = world.http.delete(f"{A}/users/{user_id}/mfa", headers=world.admin.headers)
    assert r.status_code == 204, r.text
    refused(world.http.post(f"{A}/refresh", json={"refresh_token": tokens["refresh_token"]}), 401)
    r = world.http.post(f"{A}/login", json=login)
    assert r.status_code == 200 and r.json()["mfa"] == "enrol", r.text
