"""Hostile input through the gateway: files that lie about what they are, forged and stolen tokens, MongoDB
operators where strings belong, bodies too large, clients too slow, and callers too eager. Each is refused
with a 4xx problem+json (a stable ``code`` and a ``detail``), and nothing is stored or changed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import socket
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import botocore.session
import h11
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from auth.config import Settings as AuthSettings
from devstack import client
from devstack.config import S3_ACCESS_KEY, S3_SECRET_KEY, SERVICES

from .conftest import AGENCY_X, S, Who, World, pdf


def refused(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """A clear refusal: the status, problem+json with a machine code and a human detail."""
    assert r.status_code == status, f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}"
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers["content-type"]
    body = r.json()
    assert body["code"] and body["detail"], body
    if code:
        assert body["code"] == code, body
    return body


def address() -> dict[str, str]:
    """A client address of its own (the test gateway believes X-Forwarded-For from 127.0.0.1): the
    gateway's per-address buckets and auth's failed-login counters start empty for it."""
    n = uuid.uuid4().int
    return {"X-Forwarded-For": f"10.{n % 250 + 1}.{n // 250 % 250 + 1}.{n // 62500 % 250 + 1}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


# -- uploads ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bucket(world: World) -> Any:
    s3 = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=world.stack.cfg.s3_endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
    )
    return lambda prefix: sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket=world.stack.cfg.bucket, Prefix=prefix).get("Contents", [])
    )


@pytest.fixture
def draft(world: World, bucket: Any) -> Iterator[dict[str, Any]]:
    """A draft of citizen A's; after the test its files, in MongoDB and in the bucket, are as before."""
    d = world.draft(world.a)
    seen = world.db("submission").dossiers.find_one({"_id": d["id"]})
    objects = bucket(f"dossiers/{d['id']}/")
    yield d
    now = world.db("submission").dossiers.find_one({"_id": d["id"]})
    for k in ("attachments", "total_bytes", "uploading", "rev", "status"):
        assert (now.get(k) or None) == (seen.get(k) or None), k  # an empty list is no list
    assert bucket(f"dossiers/{d['id']}/") == objects  # nothing left half-stored


def send_file(world: World, d: dict[str, Any], name: str, data: bytes, ctype: str = "application/pdf") -> Any:
    component = d["procedure"]["components"][0]["id"]
    return world.http.post(
        f"{S}/dossiers/{d['id']}/attachments",
        headers=world.a.headers,
        data={"component_id": component},
        files={"file": (name, data, ctype)},
    )


def zip_bomb() -> bytes:
    """A 250 KB zip that inflates to 256 MB, 25 times the component's limit. Nothing on the server
    inflates uploads; it must not pass for a PDF either."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("hồ sơ.pdf", "w", force_zip64=True) as f:
            for _ in range(256):
                f.write(bytes(1 << 20))
    return out.getvalue()


LIARS = {
    "html named .pdf": (
        "biên lai.pdf",
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
    ),
    "exe named .pdf": ("tờ khai.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\0" * 4000),
    "svg named .png": ("ảnh.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    "zip bomb named .pdf": ("hồ sơ.pdf", None),
}


@pytest.mark.parametrize("case", LIARS)
def test_a_file_is_judged_by_its_bytes_not_its_name_or_content_type(world, draft, case):
    name, data = LIARS[case]
    body = refused(send_file(world, draft, name, data or zip_bomb()), 415, "file-type-refused")
    assert body["detected"] != "pdf", body


def test_a_file_over_the_component_limit_is_refused_while_it_streams(world, draft):
    limit = draft["procedure"]["components"][0]["max_bytes"]
    body = refused(
        send_file(world, draft, "quá lớn.pdf", pdf(limit)), 413, "file-too-large"
    )  # a PDF, just over
    assert body["limit_bytes"] == limit


# The file name parameter as it goes on the wire (written by hand: httpx would percent-encode some).
NAMES = {
    "parent directories": b'filename="../../etc/passwd.pdf"',
    "a Windows path": b'filename="..\\..\\windows\\win.ini.pdf"',
    "an absolute path": b'filename="/tmp/x.pdf"',
    "dot dot": b'filename=".."',
    "a control character": b'filename="a\x01b.pdf"',
    "a right-to-left override": 'filename="hóa đơn\u202efdp.exe"'.encode(),
    # RFC 7578 forbids filename* in forms and the parser ignores it: such a part is no file at all.
    "an encoded path (RFC 5987)": b"filename*=UTF-8''..%2F..%2Fetc%2Fpasswd.pdf",
    "an encoded NUL (RFC 5987)": b"filename*=UTF-8''a%00b.pdf",
}
NOT_A_FILE = {"an encoded path (RFC 5987)", "an encoded NUL (RFC 5987)"}


@pytest.mark.parametrize("case", NAMES)
def test_a_file_name_with_a_path_or_control_characters_is_refused(world, draft, case):
    boundary = uuid.uuid4().hex
    component = draft["procedure"]["components"][0]["id"]
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="component_id"\r\n\r\n{component}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '.encode()
        + NAMES[case]
        + b"\r\nContent-Type: application/pdf\r\n\r\n"
        + pdf()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {**world.a.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    r = world.http.post(f"{S}/dossiers/{draft['id']}/attachments", content=body, headers=headers)
    refused(r, 422, "file-required" if case in NOT_A_FILE else "bad-file-name")


def test_a_dossier_takes_at_most_max_files(world, bucket):
    d = world.draft(world.a)
    limit = 50  # SUBMISSION_MAX_FILES on the test stack (the default)
    for i in range(limit):
        world.upload(world.a, d["id"], d["procedure"]["components"][i % 2]["id"], f"tệp {i}.pdf")
    before = bucket(f"dossiers/{d['id']}/")
    body = refused(send_file(world, d, "một tệp nữa.pdf", pdf()), 409, "too-many-files")
    assert body["limit"] == limit
    stored = world.db("submission").dossiers.find_one({"_id": d["id"]})
    assert len(stored["attachments"]) == limit and bucket(f"dossiers/{d['id']}/") == before


def many_fields(boundary: str, n: int = 100_000) -> bytes:
    """About 8 MB of one-byte fields: the shape of a body that once cost the service seconds of parsing
    (and every other request of the replica their latency) before an answer that changed nothing."""
    part = f'--{boundary}\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n'.encode()
    return part * n + f"--{boundary}--\r\n".encode()


def test_forms_that_cost_work_or_storage_for_nothing_are_refused_and_store_nothing(world, bucket):
    """Through the gateway (which streams bodies to the service): a form of thousands of fields, sent to
    an action or as an upload, and a file sent to an action that keeps none. Each is refused before the
    body is read, and nothing reaches the bucket. Each request on a connection of its own (a request
    refused before its body is read may leave its connection closing)."""
    filed, draft = world.file(world.a), world.draft(world.a)
    objects = {d["id"]: bucket(f"dossiers/{d['id']}/") for d in (filed, draft)}
    before = world.snapshot(world.a)
    boundary = uuid.uuid4().hex
    form = {**world.a.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}

    def chunked(body: bytes) -> Iterator[bytes]:
        return iter([body[i : i + 65536] for i in range(0, len(body), 65536)])

    withdraw = f"{world.url}{S}/dossiers/{filed['id']}/actions/withdraw"
    r = httpx.post(withdraw, content=chunked(many_fields(boundary)), headers=form, timeout=60)
    refused(r, 415, "json-required")
    r = httpx.post(
        f"{world.url}{S}/dossiers/{draft['id']}/attachments",
        content=chunked(many_fields(boundary)),
        headers=form,
        timeout=60,
    )
    body = refused(r, 413, "too-many-parts")
    assert body["limit"] <= 8
    # A 5 MB PDF with the citizen's own withdrawal: refused, never stored (it once was, for ever).
    big = pdf(5 << 20)
    r = httpx.post(
        withdraw, files={"file": ("đơn.pdf", big, "application/pdf")}, headers=world.a.headers, timeout=60
    )
    refused(r, 413, "payload-too-large")
    file_part = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="don.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    r = httpx.post(
        withdraw,
        content=chunked(file_part + big + f"\r\n--{boundary}--\r\n".encode()),
        headers=form,
        timeout=60,
    )
    refused(r, 415, "json-required")
    assert {d: bucket(f"dossiers/{d}/") for d in objects} == objects
    assert world.snapshot(world.a) == before
    stored = world.db("submission").dossiers.find_one({"_id": filed["id"]})
    assert stored["status"] == "submitted" and not stored.get("uploading")


# -- tokens ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def signer(world: World) -> tuple[str, Any]:
    """The auth service's active signing key (kid, private key), read as auth itself reads it: forged
    tokens that carry a good signature show the claims are checked, not only the signature."""
    doc = world.db("auth").signing_keys.find_one({"retired_at": None}, sort=[("created_at", -1)])
    passphrase = AuthSettings.model_fields["key_passphrase"].default.get_secret_value().encode()
    return doc["_id"], serialization.load_pem_private_key(doc["private_pem"].encode(), passphrase)


def claims(who: Who, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": "dvc-haiphong-auth",
        "aud": "dvc-haiphong",
        "sub": who.user_id,
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "roles": ["citizen"],
        "agencies": [],
        "name": who.person.get("full_name", ""),
    }
    return {k: v for k, v in (base | changes).items() if v is not None}


def service_url(world: World, name: str) -> str:
    spec = next(s for s in SERVICES if s.name == name)
    return f"http://127.0.0.1:{world.stack.cfg.ports(spec)[0]}"


def token(header: dict[str, Any], payload: dict[str, Any], sign: Any = None) -> str:
    """A JWT put together by hand; ``sign(signing_input) -> signature`` (none: no signature)."""
    signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing}.{b64(sign(signing.encode())) if sign else ''}"


def forgeries(world: World, signer: tuple[str, Any]) -> dict[str, str]:
    """Citizen A's identity, forged every way the brief names (and a few more)."""
    kid, key = signer
    a, now = world.a, int(time.time())
    head, body, sig = a.token.split(".")
    real = json.loads(base64.urlsafe_b64decode(body + "=="))
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def signed(payload: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        # Auth's own key: only the claims are wrong.
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid} if header is None else header)

    def hmac_with_public_key(data: bytes) -> bytes:
        # The classic confusion: the public key (which anyone may fetch) as an HMAC secret.
        return hmac.new(public, data, hashlib.sha256).digest()

    return {
        "alg none": token({"alg": "none", "kid": kid}, claims(a)),
        "HS256 with the public key": token({"alg": "HS256", "kid": kid}, claims(a), hmac_with_public_key),
        "expired": signed(claims(a, iat=now - 7200, exp=now - 3600)),
        "not yet valid": signed(claims(a, nbf=now + 3600)),
        "another audience": signed(claims(a, aud="dvc-elsewhere")),
        "another issuer": signed(claims(a, iss="https://evil.example")),
        "no jti": signed(claims(a, jti=None)),
        "unknown kid": signed(claims(a), {"kid": "not-a-key"}),
        "no kid": signed(claims(a), {}),
        "tampered roles": f"{head}.{b64(json.dumps(real | {'roles': ['admin']}).encode())}.{sig}",
        "another's claims, A's signature": f"{head}.{world.b.token.split('.')[1]}.{sig}",
    }


def test_forged_tokens_are_refused_by_the_gateway_and_by_the_service_itself(world, signer):
    """Each forgery of citizen A's identity tries to change A's notification channels: through the
    gateway, and straight at the notify service (defence in depth: the edge is not the authority)."""
    before = world.snapshot(world.a)
    notify = service_url(world, "notify")
    sms = not (before["prefs"] or {}).get("sms", False)
    for name, forged in forgeries(world, signer).items():
        auth = {"Authorization": f"Bearer {forged}"}
        for base in (world.url, notify):
            url = f"{base}/api/v1/notifications/preferences"
            r = httpx.put(url, json={"sms": sms}, headers=auth, timeout=30)
            assert r.status_code == 401, (name, base, r.text)
            refused(r, 401, "unauthenticated")
        # An administrator's route: a token that says "admin" without auth's signature is no one.
        r = world.http.get("/api/v1/auth/users", headers=auth)
        assert r.status_code == 401, (name, r.text)
    assert world.snapshot(world.a) == before
    # A's real token is let through the same way: the forgeries were refused for what they are.
    prefs = world.http.get("/api/v1/notifications/preferences", headers=world.a.headers).json()
    r = world.http.put(
        "/api/v1/notifications/preferences", json={"sms": prefs["sms"]}, headers=world.a.headers
    )
    assert r.status_code == 200, r.text


def test_a_locked_account_can_neither_sign_in_nor_refresh(world):
    c = world.citizen("citizen L", "Bùi Văn Khóa")
    session = world.login(c.person["citizen_id"], c.person["password"])
    r = world.http.patch(
        f"/api/v1/auth/users/{c.user_id}", json={"locked": True}, headers=world.admin.headers
    )
    assert r.status_code == 200 and r.json()["locked"], r.text
    tokens = world.db("auth").refresh_tokens
    issued = tokens.count_documents({"user_id": c.user_id})
    refused(world.http.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    body = {"username": c.person["citizen_id"], "password": c.person["password"]}
    refused(world.http.post("/api/v1/auth/login", json=body, headers=address()), 403, "account-locked")
    assert tokens.count_documents({"user_id": c.user_id}) == issued  # no new session
    assert tokens.count_documents({"user_id": c.user_id, "revoked": False}) == 0  # locking ended them


def test_a_deleted_account_is_gone_for_its_tokens(world):
    c = world.citizen("citizen D", "Hà Văn Xóa")
    session = world.login(c.person["citizen_id"], c.person["password"])
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    # No API deletes an account; an operator's removal (a data-protection request) is what this stands for.
    world.db("auth").users.delete_one({"_id": c.user_id})
    refused(world.http.get("/api/v1/auth/me", headers=headers), 404)
    change = {"email": "moi@example.vn", "current_password": c.person["password"]}
    refused(world.http.patch("/api/v1/auth/me", json=change, headers=headers), 404)
    refused(world.http.post("/api/v1/auth/refresh", json={"refresh_token": session["refresh_token"]}), 401)
    assert world.db("auth").users.find_one({"_id": c.user_id}) is None  # the PATCH made no account


def test_a_refresh_token_used_twice_ends_the_whole_session(world):
    c = world.citizen("citizen R", "Lý Thị Dùng Lại")
    first = world.login(c.person["citizen_id"], c.person["password"])["refresh_token"]
    r = world.http.post("/api/v1/auth/refresh", json={"refresh_token": first})
    assert r.status_code == 200, r.text
    second = r.json()["refresh_token"]
    # Someone replays the first (it was copied): refused, and the session it began ends with it.
    refused(
        world.http.post("/api/v1/auth/refresh", json={"refresh_token": first}), 401, "invalid-refresh-token"
    )
    refused(
        world.http.post("/api/v1/auth/refresh", json={"refresh_token": second}), 401, "invalid-refresh-token"
    )
    family = world.db("auth").refresh_tokens.find_one({"_id": hashlib.sha256(first.encode()).hexdigest()})[
        "family"
    ]
    tokens = list(world.db("auth").refresh_tokens.find({"family": family}))
    assert len(tokens) == 2 and all(t["revoked"] for t in tokens)


# -- MongoDB operators where strings belong -------------------------------------------------------------
OPERATOR = {"$gt": ""}
WHERE = {"$where": "sleep(5000) || true"}


def test_operators_in_json_fields_are_invalid_input(world):
    d = world.draft(world.a)
    before = world.snapshot(world.a)
    attempts = world.db("auth").login_attempts
    logged = attempts.count_documents({})
    cases = [
        ("POST", "/api/v1/auth/login", {"username": OPERATOR, "password": OPERATOR}, {}),
        ("POST", "/api/v1/auth/login", {"username": world.a.person["citizen_id"], "password": OPERATOR}, {}),
        ("POST", "/api/v1/auth/refresh", {"refresh_token": OPERATOR}, {}),
        ("POST", "/api/v1/auth/password/forgot", {"username": WHERE}, {}),
        (
            "POST",
            "/api/v1/auth/password/reset",
            {"username": OPERATOR, "code": OPERATOR, "new_password": "x" * 12},
            {},
        ),
        ("PATCH", "/api/v1/auth/me", {"email": {"$ne": None}}, world.a.headers),
        ("PUT", "/api/v1/notifications/preferences", {"sms": OPERATOR}, world.a.headers),
        ("POST", f"{S}/dossiers", {"procedure_code": OPERATOR, "agency_code": AGENCY_X}, world.a.headers),
        ("PUT", f"{S}/dossiers/{d['id']}/applicant", {"submitter": WHERE}, world.a.headers),
        ("PUT", f"{S}/dossiers/{d['id']}/case", {"case": WHERE}, world.a.headers),
        (
            "POST",
            f"{S}/dossiers/{d['id']}/submit",
            {"captcha_id": OPERATOR, "captcha_answer": OPERATOR},
            world.a.headers,
        ),
        (
            "PATCH",
            f"/api/v1/auth/users/{world.a.user_id}",
            {"locked": OPERATOR, "roles": WHERE},
            world.admin.headers,
        ),
    ]
    for method, path, body, headers in cases:
        r = world.http.request(method, path, json=body, headers={**headers, **address()})
        refused(r, 422, "validation-error")
    assert world.snapshot(world.a) == before
    assert attempts.count_documents({}) == logged  # refused before any account was looked up


def test_a_json_body_that_is_not_utf8_is_invalid_input(world):
    """Bytes no JSON text may hold: the same 422 as any malformed JSON (FastAPI alone says 400, which
    the document never mentions)."""
    d = world.draft(world.a)
    before = world.snapshot(world.a)
    body = b'{"username": "\xff\xfe\xfd", "password": "\xc0\xaf"}'
    for path, who in (("/api/v1/auth/login", world.anon), (f"{S}/dossiers/{d['id']}/applicant", world.a)):
        method = "PUT" if path.endswith("applicant") else "POST"
        headers = {**who.headers, **address(), "Content-Type": "application/json"}
        answer = refused(
            world.http.request(method, path, content=body, headers=headers), 422, "validation-error"
        )
        assert answer["errors"][0]["type"] == "json_invalid", answer
    assert world.snapshot(world.a) == before


def test_operators_in_query_and_path_are_plain_strings(world, records):
    before = world.snapshot(world.a)
    cases = [
        (f"{S}/track", {"code": json.dumps(OPERATOR), "phone": world.a.person["phone"]}, 422),
        (f"{S}/track", {"code[$ne]": "x", "phone[$ne]": "x"}, 422),
        (f"{S}/agencies", {"procedure": json.dumps(OPERATOR)}, 422),
        (f"{S}/dossiers/{json.dumps(OPERATOR)}", {}, 422),
        (f"/api/v1/notifications/{json.dumps(WHERE)}/read", {}, 422),
    ]
    for path, params, status in cases:
        method = "POST" if path.endswith("/read") else "GET"
        refused(world.http.request(method, path, params=params, headers=world.a.headers), status)
    r = world.http.patch(
        f"/api/v1/auth/users/{json.dumps(OPERATOR)}", json={"locked": True}, headers=world.admin.headers
    )
    refused(r, 404)
    assert world.snapshot(world.a) == before


@pytest.mark.parametrize("term", [".*", "^", "(", "[a-", "\\", "a|b|.*", "(?i).*"])
def test_regex_metacharacters_in_searches_match_themselves(world, records, term):
    """The officer's queue and the accounts list search with a prefix regex of the escaped term: a
    pattern matches nothing (no one's code starts with ".*") instead of everything, and a broken one
    is not a server error."""
    code = records.submitted["code"]
    queue = world.http.get(f"{S}/officer/dossiers", params={"q": code}, headers=world.officer_x.headers)
    assert queue.status_code == 200 and queue.json()["total"] >= 1  # the search itself works
    for path, who in ((f"{S}/officer/dossiers", world.officer_x), ("/api/v1/auth/users", world.admin)):
        r = world.http.get(path, params={"q": term * 3 if len(term) < 3 else term}, headers=who.headers)
        assert r.status_code == 200, (path, term, r.text)
        assert r.json()["total"] == 0, (path, term)
    r = world.http.get("/api/v1/catalog/procedures", params={"q": term * 3})
    assert r.status_code in (200, 422), r.text  # the catalogue's own index: never a server error


# -- bodies too large ------------------------------------------------------------------------------------
def test_json_bodies_over_the_limit_get_413_problem_json(world):
    """1 MB for auth, catalog and notify at the gateway. The submission service takes 210 MB through the
    gateway (attachments stream), so its JSON routes hold their own limit."""
    d = world.draft(world.a)
    submitted = world.file(world.a)
    before = world.snapshot(world.a)
    big = {"note": "x" * (2 << 20)}
    cases = [
        ("POST", "/api/v1/auth/register", world.anon),
        ("PUT", "/api/v1/notifications/preferences", world.a),
        ("POST", "/api/v1/catalog/procedures", world.admin),
        ("POST", f"{S}/dossiers", world.a),
        ("PUT", f"{S}/dossiers/{d['id']}/applicant", world.a),
        ("PUT", f"{S}/dossiers/{d['id']}/case", world.a),
        ("POST", f"{S}/dossiers/{d['id']}/submit", world.a),
        ("POST", f"{S}/dossiers/{submitted['id']}/actions/accept", world.officer_x),
    ]
    # Each on a connection of its own: refused before its body is read, a request may leave its
    # connection closing (the gateway drops the rest of the body), and a kept-alive client's next
    # request would fail on it, not on the service's answer.
    for method, path, who in cases:
        r = httpx.request(
            method, world.url + path, json=big, headers={**who.headers, **address()}, timeout=60
        )
        refused(r, 413, "payload-too-large")
    # Without a Content-Length (chunked), the service stops reading once the body passes the limit.
    chunks = iter([b'{"submitter": {"full_name": "', *[b"x" * 65536] * 32, b'"}}'])
    headers = {**world.a.headers, "Content-Type": "application/json"}
    r = httpx.put(
        world.url + f"{S}/dossiers/{d['id']}/applicant", content=chunks, headers=headers, timeout=60
    )
    refused(r, 413, "payload-too-large")
    assert world.snapshot(world.a) == before


# -- slow clients ----------------------------------------------------------------------------------------
def test_a_client_sending_its_headers_slowly_is_cut_off_without_harming_others(world):
    """Slowloris: a byte of header now and then holds a connection for ever unless the gateway's
    client_header_timeout (15 s, gateway/nginx.conf.j2) ends it. Others are served meanwhile."""
    host, port = world.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=2) as s:
        s.sendall(b"GET /api/v1/catalog/fields HTTP/1.1\r\nHost: dvc\r\n")
        closed, answer, i = False, b"", 0
        while time.monotonic() - started < 19:
            try:
                s.sendall(f"X-Slow-{i}: {i}\r\n".encode())
                i += 1
                got = s.recv(4096)
                if not got:
                    closed = True
                    break
                answer += got
            except TimeoutError:
                assert world.http.get("/api/v1/catalog/fields").status_code == 200  # the others
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
    took = time.monotonic() - started
    assert closed, f"the gateway still held a slow client's connection after {took:.0f} s"
    assert 14 <= took <= 18, took
    assert not answer or answer.startswith(b"HTTP/1.1 408"), answer[:100]  # never the page it asked for


def test_a_request_refused_before_its_body_arrived_keeps_its_connection(world):
    """The service decides a refusal from the headers alone (a citizen calling an officer's action) while
    the body is still on its way through the gateway, which streams bodies. Answered then, nginx would
    close the connection after the answer though the answer said keep-alive, and the client's next
    request on it would get no answer at all. The service waits for the small body, so it does not."""
    dossier = world.file(world.a)
    host, port = world.url.removeprefix("http://").split(":")
    body = json.dumps({"assignee": None}).encode()

    def request(method: str, path: str, length: int = 0) -> bytes:
        headers = [("Host", "dvc"), *world.a.headers.items(), *address().items()]
        if method == "POST":
            headers += [("Content-Type", "application/json"), ("Content-Length", str(length))]
        return conn.send(h11.Request(method=method, target=path, headers=headers)) or b""

    def answer() -> tuple[int, bytes]:
        status, data = 0, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(s.recv(65536))  # b"" when the gateway closed: h11 then raises
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                data += event.data
            elif isinstance(event, h11.EndOfMessage):
                return status, data

    conn = h11.Connection(h11.CLIENT)
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(request("POST", f"{S}/dossiers/{dossier['id']}/actions/accept", len(body)))
        time.sleep(0.5)  # the headers reach the service well before the body
        s.sendall((conn.send(h11.Data(data=body)) or b"") + (conn.send(h11.EndOfMessage()) or b""))
        status, data = answer()
        assert status == 403 and json.loads(data)["code"], data
        conn.start_next_cycle()  # the answer kept the connection alive: the next request goes on it
        s.sendall(request("GET", f"{S}/dossiers/{dossier['id']}") + (conn.send(h11.EndOfMessage()) or b""))
        status, data = answer()
    assert status == 200 and json.loads(data)["id"] == dossier["id"]


# -- rate limits -----------------------------------------------------------------------------------------
def too_many(r: httpx.Response, code: str = "too-many-requests") -> None:
    body = refused(r, 429, code)
    assert int(r.headers["retry-after"]) >= 1 and body["retry_after"] == int(r.headers["retry-after"])


def hammer(
    world: World, method: str, path: str, n: int, who: Who | None = None, **kw: Any
) -> list[httpx.Response]:
    """``n`` calls from one new address, until the first 429 (returned last)."""
    headers = {**address(), **(who.headers if who else {})}
    return until_limited(lambda _: world.http.request(method, path, headers=headers, **kw), range(n))


def until_limited(send: Callable[[Any], httpx.Response], bodies: Iterable[Any]) -> list[httpx.Response]:
    """``send(body)`` for each body in turn, until the first 429 (returned last)."""
    out = []
    for body in bodies:
        out.append(send(body))
        if out[-1].status_code == 429:
            break
    return out


def test_login_is_limited_per_address_before_auth_is_bothered(world):
    attempts = world.db("auth").login_attempts
    n = attempts.count_documents({})
    headers = address()
    bodies = (  # burst 10 (gateway/policy.toml), then 20 a minute
        {"username": f"khongcoai{uuid.uuid4().hex[:8]}@example.vn", "password": "Sai-Mat-Khau-1"}
        for _ in range(16)
    )
    got = until_limited(
        lambda body: world.http.post("/api/v1/auth/login", json=body, headers=headers), bodies
    )
    codes = [r.status_code for r in got]
    assert codes[:10] == [401] * 10 and codes[-1] == 429, codes
    too_many(got[-1])
    assert attempts.count_documents({}) - n == codes.count(401)  # the refused one never reached auth


def test_failed_logins_lock_the_account_whatever_the_name_or_address(world):
    """Finding 10: the citizen ID, phone and email each allowed five guesses."""
    c = world.citizen("citizen T", "Phan Văn Đoán")
    names = [c.person["citizen_id"], c.person["phone"], c.person["email"]] * 2
    # 5 failures lock the account (AUTH_LOCKOUT_FAILURES), each from a new address
    got = until_limited(
        lambda body: world.http.post("/api/v1/auth/login", json=body, headers=address()),
        ({"username": name, "password": "Doan-Mo-Mat-Khau-1"} for name in names),
    )
    codes = [r.status_code for r in got]
    assert codes[:4] == [401] * 4 and codes[-1] == 429, codes
    too_many(got[-1], "too-many-attempts")
    # Even the right password, from yet another address, waits: the lock is the account name's.
    right = {"username": c.person["citizen_id"], "password": c.person["password"]}
    too_many(world.http.post("/api/v1/auth/login", json=right, headers=address()), "too-many-attempts")


def test_registration_is_limited_and_refused_calls_create_no_account(world):
    users = world.db("auth").users
    n = users.count_documents({})
    headers = address()
    bodies = (  # burst 5, then 10 a minute
        client.sign_up(client.new_person("Mai Văn Dồn", email=False), "Hon-Gai-Bay-2026") for _ in range(10)
    )
    got = until_limited(
        lambda body: world.http.post("/api/v1/auth/register", json=body, headers=headers), bodies
    )
    codes = [r.status_code for r in got]
    assert codes[:5] == [202] * 5 and codes[-1] == 429, codes
    too_many(got[-1])
    assert users.count_documents({}) == n  # asking makes no account: the code from the SMS does


def test_tracking_lookups_are_limited_per_address(world, records):
    params = {"code": records.submitted["code"], "phone": "0912345678"}  # a guess at the phone
    got = hammer(world, "GET", f"{S}/track", 16, params=params)
    codes = [r.status_code for r in got]
    assert codes[:10] == [404] * 10 and codes[-1] == 429, codes  # burst 10, then 20 a minute
    too_many(got[-1])


def test_captchas_are_limited_per_address_even_before_the_token_check(world):
    captchas = world.db("submission").captchas
    n = captchas.count_documents({})
    got = hammer(world, "POST", f"{S}/captcha", 26)
    codes = [r.status_code for r in got]
    assert codes[:20] == [401] * 20 and codes[-1] == 429, codes  # burst 20, then 30 a minute
    too_many(got[-1])
    assert captchas.count_documents({}) == n


def test_password_recovery_is_limited_per_address(world):
    got = hammer(world, "POST", "/api/v1/auth/password/forgot", 10, json={"username": "khong-co-ai"})
    codes = [r.status_code for r in got]
    assert codes[:5] == [202] * 5 and codes[-1] == 429, codes  # burst 5, then 5 a minute
    too_many(got[-1])
