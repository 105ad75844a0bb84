"""Signing in with VNeID against a genuine OpenID provider (oidc-provider-mock, on authlib) on a port of
its own: the whole browser round trip (our authorize → the provider's form → our callback → the portal's
ticket → tokens), and every way it must fail."""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from oidc_provider_mock import User, run_server_in_thread

R = "/api/v1/auth"
PORTAL = "http://portal.test/"
CALLBACK = "http://portal.test/api/v1/auth/oidc/vneid/callback"
_ids = itertools.count(1)


def citizen_id() -> str:
    return f"0319{next(_ids):04d}{id(object()) % 10_000:04d}"


def vneid_person(sub: str, cid: str, **claims: Any) -> User:
    return User(
        sub=sub,
        claims={
            "citizen_id": cid,
            "name": "Nguyễn Thị Hải Yến",
            "birthdate": "1991-08-19",
            "address": {"formatted": "Số 12 Lạch Tray, phường Ngô Quyền, thành phố Hải Phòng"},
            "phone_number": "+84912345001",
            "acr": "vneid:level2",
            **claims,
        },
    )


def provider(**kw: Any) -> Iterator[str]:
    with run_server_in_thread(require_nonce=True, **kw) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(autouse=True)
def _plain_http(monkeypatch):
    # authlib refuses OAuth over plain HTTP unless told; the provider runs on loopback here.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture
def op() -> Iterator[str]:
    yield from provider()


@pytest.fixture
async def vauth(make_auth, op) -> Any:
    return await make_auth(**vneid_settings(op))


def vneid_settings(issuer: str, **more: Any) -> dict[str, Any]:
    return {
        "vneid_issuer": issuer,
        "vneid_client_secret": "test-client-secret",
        "vneid_redirect_uri": CALLBACK,
        "vneid_portal_url": PORTAL,
        **more,
    }


async def set_person(op: str, user: User) -> None:
    async with httpx.AsyncClient() as http:
        r = await http.put(f"{op}/users/{user.sub}", json=user.claims)
        assert r.status_code == 204


async def begin(auth) -> tuple[str, dict[str, str]]:
    r = await auth.get(f"{R}/oidc/vneid/authorize")
    assert r.status_code == 302, r.text
    location = r.headers["location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def at_provider(location: str, sub: str) -> dict[str, str]:
    """The person picks their identity on the provider's form; what the provider sends back."""
    async with httpx.AsyncClient() as browser:
        r = await browser.post(location, data={"sub": sub})
    assert r.status_code == 302, r.text
    back = r.headers["location"]
    assert back.startswith(CALLBACK)
    return {k: v[0] for k, v in parse_qs(urlsplit(back).query).items()}


async def callback(auth, **params: str) -> dict[str, str]:
    r = await auth.get(f"{R}/oidc/vneid/callback", params=params)
    assert r.status_code == 302 and r.headers["cache-control"] == "no-store"
    portal, _, fragment = r.headers["location"].partition("#")
    assert portal == PORTAL
    return {k: v[0] for k, v in parse_qs(fragment).items()}


async def sign_in(auth, op: str, user: User) -> dict[str, str]:
    await set_person(op, user)
    location, _ = await begin(auth)
    return await callback(auth, **await at_provider(location, user.sub))


async def tokens(auth, ticket: str) -> httpx.Response:
    return await auth.post(f"{R}/oidc/vneid/token", json={"ticket": ticket})


async def test_a_person_signs_in_with_vneid_and_has_a_verified_account(vauth, op, h):
    location, query = await begin(vauth)
    assert location.startswith(f"{op}/oauth2/authorize")
    assert query["response_type"] == "code" and query["client_id"] == "dvc-haiphong"
    assert query["redirect_uri"] == CALLBACK and "openid" in query["scope"].split()
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 24
    # PKCE: the challenge is the SHA-256 of the verifier kept with the flow (never sent to the browser).
    flow = await vauth.app.state.runtime.db.oidc_flows.find_one({})
    expected = base64.urlsafe_b64encode(hashlib.sha256(flow["verifier"].encode()).digest()).rstrip(b"=")
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] == expected.decode()
    assert flow["verifier"] not in location and flow["nonce"] == query["nonce"]

    cid = citizen_id()
    yen = vneid_person("vneid-yen", cid)
    await set_person(op, yen)
    back = await callback(vauth, **await at_provider(location, "vneid-yen"))
    r = await tokens(vauth, back["vneid"])
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    assert jwt.decode(access, options={"verify_signature": False})["ial"] == 2
    me = (await vauth.get(f"{R}/me", headers=h.bearer(access))).json()
    assert me["citizen_id"] == cid and me["full_name"] == "Nguyễn Thị Hải Yến" and me["roles"] == ["citizen"]
    assert me["identity_level"] == 2 and me["phone"] == "0912345001"
    assert me["identity"]["source"] == "vneid" and me["identity"]["birth_date"] == "1991-08-19"
    assert me["identity"]["address"].startswith("Số 12 Lạch Tray") and "subject" not in me["identity"]
    # The ticket is spent; the flow too (the same answer again is refused).
    assert (await tokens(vauth, back["vneid"])).status_code == 400
    # Signing in again finds the same account (by the provider's subject), at the level VNeID states.
    again = await sign_in(
        vauth, op, vneid_person("vneid-yen", cid, acr="vneid:level1", name="Nguyễn Thị Hải Yến")
    )
    second = (await tokens(vauth, again["vneid"])).json()["access_token"]
    me2 = (await vauth.get(f"{R}/me", headers=h.bearer(second))).json()
    assert me2["id"] == me["id"] and me2["identity_level"] == 2  # never lowered by a level-1 sign-in
    events = await h.outbox_events(vauth.app, "user.registered.v1")
    assert [e["data"]["user_id"] for e in events].count(me["id"]) == 1


async def test_a_forged_or_replayed_answer_signs_nobody_in(vauth, op):
    cid = citizen_id()
    await set_person(op, vneid_person("vneid-replay", cid))
    location, _ = await begin(vauth)
    answer = await at_provider(location, "vneid-replay")
    # Wrong state: the code is not even exchanged.
    assert await callback(vauth, code=answer["code"], state="not-a-state-we-made-" + "x" * 20) == {
        "vneid_error": "invalid-state"
    }
    assert await callback(vauth, code=answer["code"]) == {"vneid_error": "invalid-state"}
    assert "vneid" in await callback(vauth, **answer)
    # The same answer again: the flow is spent.
    assert await callback(vauth, **answer) == {"vneid_error": "invalid-state"}
    # The used code with a fresh flow of ours: the provider refuses it.
    _, fresh = await begin(vauth)
    assert await callback(vauth, code=answer["code"], state=fresh["state"]) == {"vneid_error": "rejected"}
    # The person said no at the provider.
    _, other = await begin(vauth)
    assert await callback(vauth, error="access_denied", state=other["state"]) == {"vneid_error": "denied"}


async def test_a_code_from_another_flow_fails_the_nonce_check(vauth, op):
    """Two flows begun; the provider's answer to the first brought back with the second's state (a code
    injected into another browser's sign-in): its ID token carries the first flow's nonce."""
    await set_person(op, vneid_person("vneid-nonce", citizen_id()))
    first, _ = await begin(vauth)
    _, second = await begin(vauth)
    answer = await at_provider(first, "vneid-nonce")
    assert await callback(vauth, code=answer["code"], state=second["state"]) == {"vneid_error": "rejected"}


@pytest.fixture
def stale_op() -> Iterator[str]:
    # A provider whose ID tokens expired two minutes before they are issued (beyond our 30 s leeway).
    yield from provider(access_token_max_age=timedelta(seconds=-120))


async def test_an_expired_id_token_is_refused(make_auth, stale_op):
    auth = await make_auth(**vneid_settings(stale_op))
    assert await sign_in(auth, stale_op, vneid_person("vneid-late", citizen_id())) == {
        "vneid_error": "rejected"
    }


async def test_a_provider_that_does_not_answer_is_a_503_and_no_provider_a_404(make_auth, h):
    down = await make_auth(**vneid_settings("http://127.0.0.1:9", vneid_timeout_seconds=2.0))
    r = await down.get(f"{R}/oidc/vneid/authorize")
    assert r.status_code == 503 and r.json()["code"] == "identity-provider-unavailable"
    assert r.headers["content-type"].startswith("application/problem+json") and "retry-after" in r.headers
    off = await make_auth()
    for method, path, body in (
        ("GET", "/oidc/vneid/authorize", None),
        ("GET", "/oidc/vneid/callback?state=x&code=y", None),
        ("POST", "/oidc/vneid/token", {"ticket": "t" * 43}),
    ):
        r = await off.request(method, f"{R}{path}", json=body)
        assert r.status_code == 404 and r.json()["code"] == "vneid-not-configured", path


async def test_a_self_registered_account_is_linked_only_with_its_password(vauth, op, person, h):
    p = person()
    mine = await h.register(vauth, p)
    assert mine["identity_level"] == 0 and mine["identity"] is None
    person_of = vneid_person("vneid-link", p["citizen_id"])
    back = await sign_in(vauth, op, person_of)
    assert set(back) == {"vneid_link"}
    # No tokens for a link ticket; a wrong password spends it.
    assert (await tokens(vauth, back["vneid_link"])).status_code == 400
    back = await sign_in(vauth, op, person_of)
    wrong = await vauth.post(
        f"{R}/oidc/vneid/link", json={"ticket": back["vneid_link"], "password": "sai-mat-khau-1"}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong-password"
    spent = await vauth.post(
        f"{R}/oidc/vneid/link", json={"ticket": back["vneid_link"], "password": p["password"]}
    )
    assert spent.status_code == 400 and spent.json()["code"] == "invalid-ticket"
    back = await sign_in(vauth, op, person_of)
    ok = await vauth.post(
        f"{R}/oidc/vneid/link", json={"ticket": back["vneid_link"], "password": p["password"]}
    )
    assert ok.status_code == 200, ok.text
    me = (await vauth.get(f"{R}/me", headers=h.bearer(ok.json()["access_token"]))).json()
    assert me["id"] == mine["id"] and me["identity_level"] == 2 and me["full_name"] == "Nguyễn Thị Hải Yến"
    # From now on VNeID signs straight in; the password still works.
    assert "vneid" in await sign_in(vauth, op, person_of)
    assert (await h.login(vauth, p["citizen_id"], p["password"])).status_code == 200
    # Another VNeID subject naming the same citizen ID never gets the account, nor a second one.
    assert await sign_in(vauth, op, vneid_person("vneid-impostor", p["citizen_id"])) == {
        "vneid_error": "identity-conflict"
    }


async def test_a_staff_account_is_never_signed_in_through_vneid(vauth, op, h):
    token = await h.admin_token(vauth)
    cid = citizen_id()
    body = {
        "full_name": "Lê Văn Cán Bộ",
        "role": "officer",
        "agencies": ["000.00.31.H26"],
        "username": f"cb{cid}",
        "citizen_id": cid,
        "password": "Mot-Cua-Officer-1",
    }
    assert (await vauth.post(f"{R}/users", json=body, headers=h.bearer(token))).status_code == 201
    assert await sign_in(vauth, op, vneid_person("vneid-staff", cid)) == {"vneid_error": "staff-account"}


async def test_claims_without_a_citizen_id_sign_nobody_in(vauth, op):
    assert await sign_in(vauth, op, vneid_person("vneid-noid", "12345")) == {"vneid_error": "no-identity"}
