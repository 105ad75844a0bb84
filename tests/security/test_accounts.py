"""What a stolen access token, an enumerator and a database reader could do to accounts, through the
gateway of the test stack (issue 12, findings 1, 11, 13 and 14). Each test fails on the code before."""

from __future__ import annotations

import email
import threading
import time
import uuid
from datetime import UTC, datetime
from email.policy import default
from typing import Any

from devstack import client

from .conftest import World
from .test_hostile import address, refused

A = "/api/v1/auth"


def person(email_too: bool = True) -> dict[str, Any]:
    return client.sign_up(client.new_person("Lương Thị Thử", email=email_too), "Trang-An-Ninh-2026")


def signed_in(world: World, p: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    world.register(p)
    tokens = world.login(p["citizen_id"], p["password"])
    return {"Authorization": f"Bearer {tokens['access_token']}"}, tokens


def mails_to(world: World, address_: str, since: datetime) -> list[email.message.EmailMessage]:
    out = []
    for path in world.stack.infra.mail_dir.glob("*.eml"):
        if path.stat().st_mtime < since.timestamp() - 1:
            continue
        msg = email.message_from_bytes(path.read_bytes(), policy=default)
        if msg["To"] == address_:
            out.append(msg)
    return out


def test_a_stolen_access_token_cannot_point_the_account_elsewhere(world):
    """Finding 1: PATCH /me changed the email without the password, and the reset code then went there."""
    victim = person()
    stolen, _ = signed_in(world, victim)
    thief_mail = f"ke.trom{uuid.uuid4().hex[:6]}@example.vn"
    before = world.db("auth").users.find_one({"citizen_id": victim["citizen_id"]})
    refused(world.http.patch(f"{A}/me", json={"email": thief_mail}, headers=stolen), 422)
    guess = {"email": thief_mail, "current_password": "Doan-Bua-Mat-Khau-1"}
    refused(world.http.patch(f"{A}/me", json=guess, headers=stolen), 400, "wrong-password")
    after = world.db("auth").users.find_one({"citizen_id": victim["citizen_id"]})
    assert after["email"] == before["email"] == victim["email"]
    # Even with the password, the new address is only pending until its own code comes back ...
    since = datetime.now(UTC)
    both = {"email": thief_mail, "current_password": victim["password"]}
    r = world.http.patch(f"{A}/me", json=both, headers=stolen)
    assert r.status_code == 200 and r.json()["email"] == victim["email"], r.text
    # ... so a reset code still goes to the holder's confirmed address, never the new one.
    assert world.http.post(f"{A}/password/forgot", json={"username": victim["phone"]}).status_code == 202
    deadline = time.monotonic() + 30
    while not [m for m in mails_to(world, victim["email"], since) if "mật khẩu" in m["Subject"]]:
        assert time.monotonic() < deadline, "no reset mail to the confirmed address"
        time.sleep(0.2)
    assert not [m for m in mails_to(world, thief_mail, since) if "mật khẩu" in m["Subject"]]


def test_registering_says_nothing_about_who_has_an_account(world):
    """Finding 13: registration answered 409 account-exists for an ID, phone or email in use."""
    known = person()
    world.register(known)
    asks = [
        person(),
        {**person(), "citizen_id": known["citizen_id"]},
        {**person(), "phone": known["phone"]},
        {**person(), "email": known["email"]},
    ]
    answers = [world.http.post(f"{A}/register", json=p, headers=address()) for p in asks]
    assert [a.status_code for a in answers] == [202] * 4
    assert len({a.text for a in answers}) == 1
    # The forgot-password answer is the same too (its work runs after the answer).
    forgot = [
        world.http.post(f"{A}/password/forgot", json={"username": u}, headers=address())
        for u in (known["citizen_id"], f"0399{uuid.uuid4().int % 10**8:08d}")
    ]
    assert {f.status_code for f in forgot} == {202} and forgot[0].text == forgot[1].text


def test_codes_are_kept_nowhere_in_clear(world):
    """Finding 14: reset codes sat in clear in auth's outbox, notify's deliveries and the mail subject."""
    p = person()
    world.register(p)
    since = datetime.now(UTC)
    assert world.http.post(f"{A}/password/forgot", json={"username": p["citizen_id"]}).status_code == 202
    code = world.code(p["email"], since)
    mail = [m for m in mails_to(world, p["email"], since) if code in m.get_content()]
    assert mail and code not in mail[0]["Subject"]
    user = world.db("auth").users.find_one({"citizen_id": p["citizen_id"]})
    outbox = list(world.db("auth").outbox.find({"envelope.data.user_id": user["_id"]}))
    assert outbox and all(code not in str(o) for o in outbox)
    assert all(code not in str(c) for c in world.db("auth").codes.find({}))
    deliveries = list(world.db("notify").deliveries.find({"user_id": user["_id"]}))
    assert deliveries and all(
        code not in str(d) and "sealed" not in d for d in deliveries if d["status"] == "sent"
    )
    assert all(code not in str(n) for n in world.db("notify").notifications.find({"user_id": user["_id"]}))
    # The code still works: it was the person's, delivered to them.
    body = {"username": p["citizen_id"], "code": code, "new_password": "Doi-Mat-Khau-Moi-2027"}
    assert world.http.post(f"{A}/password/reset", json=body).status_code == 204


def test_signing_out_closes_the_live_stream_and_its_token_opens_no_other(world):
    """Finding 11: an open notification stream survived lock and logout (heartbeats kept it open)."""
    p = person(email_too=False)
    h, tokens = signed_in(world, p)
    ticket = world.http.post("/api/v1/notifications/stream-ticket", headers=h).json()["ticket"]
    lines: list[str] = []
    done = threading.Event()

    def listen() -> None:
        with world.http.stream("GET", "/api/v1/notifications/stream", params={"ticket": ticket}) as r:
            for line in r.iter_lines():
                lines.append(line)
        done.set()

    threading.Thread(target=listen, daemon=True).start()
    deadline = time.monotonic() + 10
    while not any(line.startswith("event: unread") for line in lines):
        assert time.monotonic() < deadline, lines
        time.sleep(0.05)
    assert world.http.post(f"{A}/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    assert done.wait(20), "the stream stayed open after signing out"
    assert "event: end" in lines and any('"signed-out"' in line for line in lines)
    # The access token's signature is good for its 15 minutes, but it opens no new stream: notify says
    # so itself ("session-ended") until its copy of the revocation list, polled every few seconds, has the
    # logout; from then on every service refuses the token outright ("unauthenticated").
    r = world.http.post("/api/v1/notifications/stream-ticket", headers=h)
    assert r.status_code == 401 and r.json()["code"] in {"session-ended", "unauthenticated"}, r.text
