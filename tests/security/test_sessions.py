"""Stolen tokens and the sessions list, through the gateway of the test stack: a stolen access token stops
in every service once its session is ended (not at its expiry), a stolen refresh token gives itself away,
a locked account's tokens stop, and a hostile citizen guessing session ids ends nothing.

The test stack polls the revocation list every second (devstack.testing; 20 s by default): "within the
minute" is checked as "within a few polls", with no minute of sleep."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import httpx
import jwt

from devstack import client

from .conftest import World
from .test_hostile import address, refused, service_url

A = "/api/v1/auth"
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
# Polls every second, jittered up to 1.2 s; a few of them at most, on a busy 2-core machine.
WITHIN_S = 10.0


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def sid(tokens: dict) -> str:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]


def sign_in(world: World, p: dict, ua: str = CHROME) -> dict:
    body = {"username": p["citizen_id"], "password": p["password"]}
    r = world.http.post(f"{A}/login", json=body, headers={"User-Agent": ua, **address()})
    assert r.status_code == 200, r.text
    return r.json()


def citizen(world: World, name: str) -> dict:
    p = client.sign_up(client.new_person(name, email=False), "Trang-An-Ninh-2026")
    world.register(p)
    return p


def calls(world: World) -> dict[str, Callable[[dict[str, str]], httpx.Response]]:
    """A signed-in read in each service, through the gateway and straight at the service (the edge passes
    a well-signed token of an ended session on: each service refuses it itself)."""
    notify, submission = service_url(world, "notify"), service_url(world, "submission")
    return {
        "auth": lambda h: world.http.get(f"{A}/me", headers=h),
        "notify": lambda h: world.http.get("/api/v1/notifications/unread-count", headers=h),
        "submission": lambda h: world.http.get("/api/v1/submissions/dossiers", headers=h),
        "notify direct": lambda h: httpx.get(f"{notify}/api/v1/notifications/unread-count", headers=h),
        "submission direct": lambda h: httpx.get(f"{submission}/api/v1/submissions/dossiers", headers=h),
    }


def all_accept(world: World, headers: dict[str, str]) -> None:
    for name, call in calls(world).items():
        r = call(headers)
        assert r.status_code == 200, (name, r.status_code, r.text[:200])


def all_refuse_soon(world: World, headers: dict[str, str]) -> float:
    """Every service refuses the token within WITHIN_S seconds (401 problem+json, the usual token
    refusal); how long the last one took."""
    start = time.monotonic()
    pending = dict(calls(world))
    while pending:
        for name, call in list(pending.items()):
            r = call(headers)
            if r.status_code == 401:
                refused(r, 401, "unauthenticated")
                del pending[name]
            else:
                assert r.status_code == 200, (name, r.status_code, r.text[:200])
        if pending:
            assert time.monotonic() - start < WITHIN_S, (
                f"still accepted after {WITHIN_S} s: {sorted(pending)}"
            )
            time.sleep(0.2)
    return time.monotonic() - start


def test_a_stolen_access_token_stops_everywhere_once_its_session_is_ended(world):
    p = citizen(world, "Đoàn Thị Bị Lấy")
    mine = sign_in(world, p)
    stolen = sign_in(world, p, "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
    all_accept(world, bearer(stolen))  # in every service, the thief's copy works: it is a good token
    # The holder sees a session that is not theirs, and ends it.
    rows = world.http.get(f"{A}/sessions", headers=bearer(mine)).json()["items"]
    assert {r["id"] for r in rows} >= {sid(mine), sid(stolen)}
    assert next(r for r in rows if r["id"] == sid(stolen))["device"] == "Firefox 133 trên Linux"
    r = world.http.delete(f"{A}/sessions/{sid(stolen)}", headers=bearer(mine))
    assert r.status_code == 204, r.text
    all_refuse_soon(world, bearer(stolen))
    all_accept(world, bearer(mine))  # the holder's own session goes on
    refused(world.http.post(f"{A}/refresh", json={"refresh_token": stolen["refresh_token"]}), 401)


def test_a_stolen_refresh_token_gives_itself_away_and_its_tokens_stop(world):
    p = citizen(world, "Lò Văn Sao Chép")
    mine = sign_in(world, p)
    # The thief uses the copied refresh token first: a new pair of the same session, which works...
    r = world.http.post(f"{A}/refresh", json={"refresh_token": mine["refresh_token"]})
    assert r.status_code == 200
    thief = r.json()
    all_accept(world, bearer(thief))
    # ...until the holder's app refreshes with the token it holds: one already used, so someone has a
    # copy. The whole session ends, and with it the thief's access token, everywhere.
    refused(
        world.http.post(f"{A}/refresh", json={"refresh_token": mine["refresh_token"]}),
        401,
        "invalid-refresh-token",
    )
    all_refuse_soon(world, bearer(thief))
    refused(world.http.post(f"{A}/refresh", json={"refresh_token": thief["refresh_token"]}), 401)
    revoked = world.http.get(f"{A}/.well-known/revoked").json()
    assert sid(thief) in {e["id"] for e in revoked["sessions"]}


def test_a_locked_accounts_access_tokens_stop_everywhere(world):
    p = citizen(world, "Mạc Văn Bị Khóa")
    tokens = sign_in(world, p)
    all_accept(world, bearer(tokens))
    user_id = world.http.get(f"{A}/me", headers=bearer(tokens)).json()["id"]
    r = world.http.patch(f"{A}/users/{user_id}", json={"locked": True}, headers=world.admin.headers)
    assert r.status_code == 200, r.text
    all_refuse_soon(world, bearer(tokens))
    # The public list names the account by a digest only.
    assert user_id not in world.http.get(f"{A}/.well-known/revoked").text


def test_a_password_change_signs_the_other_devices_out_everywhere(world):
    p = citizen(world, "Tô Thị Đổi Mật Khẩu")
    here, other = sign_in(world, p), sign_in(world, p)
    body = {"current_password": p["password"], "new_password": "Cat-Ba-Lan-Ha-2027"}
    r = world.http.post(f"{A}/password/change", json=body, headers=bearer(here))
    assert r.status_code == 204, r.text
    all_refuse_soon(world, bearer(other))
    all_accept(world, bearer(here))  # the one that changed it stays signed in


def test_guessing_session_ids_ends_nothing_and_says_nothing(world):
    victim = citizen(world, "Hồ Thị Nạn Nhân")
    hostile = citizen(world, "Kiều Văn Dò Đoán")
    target, mine = sign_in(world, victim), sign_in(world, hostile)
    tokens = world.db("auth").refresh_tokens
    before = tokens.count_documents({"revoked": True})
    answers = set()
    guesses = [secrets.token_hex(16) for _ in range(30)] + [sid(target), sid(target)[:-1] + "0"]
    for guess in guesses:
        r = world.http.delete(f"{A}/sessions/{guess}", headers=bearer(mine))
        body = refused(r, 404, "session-not-found")
        answers.add((body["title"], body["detail"]))
    assert len(answers) == 1  # the victim's real session answers as a made-up one
    assert tokens.count_documents({"revoked": True}) == before
    all_accept(world, bearer(target))
    assert world.http.post(f"{A}/refresh", json={"refresh_token": target["refresh_token"]}).status_code == 200
    # Ids that are no id are refused before any lookup; the list shows the caller's own only.
    refused(world.http.delete(f'{A}/sessions/{{"$ne":null}}', headers=bearer(mine)), 422)
    listed = world.http.get(f"{A}/sessions", headers=bearer(mine)).json()["items"]
    assert sid(target) not in {row["id"] for row in listed}
