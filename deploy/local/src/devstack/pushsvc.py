"""The local push service: plays a browser and its push service (RFC 8030) for development and tests, so
notify's Web Push channel is exercised end to end over HTTP, as against FCM or Mozilla's. A development
component: it refuses to start with ``DVC_ENV=production``.

    python -m devstack.pushsvc --host 127.0.0.1 --port 9600

- ``POST /subscribe`` (optional body ``{"applicationServerKey": "<base64url>"}``): what
  ``pushManager.subscribe`` makes: a fresh P-256 key pair and 16-byte auth secret kept here (the browser's
  part), and an endpoint on this service; answers ``{"endpoint", "expirationTime", "keys": {"p256dh",
  "auth"}}`` (the JSON a browser's ``PushSubscription.toJSON()`` gives). With an application server key,
  only pushes signed with that key are taken (403 otherwise), as real push services do.
- ``POST /push/{id}`` (what notify calls): checks ``Authorization: vapid t=<JWT>, k=<key>`` (an ES256
  signature by ``k``; ``aud`` this service's origin; ``exp`` in the future and at most 24 hours ahead;
  ``sub`` a mailto: or https: URL: 401 otherwise), ``Content-Encoding: aes128gcm`` (415), ``TTL`` (400
  when missing), ``Urgency`` when given, a body of at most 4096 bytes (413); decrypts it with the
  subscription's private key and auth secret (RFC 8291; 400 when it does not decrypt) and keeps the
  plaintext. 201 with a ``Location``; 404 for no such subscription, 410 once expired.
- ``GET /messages/{id}``: what arrived, decrypted (tests read it); ``POST /expire/{id}``: 410 from now on;
  ``POST /fail/{id}`` ``{"status": 503, "count": 1}``: the next ``count`` pushes get that status (429, 5xx:
  a push service having a bad moment). ``GET /healthz``.

State is kept in memory only (a restart forgets every subscription).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_PORT = 9600
MAX_RECORD = 4096  # RFC 8291 §4: push services accept at least 4096 bytes of payload, need not more
URGENCIES = ("very-low", "low", "normal", "high")


def refuse_in_production(environ: Mapping[str, str]) -> None:
    if environ.get("DVC_ENV", "").strip() == "production":
        raise SystemExit(
            "devstack.pushsvc is a development stand-in for browsers' push services and is refused with "
            "DVC_ENV=production: notify pushes to the real ones (NOTIFY_PUSH_HOSTS)"
        )


def b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode((value + "=" * (-len(value) % 4)).encode("ascii"))


def b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass
class Browser:
    """One subscription: the browser's keys (kept here), and what reached it."""

    id: str
    private_key: Any  # ec.EllipticCurvePrivateKey
    auth: bytes
    application_server_key: str | None = None
    expired: bool = False
    fail: list[int] = field(default_factory=list)  # statuses to answer next, one a push
    messages: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)  # pushes not taken, and why

    def public(self) -> str:
        from cryptography.hazmat.primitives import serialization

        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64e(raw)


class Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def check_vapid(header: str, origin: str, now: float | None = None) -> dict[str, Any]:
    """RFC 8292: ``vapid t=<JWT>, k=<public key>``; the JWT signed (ES256) by ``k``, for ``origin``, not
    expired nor valid for more than 24 hours, with a ``sub``. The claims and ``k`` when good."""
    from py_vapid import Vapid02

    now = time.time() if now is None else now
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "vapid":
        raise Refusal(401, "Authorization must be vapid t=…, k=…")
    params = {}
    for part in rest.split(","):
        k, _, v = part.strip().partition("=")
        params[k.strip()] = v.strip()
    token, key = params.get("t", ""), params.get("k", "")
    if token.count(".") != 2 or not key:
        raise Refusal(401, "vapid: t (a JWT) and k (the public key) are required")
    body, _, signature = token.rpartition(".")
    head_b64, _, claims_b64 = body.partition(".")
    try:
        head = json.loads(b64d(head_b64))
        claims = json.loads(b64d(claims_b64))
        verifier = Vapid02.from_raw_public(key.encode())
        good = verifier.verify_token(validation_token=body.encode(), verification_token=signature)
    except (ValueError, TypeError) as e:
        raise Refusal(401, f"vapid: unreadable token or key ({e})") from None
    if head.get("alg") != "ES256":
        raise Refusal(401, "vapid: the JWT must be ES256")
    if not good:
        raise Refusal(401, "vapid: the signature does not verify with k")
    if claims.get("aud") != origin:
        raise Refusal(401, f"vapid: aud {claims.get('aud')!r} is not this push service ({origin})")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        raise Refusal(401, "vapid: the token has expired (exp)")
    if exp > now + 24 * 3600 + 60:
        raise Refusal(401, "vapid: exp more than 24 hours ahead")
    sub = claims.get("sub", "")
    if not (isinstance(sub, str) and (sub.startswith("mailto:") or sub.startswith("https:"))):
        raise Refusal(401, "vapid: sub must be a mailto: or https: URL")
    return {"claims": claims, "k": key}


@dataclass
class PushService:
    browsers: dict[str, Browser] = field(default_factory=dict)

    def subscribe(self, origin: str, application_server_key: str | None) -> dict[str, Any]:
        from cryptography.hazmat.primitives.asymmetric import ec

        if application_server_key is not None:
            try:
                ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(application_server_key))
            except ValueError:
                raise Refusal(400, "applicationServerKey is not an uncompressed P-256 point") from None
        b = Browser(
            id=secrets.token_urlsafe(24),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=secrets.token_bytes(16),
            application_server_key=application_server_key,
        )
        self.browsers[b.id] = b
        return {
            "endpoint": f"{origin}/push/{b.id}",
            "expirationTime": None,
            "keys": {"p256dh": b.public(), "auth": b64e(b.auth)},
        }

    def push(self, sub_id: str, origin: str, headers: Mapping[str, str], body: bytes) -> int:
        import http_ece

        b = self.browsers.get(sub_id)
        if b is None:
            raise Refusal(404, "no such subscription")
        try:
            if b.expired:
                raise Refusal(410, "the subscription has expired")
            if b.fail:
                raise Refusal(b.fail.pop(0), "failing on request (POST /fail)")
            vapid = check_vapid(headers.get("authorization", ""), origin)
            if b.application_server_key is not None and vapid["k"] != b.application_server_key:
                raise Refusal(403, "vapid: k is not the key this subscription was made with")
            if headers.get("content-encoding", "").lower() != "aes128gcm":
                raise Refusal(415, "Content-Encoding must be aes128gcm")
            ttl = headers.get("ttl", "")
            if not ttl.isdigit():
                raise Refusal(400, "TTL (seconds) is required")
            urgency = headers.get("urgency", "normal")
            if urgency not in URGENCIES:
                raise Refusal(400, f"Urgency must be one of {URGENCIES}")
            if len(body) > MAX_RECORD:
                raise Refusal(413, f"payload over {MAX_RECORD} bytes")
            try:
                plain = http_ece.decrypt(
                    body, private_key=b.private_key, auth_secret=b.auth, version="aes128gcm"
                )
            except Exception as e:  # a wrong key, a broken record: a browser would drop it
                raise Refusal(400, f"the payload does not decrypt: {e!r}") from None
        except Refusal as r:
            b.refused.append({"status": r.status, "reason": r.reason, "at": now_iso()})
            raise
        text = plain.decode("utf-8", errors="replace")
        try:
            doc = json.loads(text)
        except ValueError:
            doc = None
        b.messages.append(
            {
                "n": len(b.messages) + 1,
                "at": now_iso(),
                "ttl": int(ttl),
                "urgency": urgency,
                "topic": headers.get("topic"),
                "text": text,
                "json": doc,
                "vapid": vapid["claims"],
                "k": vapid["k"],
            }
        )
        return len(b.messages)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def create_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    service = PushService()

    def origin(request: Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc}"

    def refused(r: Refusal) -> Response:
        return JSONResponse({"error": r.reason}, r.status)

    async def subscribe(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return JSONResponse({"error": "the body must be JSON"}, 400)
        key = body.get("applicationServerKey") if isinstance(body, dict) else None
        try:
            return JSONResponse(service.subscribe(origin(request), key), 201)
        except Refusal as r:
            return refused(r)

    async def push(request: Request) -> Response:
        sub_id = request.path_params["id"]
        body = await request.body()
        try:
            n = service.push(sub_id, origin(request), request.headers, body)
        except Refusal as r:
            return refused(r)
        return Response(status_code=201, headers={"Location": f"/messages/{sub_id}/{n}"})

    def browser(request: Request) -> Browser | None:
        return service.browsers.get(request.path_params["id"])

    async def messages(request: Request) -> Response:
        b = browser(request)
        if b is None:
            return JSONResponse({"error": "no such subscription"}, 404)
        return JSONResponse({"messages": b.messages, "refused": b.refused, "expired": b.expired})

    async def expire(request: Request) -> Response:
        b = browser(request)
        if b is None:
            return JSONResponse({"error": "no such subscription"}, 404)
        b.expired = True
        return JSONResponse({"expired": True})

    async def fail(request: Request) -> Response:
        b = browser(request)
        if b is None:
            return JSONResponse({"error": "no such subscription"}, 404)
        body = await request.json()
        b.fail.extend([int(body.get("status", 503))] * int(body.get("count", 1)))
        return JSONResponse({"failing": b.fail})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "stand_in": "pushsvc", "subscriptions": len(service.browsers)})

    app = Starlette(
        routes=[
            Route("/subscribe", subscribe, methods=["POST"]),
            Route("/push/{id}", push, methods=["POST"]),
            Route("/messages/{id}", messages, methods=["GET"]),
            Route("/expire/{id}", expire, methods=["POST"]),
            Route("/fail/{id}", fail, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )
    app.state.service = service
    return app


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("DVC_PUSHSVC_PORT") or DEFAULT_PORT))
    args = ap.parse_args(argv)
    refuse_in_production(os.environ)
    import uvicorn

    print(f"[pushsvc] http://{args.host}:{args.port}/", file=sys.stderr)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
