"""The revocation list every service keeps (dvckit.auth.RevocationList): what it refuses, how it polls
(from where the last answer ended, page by page), what it forgets, and what it does while auth is away.
The source stands in for the auth service's endpoint with the same answers (its own tests check the
endpoint itself, tests/security the whole path)."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dvckit.auth import InvalidToken, Principal, RevocationList, TokenVerifier, subject_key

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = {**jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
WINDOW = 960


class Auth:
    """An auth service's list: entries (kind, id, at), answered like /.well-known/revoked."""

    def __init__(self, page: int = 1000) -> None:
        self.entries: list[tuple[str, str, float]] = []
        self.asked: list[tuple[float | None, str | None]] = []
        self.page = page
        self.down = False

    def end(self, sid: str, at: float | None = None) -> None:
        self.entries.append(("session", sid, time.time() if at is None else at))

    def lock(self, sub: str, at: float | None = None) -> None:
        self.entries.append(("user", subject_key(sub), time.time() if at is None else at))

    async def __call__(self, since: float | None, after: str | None) -> dict:
        self.asked.append((since, after))
        if self.down:
            raise ConnectionError("auth is down")
        now = time.time()
        start = max(since or 0.0, now - WINDOW)
        rows = sorted((at, f"{kind}:{key}", kind, key) for kind, key, at in self.entries if at >= start)
        if after is not None and since is not None and start == since:
            rows = [r for r in rows if r[0] > since or r[1] > after]
        page, more = rows[: self.page], len(rows) > self.page
        return {
            "now": now,
            "window": WINDOW,
            "sessions": [{"id": key, "at": at} for at, _, kind, key in page if kind == "session"],
            "users": [{"id": key, "at": at} for at, _, kind, key in page if kind == "user"],
            "next": {"since": page[-1][0], "after": page[-1][1]} if more else None,
        }


def who(sub: str = "u1", sid: str = "s1", iat: float | None = None) -> Principal:
    return Principal(sub=sub, sid=sid, iat=int(time.time() if iat is None else iat))


async def test_a_listed_session_is_refused_and_others_are_not():
    auth = Auth()
    auth.end("s1")
    listed = RevocationList(auth)
    await listed.refresh()
    assert listed.refuses(who(sid="s1")) == "session ended"
    assert listed.refuses(who(sid="s2")) is None
    assert listed.refuses(who(sid="")) is None  # a token without a session is judged by the rest


async def test_a_locked_account_refuses_tokens_issued_until_the_lock_only():
    auth = Auth()
    locked_at = time.time() - 100
    auth.lock("u1", at=locked_at)
    listed = RevocationList(auth)
    await listed.refresh()
    assert listed.refuses(who("u1", iat=locked_at - 600)) == "account locked"
    assert listed.refuses(who("u1", iat=locked_at)) == "account locked"  # the same second: refused
    assert listed.refuses(who("u1", iat=locked_at + 2)) is None  # signed in again after an unlock
    assert listed.refuses(who("u2", iat=locked_at - 600)) is None
    # The list names accounts by digest only: the id itself is nowhere in it.
    assert "u1" not in listed.users and subject_key("u1") in listed.users


async def test_each_poll_asks_only_since_the_last_answer_less_the_overlap():
    auth = Auth()
    listed = RevocationList(auth, overlap=30)
    await listed.refresh()
    assert auth.asked == [(None, None)]  # the first asks for the whole window
    first_now = listed._since
    assert first_now is not None
    # An entry whose transaction committed late, dated before the previous answer: still seen.
    auth.end("late", at=first_now - 5)
    await listed.refresh()
    since, _ = auth.asked[-1]
    assert since == pytest.approx(first_now - 30)
    assert listed.refuses(who(sid="late"))


async def test_a_long_list_is_read_page_by_page_and_nothing_is_missed():
    auth = Auth(page=3)
    at = time.time() - 10
    sids = [f"s{i:02d}" for i in range(10)]
    for sid in sids:
        auth.end(sid, at=at)  # one instant: a password reset ending many sessions at once
    listed = RevocationList(auth)
    await listed.refresh()
    assert sorted(listed.sessions) == sids
    assert len(auth.asked) == 4  # 3 + 3 + 3 + 1


async def test_a_list_longer_than_a_round_goes_on_at_the_next_poll():
    auth = Auth(page=2)
    base = time.time() - 10
    for i in range(7):
        auth.end(f"s{i}", at=base + i)
    listed = RevocationList(auth, max_pages=2)
    await listed.refresh()
    assert len(listed.sessions) == 4
    await listed.refresh()
    await listed.refresh()
    assert len(listed.sessions) == 7


async def test_entries_are_forgotten_once_their_tokens_have_expired():
    auth = Auth()
    listed = RevocationList(auth)
    listed.add(sessions=["old"], at=time.time() - WINDOW - 5)
    listed.add(sessions=["recent"], at=time.time() - 5)
    await listed.refresh()
    assert "old" not in listed.sessions and "recent" in listed.sessions


async def test_auth_away_keeps_the_last_list_and_says_so(monkeypatch):
    logged: list[tuple[str, dict]] = []

    class Log:
        def warning(self, event, **kw):
            logged.append(("warning", kw | {"event": event}))

        def error(self, event, **kw):
            logged.append(("error", kw | {"event": event}))

    monkeypatch.setattr("dvckit.auth.log", Log())
    auth = Auth()
    auth.end("s1")
    listed = RevocationList(auth, period=0.05, stale_after=0.2)
    await listed.refresh()
    auth.down = True
    task = asyncio.create_task(listed.run())
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert listed.refuses(who(sid="s1"))  # the last list still holds
    levels = [level for level, _ in logged]
    assert levels[0] == "warning" and "error" in levels  # a warning first, an error once it is stale
    assert all(kw["ever_fetched"] for _, kw in logged)
    # Back: the next poll brings it up to date.
    auth.down = False
    auth.end("s2")
    await listed.refresh()
    assert listed.refuses(who(sid="s2")) and listed.age < 1


async def test_what_this_process_learnt_itself_counts_before_any_poll():
    listed = RevocationList(Auth())
    listed.add(sessions=["mine"], users=[subject_key("u9")], at=time.time())
    assert listed.refuses(who(sid="mine"))
    assert listed.refuses(who("u9", sid="x", iat=time.time() - 1))


def token(sid: str, sub: str = "u1") -> str:
    now = int(time.time())
    claims = {"iss": "iss", "aud": "aud", "sub": sub, "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}
    return jwt.encode({**claims, "sid": sid}, KEY, "RS256", headers={"kid": "k1"})


async def test_the_verifier_refuses_a_cached_token_once_its_session_is_listed():
    async def keys() -> dict:
        return {"keys": [JWK]}

    auth = Auth()
    listed = RevocationList(auth, period=0.05)
    v = TokenVerifier(keys, issuer="iss", audience="aud", revoked=listed)
    t = token("stolen")
    assert (await v.verify(t)).sid == "stolen"  # verified, and now in the cache
    task = asyncio.create_task(listed.run())
    try:
        auth.end("stolen")
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                await v.verify(t)
            except InvalidToken as e:
                assert str(e) == "session ended"
                break
            await asyncio.sleep(0.02)
        else:
            pytest.fail("the ended session's token was still accepted after 2 s of polls every 0.05 s")
        assert (await v.verify(token("other"))).sid == "other"
    finally:
        task.cancel()
