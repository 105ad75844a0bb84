"""Local token verification (dvckit.auth): keys, cache, refetch, and the refusals."""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from dvckit.auth import InvalidToken, TokenVerifier

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key, kid):
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "use": "sig"}


def token(key=KEY, kid="k1", **over):
    now = int(time.time())
    claims = {
        "iss": "iss",
        "aud": "aud",
        "sub": "u1",
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "roles": ["officer"],
        "agencies": ["A"],
        **over,
    }
    return jwt.encode(claims, key, "RS256", headers={"kid": kid})


class Source:
    def __init__(self, *keys):
        self.keys = list(keys)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        return {"keys": self.keys}


def verifier(source, **kw):
    return TokenVerifier(source, issuer="iss", audience="aud", leeway=0, min_refetch=0.2, **kw)


async def test_verifies_and_reads_claims():
    v = verifier(Source(jwk(KEY, "k1")))
    p = await v.verify(token())
    assert p.sub == "u1" and p.roles == ("officer",) and p.agencies == ("A",)


async def test_a_seen_token_is_answered_from_the_cache_until_it_expires():
    v = verifier(Source(jwk(KEY, "k1")))
    t = token(exp=int(time.time()) + 2)
    calls = 0
    real = v._verify

    async def counted(tok):
        nonlocal calls
        calls += 1
        return await real(tok)

    v._verify = counted
    for _ in range(50):
        await v.verify(t)
    assert calls == 1
    await asyncio.sleep(2.2)
    with pytest.raises(InvalidToken):
        await v.verify(t)


async def test_withdrawn_key_empties_the_cache():
    source = Source(jwk(KEY, "k1"))
    v = verifier(source, max_age=0.1)
    t = token()
    await v.verify(t)
    source.keys = [jwk(OTHER, "k2")]  # k1 withdrawn (say, compromised)
    await asyncio.sleep(0.15)
    with pytest.raises(InvalidToken):
        await v.verify(t)


async def test_unknown_kids_refetch_at_most_once_per_interval():
    source = Source(jwk(KEY, "k1"))
    v = verifier(source)
    await v.verify(token())
    for i in range(20):
        with pytest.raises(InvalidToken):
            await v.verify(token(kid=f"random-{i}"))
    assert source.calls <= 2


async def test_a_new_key_is_found_by_refetching():
    source = Source(jwk(KEY, "k1"))
    v = verifier(source)
    await v.verify(token())
    source.keys.append(jwk(OTHER, "k2"))
    await asyncio.sleep(0.25)
    assert (await v.verify(token(key=OTHER, kid="k2"))).sub == "u1"


@pytest.mark.parametrize(
    "bad",
    [
        lambda: jwt.encode({"sub": "u1"}, None, "none"),
        lambda: token(exp=int(time.time()) - 10),
        lambda: token(aud="someone-else"),
        lambda: token(iss="someone-else"),
        lambda: token(key=OTHER),
        lambda: jwt.encode(
            {"iss": "iss", "aud": "aud", "sub": "u", "iat": 1, "exp": 2**40},
            KEY,
            "RS256",
            headers={"kid": "k1"},
        ),  # no jti
        lambda: "a.b.c",
    ],
)
async def test_refusals(bad):
    v = verifier(Source(jwk(KEY, "k1")))
    with pytest.raises(InvalidToken):
        await v.verify(bad())
