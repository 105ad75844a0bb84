"""Web Push (RFC 8030) to browsers' push services, with VAPID (RFC 8292: an ES256 JWT whose ``aud`` is
the endpoint's origin, ``exp`` within 24 hours, ``sub`` our contact; py-vapid signs it) and the payload
encrypted for the subscription's keys (RFC 8291, content coding aes128gcm of RFC 8188; http-ece encrypts).

The encryption (an ECDH key agreement and AES-GCM) and the signature are CPU work of a millisecond or so:
done in a worker thread, so the event loop (live streams, the API) never waits on them; the request goes
out on httpx's async client. A VAPID token is signed once per push service origin and reused until it
has an hour left (each push service sees one token an origin, not one a message)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from py_vapid.utils import b64urlencode

from ..config import Settings
from ..domain.push import Answer, PushMessage, Subscription, b64url_decode

# RFC 8292 §2: exp no more than 24 hours ahead. Ours: 12 hours; renewed with an hour left.
TOKEN_SECONDS = 12 * 3600
RENEW_BEFORE = 3600


def load_vapid(private_key: str) -> Vapid02:
    """The application server's key: a PEM, or the base64url raw 32-byte scalar (or a DER)."""
    text = private_key.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("NOTIFY_VAPID_PRIVATE_KEY must be a P-256 (prime256v1) EC key")
        return Vapid02(key)
    return Vapid02.from_string(text)


def public_key_of(vapid: Vapid02) -> str:
    """The uncompressed P-256 public key, base64url: the ``applicationServerKey`` browsers subscribe with."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64urlencode(raw)


def encrypt(message: bytes, subscription: Subscription) -> bytes:
    """The aes128gcm body for ``subscription`` (RFC 8291 §3.4): a fresh sender key pair and salt each time."""
    sender = ec.generate_private_key(ec.SECP256R1())
    return http_ece.encrypt(
        message,
        salt=os.urandom(16),
        private_key=sender,
        dh=b64url_decode(subscription.p256dh),
        auth_secret=b64url_decode(subscription.auth),
        version="aes128gcm",
    )


def origin_of(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(eq=False)
class WebPush:
    """The Web Push implementation of ``domain.push.PushSender``."""

    s: Settings
    vapid: Vapid02 = field(init=False)
    public_key: str = field(init=False)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.vapid = load_vapid(self.s.vapid_private_key.get_secret_value())
        self.public_key = public_key_of(self.vapid)
        self.client = httpx.AsyncClient(timeout=self.s.push_timeout_seconds, follow_redirects=False)

    def authorization(self, endpoint: str) -> str:
        """``vapid t=<JWT>, k=<public key>`` for the endpoint's origin (signed anew when near its end)."""
        aud = origin_of(endpoint)
        now = time.time()
        held = self._tokens.get(aud)
        if held is None or held[1] - now < RENEW_BEFORE:
            exp = int(now) + TOKEN_SECONDS
            header = self.vapid.sign({"aud": aud, "exp": exp, "sub": self.s.vapid_subject})["Authorization"]
            held = (header, exp)
            self._tokens[aud] = held
        return held[0]

    def _prepare(self, subscription: Subscription, message: PushMessage) -> tuple[bytes, str]:
        return encrypt(message.payload, subscription), self.authorization(subscription.endpoint)

    async def send(self, subscription: Subscription, message: PushMessage) -> Answer:
        body, authorization = await asyncio.to_thread(self._prepare, subscription, message)
        headers = {
            "Authorization": authorization,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(message.ttl),
            "Urgency": message.urgency,
        }
        if message.topic:
            headers["Topic"] = message.topic
        r = await self.client.post(subscription.endpoint, content=body, headers=headers)
        return Answer(r.status_code, r.text[:200])

    async def close(self) -> None:
        await self.client.aclose()
