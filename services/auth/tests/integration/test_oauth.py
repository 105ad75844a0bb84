"""Our native apps sign in (OAuth 2.0 authorization code + PKCE, public clients; service/oauth.py): the
whole round trip as an app and the portal make it, and what must fail: a PKCE mismatch, the plain
method, a wrong redirect URI or client, a code used twice (its session ends), an expired code, another
client's code, a refresh token of another client or of the portal, and a staff session without its
second factor. Against the real MongoDB-wire server, the app in-process."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

R = "/api/v1/auth"
APP = "dvc-mobile-test"
OTHER = "dvc-other-app"
LOOPBACK = "http://127.0.0.1/callback"
SCHEME = "vn.gov.haiphong.dvc:/oauth2redirect"
CLIENTS = [
    {
        "client_id": APP,
        "name": "DVC Hải Phòng",
        "name_en": "DVC Hai Phong",
        "redirect_uris": [LOOPBACK, SCHEME],
    },
    {"client_id": OTHER, "name": "Ứng dụng khác", "redirect_uris": ["https://app.example.vn/cb"]},
]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def request_for(challenge: str, **over: Any) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": APP,
        "redirect_uri": "http://127.0.0.1:49152/callback",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": secrets.token_urlsafe(16),
        "scope": "dvc",
        **over,
    }


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
async def auth(make_auth):
    return await make_auth(oauth_clients=CLIENTS, oauth_issuer="https://dvc.example.vn/api/v1/auth")


@pytest.fixture
async def citizen(auth, person, h) -> dict[str, Any]:
    """A citizen signed in on the portal: their person and access token."""
    p = person()
    await h.register(auth, p)
    tokens = (await h.login(auth, p["citizen_id"], p["password"])).json()
    return {**p, "token": tokens["access_token"]}


async def consent(auth, h, token: str, req: dict[str, str], approve: bool = True):
    return await auth.post(f"{R}/oauth/authorize", json={**req, "approve": approve}, headers=h.bearer(token))


async def code_for(auth, h, token: str, **over: Any) -> tuple[str, str, dict[str, str]]:
    """An authorization code (as the app receives it), its verifier and the request."""
    verifier, challenge = pkce()
    req = request_for(challenge, **over)
    r = await consent(auth, h, token, req)
    assert r.status_code == 200, r.text
    back = query_of(r.json()["redirect_to"])
    assert back["state"] == req["state"]
    return back["code"], verifier, req


async def exchange(auth, code: str, verifier: str, redirect_uri: str, client_id: str = APP, **kw: Any):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": client_id,
    }
    return await auth.post(f"{R}/oauth/token", data=form, headers=FORM | kw.pop("headers", {}), **kw)


def refused(r, status: int, error: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["error"] == error and body["code"] == error.replace("_", "-"), body
    assert body["status"] == status and body["type"] and body["title"] and body["error_description"]
    assert body["error_description"].isascii()  # RFC 6749 §5.2


async def test_discovery_says_what_apps_need(auth):
    r = await auth.get(f"{R}/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    m = r.json()
    assert m["issuer"] == "https://dvc.example.vn/api/v1/auth"
    assert m["authorization_endpoint"] == "https://dvc.example.vn/api/v1/auth/oauth/authorize"
    assert m["token_endpoint"] == "https://dvc.example.vn/api/v1/auth/oauth/token"
    assert m["code_challenge_methods_supported"] == ["S256"]
    assert m["token_endpoint_auth_methods_supported"] == ["none"]
    assert set(m["grant_types_supported"]) == {"authorization_code", "refresh_token"}
    assert m["response_types_supported"] == ["code"]


async def test_an_app_signs_a_citizen_in_and_gets_a_session_named_after_it(auth, citizen, h):
    verifier, challenge = pkce()
    req = request_for(challenge)
    # 1. The app opens the authorize URL in the browser: on to the portal's page with the request.
    r = await auth.get(f"{R}/oauth/authorize", params=req)
    assert r.status_code == 302 and r.headers["cache-control"] == "no-store"
    where = urlsplit(r.headers["location"])
    assert where.path == "/dang-nhap/ung-dung" and query_of(r.headers["location"]) == req
    # The page reads the app's name from the service (never from its own address).
    r = await auth.get(f"{R}/oauth/clients/{APP}", params={"redirect_uri": req["redirect_uri"]})
    assert r.json() == {"client_id": APP, "name": "DVC Hải Phòng", "name_en": "DVC Hai Phong"}
    # 2. Signed in on the portal, the person allows it: back to the app's loopback port with a code.
    r = await consent(auth, h, citizen["token"], req)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    back = urlsplit(r.json()["redirect_to"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == "http://127.0.0.1:49152/callback"
    got = query_of(r.json()["redirect_to"])
    assert got["state"] == req["state"] and got["iss"] == "https://dvc.example.vn/api/v1/auth"
    stored = await auth.app.state.runtime.db.oauth_codes.find_one({})
    assert got["code"] not in str(stored)  # kept only as its digest
    # 3. The app exchanges it with its verifier: the token pair, as POST /login gives.
    r = await exchange(
        auth, got["code"], verifier, req["redirect_uri"], headers={"User-Agent": "DVC/1.0 (Android 14)"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    tokens = r.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900 and tokens["scope"] == "dvc"
    assert tokens["refresh_token"] and tokens["refresh_expires_in"] > 0
    me = await auth.get(f"{R}/me", headers=h.bearer(tokens["access_token"]))
    assert me.status_code == 200 and me.json()["citizen_id"] == citizen["citizen_id"]
    # A session of its own, named after the app, beside the portal's ("Thiết bị đăng nhập").
    listed = (await auth.get(f"{R}/sessions", headers=h.bearer(tokens["access_token"]))).json()["items"]
    assert [s["app"]["client_id"] for s in listed if s["app"]] == [APP]
    app_session = next(s for s in listed if s["current"])
    assert app_session["device"].startswith("Ứng dụng DVC Hải Phòng")
    assert app_session["app"] == {"client_id": APP, "name": "DVC Hải Phòng", "name_en": "DVC Hai Phong"}
    en = await auth.get(f"{R}/sessions", headers=h.bearer(tokens["access_token"]) | {"Accept-Language": "en"})
    assert next(s for s in en.json()["items"] if s["current"])["device"].startswith("App DVC Hai Phong")
    # Logged like a sign-in.
    attempt = await auth.app.state.runtime.db.login_attempts.find_one({"reason": "ok-app"})
    assert attempt is not None and attempt["ok"] is True


async def test_a_private_use_scheme_redirect_works_and_the_person_may_say_no(auth, citizen, h):
    code, verifier, req = await code_for(auth, h, citizen["token"], redirect_uri=SCHEME)
    assert (await exchange(auth, code, verifier, SCHEME)).status_code == 200
    verifier, challenge = pkce()
    req = request_for(challenge, redirect_uri=SCHEME)
    r = await consent(auth, h, citizen["token"], req, approve=False)
    assert r.status_code == 200
    assert r.json()["redirect_to"].startswith(SCHEME + "?")
    back = query_of(r.json()["redirect_to"])
    assert back["error"] == "access_denied" and back["state"] == req["state"] and "code" not in back


async def test_a_pkce_mismatch_is_refused_and_spends_the_code(auth, citizen, h):
    code, verifier, req = await code_for(auth, h, citizen["token"])
    wrong, _ = pkce()
    refused(await exchange(auth, code, wrong, req["redirect_uri"]), 400, "invalid_grant")
    # The right verifier afterwards: the code is spent (a guesser gets one try).
    refused(await exchange(auth, code, verifier, req["redirect_uri"]), 400, "invalid_grant")
    refused(await exchange(auth, code, "", req["redirect_uri"]), 400, "invalid_request")


async def test_the_plain_method_and_a_missing_challenge_go_back_to_the_app_as_errors(auth, citizen, h):
    verifier, _ = pkce()
    for over in ({"code_challenge_method": "plain", "code_challenge": verifier}, {"code_challenge": None}):
        req = {k: v for k, v in request_for(verifier, **over).items() if v is not None}
        r = await auth.get(f"{R}/oauth/authorize", params=req)
        assert r.status_code == 302
        back = query_of(r.headers["location"])
        assert r.headers["location"].startswith("http://127.0.0.1:49152/callback?")
        assert back["error"] == "invalid_request" and back["state"] == req["state"] and "code" not in back
        # The portal sending the same request on gets the same answer: no code.
        r = await consent(auth, h, citizen["token"], req)
        assert query_of(r.json()["redirect_to"])["error"] == "invalid_request"
    assert await auth.app.state.runtime.db.oauth_codes.count_documents({}) == 0
    r = await auth.get(f"{R}/oauth/authorize", params=request_for(pkce()[1], response_type="token"))
    assert query_of(r.headers["location"])["error"] == "unsupported_response_type"
    r = await auth.get(f"{R}/oauth/authorize", params=request_for(pkce()[1], scope="admin"))
    assert query_of(r.headers["location"])["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "over",
    [
        {"redirect_uri": "https://evil.example.com/callback"},
        {"redirect_uri": "http://localhost:49152/callback"},  # a name, not the loopback address
        {"redirect_uri": "http://127.0.0.1:49152/callback/../other"},
        {"redirect_uri": "http://127.0.0.1:49152/callbackx"},
        {"redirect_uri": "vn.gov.haiphong.dvc:/oauth2redirect#x"},
        {"redirect_uri": "https://app.example.vn/cb"},  # another app's
        {"redirect_uri": None},
        {"client_id": "no-such-app"},
        {"client_id": None},
    ],
)
async def test_a_wrong_client_or_redirect_uri_is_a_problem_never_a_redirect(auth, citizen, h, over):
    req = {k: v for k, v in request_for(pkce()[1], **over).items() if v is not None}
    r = await auth.get(f"{R}/oauth/authorize", params=req)
    assert r.status_code == 400 and "location" not in r.headers
    assert r.headers["content-type"].startswith("application/problem+json")
    code = "unknown-client" if "client_id" in over else "redirect-uri-mismatch"
    assert r.json()["code"] == code
    r = await consent(auth, h, citizen["token"], req)
    assert r.status_code == 400 and r.json()["code"] == code
    assert await auth.app.state.runtime.db.oauth_codes.count_documents({}) == 0


async def test_a_code_used_twice_ends_the_session_its_first_use_made(auth, citizen, h):
    code, verifier, req = await code_for(auth, h, citizen["token"])
    first = await exchange(auth, code, verifier, req["redirect_uri"])
    assert first.status_code == 200
    tokens = first.json()
    refused(await exchange(auth, code, verifier, req["redirect_uri"]), 400, "invalid_grant")
    # The session the code made is over: its refresh token is revoked, its access token listed as revoked.
    r = await auth.post(f"{R}/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401
    assert (await auth.get(f"{R}/me", headers=h.bearer(tokens["access_token"]))).status_code == 401
    # The person's portal session is theirs and lives on.
    assert (await auth.get(f"{R}/me", headers=h.bearer(citizen["token"]))).status_code == 200


async def test_an_expired_code_is_refused(make_auth, person, h):
    auth = await make_auth(oauth_clients=CLIENTS, oauth_code_ttl_seconds=1)
    p = person()
    await h.register(auth, p)
    token = (await h.login(auth, p["citizen_id"], p["password"])).json()["access_token"]
    code, verifier, req = await code_for(auth, h, token)
    await asyncio.sleep(1.5)
    refused(await exchange(auth, code, verifier, req["redirect_uri"]), 400, "invalid_grant")


async def test_a_code_is_bound_to_its_client_and_redirect_uri(auth, citizen, h):
    code, verifier, req = await code_for(auth, h, citizen["token"])
    refused(await exchange(auth, code, verifier, req["redirect_uri"], client_id=OTHER), 400, "invalid_grant")
    code, verifier, req = await code_for(auth, h, citizen["token"])
    refused(await exchange(auth, code, verifier, "http://127.0.0.1:50000/callback"), 400, "invalid_grant")
    code, verifier, req = await code_for(auth, h, citizen["token"])
    refused(
        await exchange(auth, code, verifier, req["redirect_uri"], client_id="no-such-app"),
        401,
        "invalid_client",
    )


async def test_the_token_endpoint_speaks_rfc_6749_errors(auth):
    r = await auth.post(f"{R}/oauth/token", json={"grant_type": "authorization_code", "client_id": APP})
    refused(r, 400, "invalid_request")  # JSON is not the form
    r = await auth.post(f"{R}/oauth/token", data={"grant_type": "password", "client_id": APP}, headers=FORM)
    refused(r, 400, "unsupported_grant_type")
    r = await auth.post(f"{R}/oauth/token", data={"client_id": APP}, headers=FORM)
    refused(r, 400, "invalid_request")
    r = await auth.post(
        f"{R}/oauth/token", content="grant_type=refresh_token&client_id=a&client_id=b", headers=FORM
    )
    refused(r, 400, "invalid_request")  # a parameter twice
    r = await auth.post(
        f"{R}/oauth/token",
        data={"grant_type": "refresh_token", "client_id": APP, "refresh_token": "x" * 43},
        headers=FORM | {"Accept-Language": "en"},
    )
    refused(r, 400, "invalid_grant")
    assert r.json()["detail"].startswith("The authorization code or refresh token")


async def test_refresh_through_the_token_endpoint_rotates_and_detects_reuse(auth, citizen, h):
    code, verifier, req = await code_for(auth, h, citizen["token"])
    tokens = (await exchange(auth, code, verifier, req["redirect_uri"])).json()

    async def refresh(token: str, client_id: str = APP):
        form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": client_id}
        return await auth.post(f"{R}/oauth/token", data=form, headers=FORM)

    # Another app's client_id: refused, and the token is not spent by it.
    refused(await refresh(tokens["refresh_token"], OTHER), 400, "invalid_grant")
    second = await refresh(tokens["refresh_token"])
    assert second.status_code == 200, second.text
    second = second.json()
    assert second["refresh_token"] != tokens["refresh_token"] and second["scope"] == "dvc"
    # Still the app's session after the rotation.
    listed = (await auth.get(f"{R}/sessions", headers=h.bearer(second["access_token"]))).json()["items"]
    assert next(s for s in listed if s["current"])["app"]["client_id"] == APP
    # The spent token again: someone copied it; the whole session ends, the latest token too.
    refused(await refresh(tokens["refresh_token"]), 400, "invalid_grant")
    refused(await refresh(second["refresh_token"]), 400, "invalid_grant")
    # A portal session's refresh token is no app's.
    portal = (await h.login(auth, citizen["citizen_id"], citizen["password"])).json()
    refused(await refresh(portal["refresh_token"]), 400, "invalid_grant")
    assert (
        await auth.post(f"{R}/refresh", json={"refresh_token": portal["refresh_token"]})
    ).status_code == 200


async def test_staff_sign_an_app_in_only_from_a_session_with_the_second_factor(auth, h):
    admin = await h.admin_token(auth)  # password and TOTP code, as the portal signs staff in
    code, verifier, req = await code_for(auth, h, admin)
    r = await exchange(auth, code, verifier, req["redirect_uri"])
    assert r.status_code == 200, r.text
    tokens = r.json()
    # The app's session keeps the second factor: it refreshes.
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": APP}
    assert (await auth.post(f"{R}/oauth/token", data=form, headers=FORM)).status_code == 200
    # Recorded in the audit trail like a staff sign-in, naming the app.
    docs = await auth.app.state.runtime.db.outbox.find(
        {"routing_key": "audit.recorded.v1", "envelope.data.action": "staff.signed_in"}
    ).to_list()
    assert {"reason": "app", "client_id": APP} in [d["envelope"]["data"]["after"] for d in docs]
    # A staff session made without the second factor (before it was required): no app sign-in from it.
    sid = (await auth.get(f"{R}/sessions", headers=h.bearer(admin))).json()["items"][0]["id"]
    await auth.app.state.runtime.db.refresh_tokens.update_many({"family": sid}, {"$set": {"mfa": False}})
    r = await consent(auth, h, admin, request_for(pkce()[1]))
    assert r.status_code == 403 and r.json()["code"] == "second-factor-required"


async def test_consenting_needs_a_signed_in_person(auth):
    r = await auth.post(f"{R}/oauth/authorize", json={**request_for(pkce()[1]), "approve": True})
    assert r.status_code == 401
