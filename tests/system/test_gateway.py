"""The gateway in front of the running stack: token checks at the edge, rate limits, CORS, headers,
request ids, the merged OpenAPI document, problem+json for its own errors, and a second replica that
behaves as the first."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from devstack import gateway
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


async def new_session(http: httpx.AsyncClient) -> dict[str, Any]:
    n = uuid.uuid4().int % 10**8
    person = {
        "full_name": "Vũ Thị Lan",
        "citizen_id": f"0319{n:08d}",
        "phone": f"097{n % 10**7:07d}",
        "password": "Do-Son-Beach-2026",
    }
    assert (await http.post("/api/v1/auth/register", json=person)).status_code == 201
    r = await http.post(
        "/api/v1/auth/login", json={"username": person["citizen_id"], "password": person["password"]}
    )
    assert r.status_code == 200, r.text
    return r.json()


async def new_citizen(http: httpx.AsyncClient) -> str:
    return (await new_session(http))["access_token"]


def access_log(stack) -> list[dict[str, Any]]:
    path = stack.cfg.log_dir / "gateway-access.log"
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def logged(stack, request_id: str) -> dict[str, Any] | None:
    return next((e for e in access_log(stack) if e["request_id"] == request_id), None)


@pytest.fixture(scope="module")
async def token(stack) -> str:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http:
        return await new_citizen(http)


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
        token = await new_citizen(http)
        codes = []
        for i in range(14):
            r = await http.post(
                "/api/v1/submissions/captcha",
                headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": f"198.18.{i}.1"},
            )
            codes.append(r.status_code)
        assert codes[:10] == [201] * 10 and 429 in codes[10:], codes
        # Another citizen still gets one.
        other = await new_citizen(http)
        r = await http.post("/api/v1/submissions/captcha", headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 201


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
            session = await new_session(first)
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
