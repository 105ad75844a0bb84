"""The live stream lives no longer than the token it was opened with, and closes when its login ends
(finding 11: an open stream survived lock and logout, heartbeats keeping it open)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from dvckit.contracts import UserSessionsEndedV1

N = "/api/v1/notifications"


async def _open(notify, user_id: str, **claims) -> asyncio.Task:
    r = await notify.http.post(f"{N}/stream-ticket", headers=notify.token_for(user_id, **claims))
    assert r.status_code == 201, r.text
    ticket = r.json()["ticket"]
    # The in-process client hands the body over when the stream ends: that is what is tested.
    return asyncio.create_task(notify.http.get(f"{N}/stream", params={"ticket": ticket}))


def _events(body: str) -> list[str]:
    return [line[7:] for line in body.splitlines() if line.startswith("event: ")]


async def test_a_stream_ends_when_its_token_expires(notify):
    u = await notify.citizen()
    stream = await _open(notify, u["user_id"], exp=int(time.time()) + 2, sid="s-exp")
    r = await asyncio.wait_for(stream, 10)
    assert r.status_code == 200
    assert _events(r.text) == ["unread", "end"] and '"reason":"expired"' in r.text


async def test_signing_out_closes_that_logins_streams_on_every_replica(make_notify):
    a = await make_notify()
    b = await make_notify(mongo_db=a.rt.settings.mongo_db, queue_prefix=a.rt.settings.queue_prefix)
    u = await a.citizen()
    on_a = await _open(a, u["user_id"], sid="phone")
    on_b = await _open(b, u["user_id"], sid="phone")
    other_login = await _open(b, u["user_id"], sid="laptop")
    await asyncio.sleep(0.3)
    old_token = a.token_for(u["user_id"], sid="phone", iat=int(time.time()) - 1)
    await a.publish(
        UserSessionsEndedV1(
            user_id=u["user_id"], session_id="phone", reason="logout", ended_at=datetime.now(UTC)
        )
    )
    for stream in (on_a, on_b):  # whichever replica consumed the event
        r = await asyncio.wait_for(stream, 10)
        assert _events(r.text)[-1] == "end" and '"reason":"signed-out"' in r.text
    assert not other_login.done()  # another login of the same person goes on
    # The ended login's token, still unexpired, cannot open a new stream.
    r = await a.http.post(f"{N}/stream-ticket", headers=old_token)
    assert r.status_code == 401 and r.json()["code"] == "session-ended"
    # A lock ends them all.
    await a.publish(
        UserSessionsEndedV1(
            user_id=u["user_id"], session_id=None, reason="locked", ended_at=datetime.now(UTC)
        )
    )
    r = await asyncio.wait_for(other_login, 10)
    assert '"reason":"signed-out"' in r.text
    assert await a.db.revocations.count_documents({"user_id": u["user_id"]}) == 2
    # A later sign-in (a token issued after the lock was lifted) opens streams again.
    fresh = a.token_for(u["user_id"], sid="new", iat=int(time.time()) + 1)
    assert (await a.http.post(f"{N}/stream-ticket", headers=fresh)).status_code == 201
