"""Tokens issued by the auth service, verified by another service (notify) on its own, with the JWKS
fetched over HTTP: real tokens pass, forged ones do not. Key rotation logs nobody out."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auth.config import Settings as AuthSettings
from auth.main import create_app as auth_app
from devstack import client as dev
from devstack.testing import running
from dvckit.auth import TokenVerifier, http_jwks
from notify.config import Settings as NotifySettings
from notify.main import create_app as notify_app

JWKS = "http://svc/api/v1/auth/.well-known/jwks.json"
INBOX = "/api/v1/notifications"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(sign(f'{head}.{body}'.encode()))}"


@pytest.fixture
async def pair(infra) -> AsyncIterator[tuple[Any, Any]]:
    settings = infra.settings(
        AuthSettings,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        access_ttl_seconds=3,
        key_retire_grace_seconds=1,
        key_reload_seconds=0.2,
        admin_password="Admin-Test-Pass-42",
    )
    auth = auth_app(settings)
    notify = notify_app(infra.settings(NotifySettings))
    async with running(auth) as a, running(notify) as n:
        # notify fetches auth's JWKS over HTTP, as in production (here in-process, through ASGI).
        notify.state.runtime.tokens = TokenVerifier(
            http_jwks(JWKS, transport=httpx.ASGITransport(app=auth)),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            min_refetch=0.1,
        )
        a.app, n.app = auth, notify
        yield a, n


async def admin_login(auth) -> dict[str, Any]:
    """The first administrator's token pair, after its second factor (devstack.testing's secret)."""
    tokens, _ = await dev.sign_in(auth, "admin", "Admin-Test-Pass-42", dev.admin_totp_secret())
    return tokens


def claims(settings: Any, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "u-1",
        "iat": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "roles": ["citizen"],
        "agencies": [],
        **over,
    }


async def status(notify, token: str) -> int:
    r = await notify.get(INBOX, headers={"Authorization": f"Bearer {token}"})
    if r.status_code == 401:
        assert r.headers["content-type"].startswith("application/problem+json")
    return r.status_code


async def test_another_service_accepts_a_real_token_without_asking_auth_each_time(pair):
    auth, notify = pair
    verifier = notify.app.state.runtime.tokens
    fetches = 0
    fetch = verifier.source

    async def counted() -> dict[str, Any]:
        nonlocal fetches
        fetches += 1
        return await fetch()

    verifier.source = counted
    token = (await admin_login(auth))["access_token"]
    for _ in range(20):
        assert await status(notify, token) == 200
    assert fetches == 1  # the JWKS was fetched once and cached
    assert (await notify.get(INBOX)).status_code == 401


async def test_forged_tokens_are_refused(pair):
    auth, notify = pair
    settings = auth.app.state.runtime.settings
    real = (await admin_login(auth))["access_token"]
    kid = jwt.get_unverified_header(real)["kid"]
    keys = auth.app.state.keys
    jwks = (await auth.get("/api/v1/auth/.well-known/jwks.json")).json()
    public_pem = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid)).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    attacker = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    head, body, sig = real.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=="))
    tampered = f"{head}.{b64(json.dumps({**payload, 'roles': ['admin', 'officer']}).encode())}.{sig}"

    forged = {
        "expired": await keys.sign(
            claims(settings, iat=int(time.time()) - 4000, exp=int(time.time()) - 3600)
        ),
        "tampered payload": tampered,
        "alg none": forge({"alg": "none", "typ": "JWT", "kid": kid}, claims(settings), lambda m: b""),
        "HS256 with the public key": forge(
            {"alg": "HS256", "typ": "JWT", "kid": kid},
            claims(settings),
            lambda m: hmac.new(public_pem, m, hashlib.sha256).digest(),
        ),
        "wrong audience": await keys.sign(claims(settings, aud="another-system")),
        "wrong issuer": await keys.sign(claims(settings, iss="https://evil.example")),
        "missing jti": await keys.sign({k: v for k, v in claims(settings).items() if k != "jti"}),
        "attacker key, real kid": jwt.encode(claims(settings), attacker, "RS256", headers={"kid": kid}),
        "attacker key, own kid": jwt.encode(claims(settings), attacker, "RS256", headers={"kid": "evil"}),
        "not a JWT": "abc.def.ghi",
    }
    assert await status(notify, real) == 200
    for name, token in forged.items():
        assert await status(notify, token) == 401, name


async def test_key_rotation_keeps_old_tokens_valid_until_they_expire(pair):
    auth, notify = pair
    before = await admin_login(auth)
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    r = await auth.post(
        "/api/v1/auth/keys/rotate", headers={"Authorization": f"Bearer {before['access_token']}"}
    )
    assert r.status_code == 200
    new_kid = r.json()["kid"]
    assert new_kid != old_kid

    after = await admin_login(auth)
    assert jwt.get_unverified_header(after["access_token"])["kid"] == new_kid
    published = {k["kid"] for k in (await auth.get("/api/v1/auth/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= published
    # notify has never seen the new key: it refetches the JWKS on the unknown kid.
    assert await status(notify, after["access_token"]) == 200
    assert await status(notify, before["access_token"]) == 200

    # Once every token of the old key has expired (3 s TTL + 1 s grace here), the key is withdrawn.
    await asyncio.sleep(4.5)
    published = {k["kid"] for k in (await auth.get("/api/v1/auth/.well-known/jwks.json")).json()["keys"]}
    assert old_kid not in published and new_kid in published


async def test_a_second_replica_signs_with_the_rotated_key(pair, infra):
    auth, notify = pair
    settings = auth.app.state.runtime.settings
    replica = auth_app(settings)
    async with running(replica) as second:
        second.app = replica  # the same database: the administrator's codes are counted as one
        token = (await admin_login(auth))["access_token"]
        await auth.post("/api/v1/auth/keys/rotate", headers={"Authorization": f"Bearer {token}"})
        await asyncio.sleep(0.5)  # the other replica reloads keys every 0.2 s here
        new = (await admin_login(second))["access_token"]
        current = {
            d["_id"]
            for d in await auth.app.state.runtime.db.signing_keys.find({"retired_at": None}).to_list()
        }
        assert jwt.get_unverified_header(new)["kid"] in current and len(current) == 1
        assert await status(notify, new) == 200
