"""The gateway in front of the running stack: token checks at the edge, rate limits, CORS, headers,
request ids, the merged OpenAPI document, problem+json for its own errors, and a second replica that
behaves as the first."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import subprocess
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from devstack import client, gateway
from devstack.infra import nginx_binary
from devstack.procs import wait_until
from devstack.stack import http_status
from devstack.testing import CORS_TEST_ORIGIN, eventually, free_port

PROTECTED = "/api/v1/notifications/unread-count"
CORS_ORIGIN = CORS_TEST_ORIGIN  # on the test stack's allow list


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return json.loads(base64.urlsafe_b64decode(pad(head))), json.loads(base64.urlsafe_b64decode(pad(body)))


def sign(header: dict[str, Any], claims: dict[str, Any], key: rsa.RSAPrivateKey) -> str:
    head, body = b64(json.dumps(header).encode()), b64(json.dumps(claims).encode())
    sig = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64(sig)}"


async def new_session(http: httpx.AsyncClient, stack) -> dict[str, Any]:
    async with stack.inbox() as inbox:
        p = await client.register(http, inbox, client.new_person("Vũ Thị Lan", email=False))
    return {"access_token": p.token, "refresh_token": p.refresh_token}


async def new_citizen(http: httpx.AsyncClient, stack) -> str:
    return (await new_session(http, stack))["access_token"]


def access_log(stack) -> list[dict[str, Any]]:
    path = stack.cfg.log_dir / "gateway-access.log"
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def logged(stack, request_id: str) -> dict[str, Any] | None:
    return next((e for e in access_log(stack) if e["request_id"] == request_id), None)


@pytest.fixture(scope="module")
async def token(stack) -> str:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        return await new_citizen(http, stack)


# -- tokens at the edge ----------------------------------------------------------------------------------
async def test_a_valid_token_passes_and_public_routes_need_none(stack, token):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        assert (await http.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})).status_code == 200
        assert (await http.get("/api/v1/catalog/procedures", params={"q": "khai sinh"})).status_code == 200
        assert (await http.get("/api/v1/auth/.well-known/jwks.json")).status_code == 200


async def test_refused_tokens_never_reach_the_service(stack, token):
    header, claims = token_parts(token)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = {
        "no token": None,
        "not a bearer token": "Basic YWRtaW46YWRtaW4=",
        "garbage": "Bearer not.a.jwt",
        "alg none": f"Bearer {b64(json.dumps({'alg': 'none', 'kid': header['kid']}).encode())}."
        f"{b64(json.dumps(claims).encode())}.",
        "signed by a stranger": f"Bearer {sign(header, claims, stranger)}",
        "unknown kid": f"Bearer {sign({**header, 'kid': 'not-a-key'}, claims, stranger)}",
        "tampered claims": "Bearer "
        + ".".join(
            [
                token.split(".")[0],
                b64(json.dumps({**claims, "roles": ["admin"]}).encode()),
                token.split(".")[2],
            ]
        ),
        "expired": f"Bearer {sign(header, {**claims, 'exp': now - 3600}, stranger)}",
        "another audience": f"Bearer {sign(header, {**claims, 'aud': 'elsewhere'}, stranger)}",
    }
    ids = {}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for name, value in forged.items():
            rid = f"edge-{uuid.uuid4().hex[:12]}"
            headers = {"X-Request-ID": rid} | ({"Authorization": value} if value else {})
            r = await http.get(PROTECTED, headers=headers)
            assert r.status_code == 401, (name, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.json()["code"] == "unauthenticated" and r.json()["request_id"] == rid
            assert r.headers["www-authenticate"].startswith("Bearer")
            ids[name] = rid

    def all_logged() -> dict[str, dict[str, Any]] | None:
        entries = {name: logged(stack, rid) for name, rid in ids.items()}
        return entries if all(entries.values()) else None  # the log is flushed every second

    entries = await eventually(all_logged, timeout=5)
    for name, e in entries.items():
        assert e["upstream"] == "", f"{name}: reached {e['upstream']}"  # refused before any service
        assert e["edge"], name  # the reason, for operators


def raw_request(url: str, head: bytes) -> tuple[list[str], bytes]:
    """Send ``head`` (request line and headers, no body) and read the whole answer: (lowercased header
    lines, body). For what httpx will not send: no Host header, a body announced and never sent."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    top, _, body = answer.partition(b"\r\n\r\n")
    return top.decode("latin-1").lower().splitlines(), body


async def test_an_upload_with_a_refused_token_is_a_401_problem_not_a_500(stack):
    """An upload (Content-Length over 1 MB) without a valid token: the refusal's error page, reached from
    a subrequest, must not hold the upload's size against its own limit (that was an HTML 500)."""
    for auth in ("", "Authorization: Bearer x.y.z\r\n"):
        head, body = raw_request(
            stack.url,
            b"POST /api/v1/submissions/dossiers/x/attachments HTTP/1.1\r\nHost: dvc\r\n"
            + auth.encode()
            + b"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000000\r\n"
            b"Connection: close\r\n\r\n",
        )
        assert head[0].startswith("http/1.1 401"), (auth, head[0])
        assert any(h.startswith("content-type: application/problem+json") for h in head), head
        assert json.loads(body)["code"] == "unauthenticated"


# -- rate limits -------------------------------------------------------------------------------------------
async def test_registration_is_rate_limited_per_address_with_problem_json_and_retry_after(stack):
    hammer = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        codes = [
            (await http.post("/api/v1/auth/register", json={}, headers=hammer)).status_code for _ in range(12)
        ]
        assert codes.count(422) >= 5 and codes[-1] == 429, codes  # burst 5 (policy.toml), then refused
        r = await http.post("/api/v1/auth/register", json={}, headers=hammer)
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "too-many-requests"
        assert int(r.headers["retry-after"]) >= 1 and r.json()["retry_after"] == int(r.headers["retry-after"])
        # Another address is not affected, nor are other routes for the same one.
        other = {"X-Forwarded-For": "198.51.100.7"}
        assert (await http.post("/api/v1/auth/register", json={}, headers=other)).status_code == 422
        assert (await http.get("/api/v1/catalog/fields", headers=hammer)).status_code == 200


async def test_captcha_is_rate_limited_per_user_whatever_the_address(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        token = await new_citizen(http, stack)
        codes = []
        for i in range(14):
            r = await http.post(
                "/api/v1/submissions/captcha",
                headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": f"198.18.{i}.1"},
            )
            codes.append(r.status_code)
        assert codes[:10] == [201] * 10 and 429 in codes[10:], codes
        # Another citizen still gets one.
        other = await new_citizen(http, stack)
        r = await http.post("/api/v1/submissions/captcha", headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 201


_admins: dict[str, client.Person] = {}


async def new_officer(stack, http: httpx.AsyncClient) -> str:
    """An officer's access token: an account the administrator makes (no registration involved), signed
    in with the second factor it enrols at this first sign-in. The administrator signs in once a stack (a
    TOTP code works once: each sign-in of it takes one of the 30-second steps)."""
    if stack.url not in _admins:
        _admins[stack.url] = await client.admin(http, stack.cfg.admin_username, stack.cfg.admin_password)
    n = uuid.uuid4().hex[:10]
    officer = {
        "full_name": "Trần Văn Một Cửa",
        "role": "officer",
        "agencies": ["000.01.G7.H26"],
        "username": f"canbo{n}",
        "password": f"Mot-Cua-{n}-Le-Chan",
    }
    headers = _admins[stack.url].auth
    assert (await http.post("/api/v1/auth/users", json=officer, headers=headers)).status_code == 201
    desk = client.Person(officer["full_name"], "", "", None)
    return (await client.login(http, desk, officer["username"], officer["password"])).token


def user_zone(stack, name: str = "user") -> dict[str, Any]:
    """A per-user zone of gateway/policy.toml (rate and burst), as the stack's gateway was given it."""
    return tomllib.loads((stack.cfg.root / "gateway" / "policy.toml").read_text())["zones"][name]


def forge(token: str) -> str:
    """The same header and claims as ``token`` (its owner's `sub`, key id, issuer, audience, expiry), signed
    by someone else: only the signature gives it away."""
    header, claims = token_parts(token)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return sign(header, claims, stranger)


async def from_many_addresses(
    http: httpx.AsyncClient, method: str, path: str, token: str, n: int
) -> list[httpx.Response]:
    """``n`` calls with ``token``, each from an address of its own (the test gateway believes X-Forwarded-For
    from 127.0.0.1) and sent together, so only a bucket keyed on the token's user could hold them together."""
    gate = asyncio.Semaphore(16)
    base = uuid.uuid4().int % 200 + 20

    async def one(i: int) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {token}",
            "X-Forwarded-For": f"100.{base}.{i // 250}.{i % 250 + 1}",
        }
        async with gate:
            return await http.request(method, path, headers=headers)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def test_forged_tokens_naming_a_real_user_never_spend_that_users_rate_limit(stack):
    """Security review, issue 12: the per-user bucket was keyed on the token's `sub` before the signature was
    checked, so 160 forged tokens naming an officer made the officer's own requests 429. Only a verified
    subject may count in a user zone; a forged one counts where it came from (its address)."""
    zone = user_zone(stack)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        token = await new_officer(stack, http)
        forged = forge(token)
        n = zone["burst"] + 60  # well over the user zone's burst, sent faster than it refills
        codes = [r.status_code for r in await from_many_addresses(http, "GET", PROTECTED, forged, n)]
        # The officer, right after, from addresses of their own: answered, not told to wait.
        mine = [r.status_code for r in await from_many_addresses(http, "GET", PROTECTED, token, 3)]
        assert mine == [200] * 3, f"the real user was refused after {n} forgeries in their name: {mine}"
        assert codes == [401] * n, sorted(set(codes))  # refused for what they are, every one of them

        # A route's stricter per-user zone too (captchas: 10 a minute a user).
        tries = user_zone(stack, "captcha_user")["burst"] + 5
        got = await from_many_addresses(http, "POST", "/api/v1/submissions/captcha", forged, tries)
        assert [r.status_code for r in got] == [401] * tries
        r = await http.post(
            "/api/v1/submissions/captcha",
            headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.77"},
        )
        # Passed on to the service, which answers for itself (captchas are for citizens filing).
        assert r.status_code == 403 and r.json()["code"] != "too-many-requests", r.text


async def test_a_real_user_over_their_own_limit_is_refused_whatever_the_address(stack):
    zone = user_zone(stack)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        token = await new_officer(stack, http)
        got: list[httpx.Response] = []
        while not any(r.status_code == 429 for r in got) and len(got) < 1000:  # until empty, however slow
            got += await from_many_addresses(http, "GET", PROTECTED, token, 50)
        codes = [r.status_code for r in got]
        assert set(codes) == {200, 429} and codes.count(200) > zone["burst"], codes
        refused = next(r for r in got if r.status_code == 429)
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "too-many-requests" and int(refused.headers["retry-after"]) >= 1
        # Another user is not affected.
        other = await new_officer(stack, http)
        assert (await http.get(PROTECTED, headers={"Authorization": f"Bearer {other}"})).status_code == 200


# -- redirects ---------------------------------------------------------------------------------------------
async def test_a_trailing_slash_redirect_keeps_the_address_the_client_used(stack):
    """Security review, issue 12: the services' redirect (FastAPI, trailing slash) lost the gateway's port,
    sending clients to port 80 of the gateway's host."""
    path = "/api/v1/catalog/procedures"
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        r = await http.get(f"{path}/?q=khai-sinh", follow_redirects=False)
        assert r.status_code == 307, r.text
        assert r.headers["location"] == f"{stack.url}{path}?q=khai-sinh"
        followed = await http.get(f"{path}/?q=khai-sinh", follow_redirects=True)
        assert followed.status_code == 200 and followed.url == f"{stack.url}{path}?q=khai-sinh"
        # The name and port the client asked for, whatever they are (a public name, behind a load balancer).
        r = await http.get("/api/v1/catalog/fields/", headers={"Host": "dichvucong.haiphong.gov.vn:8443"})
        assert r.headers["location"] == "http://dichvucong.haiphong.gov.vn:8443/api/v1/catalog/fields"
        # A load balancer the gateway trusts terminated TLS: the client used https.
        lb = {
            "Host": "dichvucong.haiphong.gov.vn",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.5",
        }
        r = await http.get("/api/v1/catalog/fields/", headers=lb)
        assert r.headers["location"] == "https://dichvucong.haiphong.gov.vn/api/v1/catalog/fields"
    # HTTP/1.0 without a Host header: the address the client reached, never a service's own.
    head, _ = raw_request(stack.url, b"GET /api/v1/catalog/fields/ HTTP/1.0\r\n\r\n")
    assert head[0].startswith("http/1.1 307"), head
    assert f"location: {stack.url}/api/v1/catalog/fields" in head, head


# -- headers, CORS, request ids ----------------------------------------------------------------------------
async def test_security_headers_on_the_portal_and_the_api(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for path in ("/", "/api/v1/catalog/fields", "/api/v1/nothing-here"):
            r = await http.get(path)
            csp = r.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp, path
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
            assert "strict-transport-security" not in r.headers  # production only (see test_containers)


async def test_the_service_worker_and_the_manifest_are_served_for_an_installable_portal(stack):
    """Issue 23 (B): /sw.js is asked for again on every update check and may control the whole site;
    the manifest has its media type; both keep the security headers."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        sw = await http.get("/sw.js")
        assert sw.status_code == 200 and sw.headers["content-type"].startswith("application/javascript")
        assert sw.headers["cache-control"] == "no-cache"
        assert sw.headers["service-worker-allowed"] == "/"
        assert "const VERSION = " in sw.text
        manifest = await http.get("/manifest.webmanifest")
        assert manifest.status_code == 200
        assert manifest.headers["content-type"].startswith("application/manifest+json")
        assert manifest.headers["cache-control"] == "no-cache"
        assert manifest.json()["start_url"] == "/"
        for r in (sw, manifest):
            csp = r.headers["content-security-policy"]
            assert (
                "worker-src 'self'" in csp
                and "manifest-src 'self'" in csp
                and "frame-ancestors 'none'" in csp
            )
            assert r.headers["x-content-type-options"] == "nosniff"
        # The rest of the portal keeps the gateway's usual answers (no Service-Worker-Allowed there).
        index = await http.get("/ho-so")
        assert index.status_code == 200 and "service-worker-allowed" not in index.headers
        assert '<link rel="manifest" href="/manifest.webmanifest">' in index.text


async def test_cors_answers_only_origins_on_the_allow_list(stack):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        r = await http.options("/api/v1/auth/login", headers={"Origin": CORS_ORIGIN} | preflight)
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == CORS_ORIGIN
        assert "POST" in r.headers["access-control-allow-methods"]
        assert "authorization" in r.headers["access-control-allow-headers"].lower()
        r = await http.options("/api/v1/auth/login", headers={"Origin": "https://evil.example"} | preflight)
        assert "access-control-allow-origin" not in r.headers
        r = await http.get("/api/v1/catalog/fields", headers={"Origin": CORS_ORIGIN})
        assert r.headers["access-control-allow-origin"] == CORS_ORIGIN
        assert "Origin" in r.headers["vary"]


async def test_request_id_is_made_when_absent_and_passed_on_when_given(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        # A code that cannot exist (not the catalogue's format: other tests may create any well-formed one).
        made = await http.get("/api/v1/catalog/procedures/khong-co-ma")
        assert made.status_code == 422
        rid = made.headers["x-request-id"]
        assert len(rid) >= 16 and made.json()["request_id"] == rid  # the service saw the same id
        given = await http.get(
            "/api/v1/catalog/procedures/khong-co-ma", headers={"X-Request-ID": "client-42"}
        )
        assert given.headers["x-request-id"] == "client-42" and given.json()["request_id"] == "client-42"
        # An id that could forge log lines is replaced.
        bad = await http.get("/api/v1/catalog/fields", headers={"X-Request-ID": 'x" injected'})
        assert bad.headers["x-request-id"] != 'x" injected'


async def test_the_gateway_stores_a_public_answer_once_it_is_asked_for_again(stack):
    """A search asked once (most are) is not written to the gateway's cache: storing it would cost more
    than the search; its second request is stored and the third is answered from the cache."""
    q = f"khai sinh {uuid.uuid4().hex[:6]}"  # a query no one has asked
    ids = [f"cache-{uuid.uuid4().hex[:8]}-{i}" for i in range(3)]
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        for rid in ids:
            r = await http.get("/api/v1/catalog/procedures", params={"q": q}, headers={"X-Request-ID": rid})
            assert r.status_code == 200

    def upstreams() -> list[str] | None:  # the gateway writes its access log once a second
        lines = [logged(stack, rid) for rid in ids]
        return [line["upstream"] for line in lines] if all(lines) else None

    got = await eventually(upstreams)
    assert got[0] and got[1] and not got[2], got  # the service answered twice, the cache once


async def test_bodies_over_the_route_limit_get_problem_json_413(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        r = await http.post(
            "/api/v1/auth/login",
            content=b"x" * (2 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
    assert r.status_code == 413
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "payload-too-large"


# -- one OpenAPI document --------------------------------------------------------------------------------
async def test_one_openapi_document_merges_every_service_and_swagger_ui_browses_it(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        doc = (await http.get("/api/openapi.json")).json()
        page = await http.get("/api/docs/")
        assert page.status_code == 200 and "swagger" in page.text.lower()
        assert (await http.get("/api/docs", follow_redirects=False)).status_code == 301
    paths = doc["paths"]
    for p in (
        "/api/v1/auth/login",
        "/api/v1/catalog/procedures",
        "/api/v1/submissions/dossiers/{dossier_id}/submit",
        "/api/v1/notifications",
    ):
        assert p in paths, p
    assert not any(p.endswith(("/healthz", "/readyz")) for p in paths)  # operators', not clients'
    # Every schema a path refers to is in the document.
    text = json.dumps(paths)
    for ref in {r.split('"')[0] for r in text.split('"$ref": "#/components/schemas/')[1:]}:
        assert ref in doc["components"]["schemas"], ref


# -- a second replica, and services that are down ---------------------------------------------------------
def _second_gateway(stack, name: str, **changes: Any) -> Iterator[str]:
    # Beside the stack's own folder: nginx's workers (nobody, when tests run as root) must reach it.
    home = stack.cfg.data_dir.parent / f"{stack.cfg.data_dir.name}-{name}"
    cfg = replace(stack.cfg, data_dir=home, gateway_port=free_port(), **changes)
    conf = gateway.write_local(cfg)
    proc = subprocess.Popen([nginx_binary(), "-p", str(conf.parent), "-c", str(conf)])
    try:
        wait_until("second gateway", lambda: http_status(f"{cfg.gateway_url}/gateway/healthz") == 200, 15)
        yield cfg.gateway_url
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def second_gateway(stack) -> Iterator[str]:
    yield from _second_gateway(stack, "gw2")


@pytest.fixture
def gateway_without_services(stack) -> Iterator[str]:
    # Same stack, upstream ports where nothing listens: every service is down for this gateway.
    yield from _second_gateway(stack, "gw3", port_offset=stack.cfg.port_offset + 350)


async def test_a_second_gateway_replica_behaves_as_the_first(stack, token, second_gateway):
    h = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as http:
        for base in (stack.url, second_gateway):
            assert (await http.get(base + PROTECTED, headers=h)).status_code == 200
            assert (await http.get(base + PROTECTED)).status_code == 401
        # A session begun on one continues on the other: a gateway keeps nothing but caches.
        async with httpx.AsyncClient(base_url=stack.url, timeout=30) as first:
            session = await new_session(first, stack)
        r = await http.post(
            second_gateway + "/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}
        )
        assert r.status_code == 200, r.text
        fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
        assert (await http.get(stack.url + PROTECTED, headers=fresh)).status_code == 200


async def test_a_service_that_is_down_is_a_problem_json_502(stack, token, gateway_without_services):
    async with httpx.AsyncClient(base_url=gateway_without_services, timeout=30) as http:
        r = await http.get("/api/v1/catalog/procedures/1.004194")
        assert r.status_code == 502, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "bad-gateway"
        # With auth down too, the edge cannot fetch keys: it lets the token through for the service to
        # check, and the service being down is what the client hears about.
        r = await http.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 502 and r.json()["code"] == "bad-gateway"
        # The portal itself is static and still served.
        assert (await http.get("/")).status_code == 200
