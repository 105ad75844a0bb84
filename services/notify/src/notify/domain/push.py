"""Push notifications: the rules, pure (no I/O).

- What a subscription is (the browser's ``PushSubscription.toJSON()``), and when its keys and its endpoint
  are acceptable: ``p256dh`` an uncompressed P-256 point, ``auth`` 16 bytes, the endpoint an https URL on a
  known push service's host (the SSRF guard: the endpoint is a URL a caller gave, and notify calls it).
- The payload a device shows: exactly ``{"title", "body", "url", "tag", "id", "lang"}``, at most
  :data:`MAX_PAYLOAD` bytes, and never a one-time code (codes are not pushed at all: ``pushable``).
- What a push service's answer means for the delivery (``verdict``).
- :class:`PushSender`: the one interface a push channel implements. Web Push (``adapters/webpush.py``) is
  the one there is; FCM (HTTP v1) and APNs for native apps would be others (docs/notify.md, "Push").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

# What a push service accepts is 4096 bytes of record (RFC 8291 §4), 3993 of them plaintext; the payload
# stays well under, whatever the text (a long body is cut).
MAX_PAYLOAD = 3072
MAX_ENDPOINT = 2048
# Never pushed: a one-time code (whatever the channel, its text travels sealed to email or SMS only).
NOT_PUSHED = frozenset({"verification_code"})
# Kinds a person should see at once; the rest at the push service's normal pace (RFC 8030 §5.3).
URGENT = frozenset({"payment_requested"})

Urgency = Literal["very-low", "low", "normal", "high"]
Verdict = Literal["sent", "gone", "permanent", "temporary"]


class BadSubscription(ValueError):
    """A subscription notify will not keep: ``code`` says why (a problem's code), ``vi``/``en`` in words."""

    def __init__(self, code: str, vi: str, en: str) -> None:
        super().__init__(en)
        self.code, self.vi, self.en = code, vi, en


@dataclass(frozen=True)
class Subscription:
    """One browser's (one device's) push subscription: where to send, and the keys to encrypt with."""

    id: str
    endpoint: str
    p256dh: str  # base64url, the browser's ECDH public key (65 bytes uncompressed)
    auth: str  # base64url, the 16-byte authentication secret


@dataclass(frozen=True)
class PushMessage:
    payload: bytes  # the plaintext JSON; the sender encrypts it for the subscription
    ttl: int  # seconds the push service keeps it for an offline device
    urgency: Urgency = "normal"
    topic: str | None = None  # a message of the same topic waiting at the push service is replaced


@dataclass(frozen=True)
class Answer:
    """What a push service said: its status and a short note (for the delivery's attempts)."""

    status: int
    note: str = ""


class PushSender(Protocol):
    """A push channel: sends one message to one subscription and says what the push service answered
    (raising only for a network failure or a timeout, which is temporary). Web Push is the implementation;
    FCM HTTP v1 (an OAuth 2.0 service account) and APNs (token auth with a .p8 key) would be others, for
    native apps' device tokens (docs/notify.md, "Push": what each needs)."""

    async def send(self, subscription: Subscription, message: PushMessage) -> Answer: ...

    async def close(self) -> None: ...


def b64url_decode(value: str) -> bytes:
    padded = value + "=" * (-len(value) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def subscription_id(endpoint: str) -> str:
    """A subscription's id: its endpoint's digest (an endpoint is one browser's; it names one record)."""
    return hashlib.sha256(endpoint.encode()).hexdigest()


def check_keys(p256dh: str, auth: str) -> None:
    """``p256dh`` a valid uncompressed P-256 point, ``auth`` 16 bytes, both base64url."""
    try:
        point = b64url_decode(p256dh)
        secret = b64url_decode(auth)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BadSubscription(
            "push-keys-invalid", "Khóa của đăng ký không phải base64url", "The keys are not base64url"
        ) from None
    if len(point) != 65 or point[0] != 4:
        raise BadSubscription(
            "push-keys-invalid",
            "Khóa p256dh phải là một điểm P-256 không nén (65 byte)",
            "p256dh must be an uncompressed P-256 point (65 bytes)",
        )
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise BadSubscription(
            "push-keys-invalid",
            "Khóa p256dh không phải một điểm trên đường cong P-256",
            "p256dh is not a point on the P-256 curve",
        ) from None
    if len(secret) != 16:
        raise BadSubscription("push-keys-invalid", "Khóa auth phải dài 16 byte", "auth must be 16 bytes long")


def _host_matches(host: str, port: int | None, scheme: str, allowed: str) -> bool:
    """``allowed``: ``host``, ``*.suffix`` (any subdomain, not the suffix itself) or either with
    ``:port``; without a port only the scheme's own."""
    name, _, want_port = allowed.partition(":")
    default = 443 if scheme == "https" else 80
    if (int(want_port) if want_port else default) != (port or default):
        return False
    if name.startswith("*."):
        return host.endswith(name[1:]) and len(host) > len(name) - 1
    return host == name


def check_endpoint(endpoint: str, hosts: tuple[str, ...], *, allow_http: bool = False) -> None:
    """The SSRF guard: an https URL on one of ``hosts`` (``allow_http``: http too, for the local stand-in),
    with no credentials, and no address literal unless listed as such."""
    refuse = BadSubscription(
        "push-endpoint-refused",
        "Địa chỉ nhận thông báo đẩy không thuộc một dịch vụ đẩy được chấp nhận",
        "The endpoint is not on an accepted push service",
    )
    if len(endpoint) > MAX_ENDPOINT or any(c.isspace() for c in endpoint):
        raise refuse
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise refuse from None
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in (("https", "http") if allow_http else ("https",)):
        raise refuse
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise refuse
    try:
        ipaddress.ip_address(host)
        literal = True
    except ValueError:
        literal = False
    listed = any(_host_matches(host, port, parts.scheme, h.lower()) for h in hosts)
    if not listed or (literal and not any(h.split(":")[0] == host for h in hosts)):
        raise refuse


def shown_endpoint(endpoint: str) -> str:
    """An endpoint as a list shows it: the push service and the start of the path (the rest is the
    device's capability URL, as good as a password for pushing to it)."""
    parts = urlsplit(endpoint)
    path = parts.path[:12]
    return f"{parts.scheme}://{parts.netloc}{path}…"


def payload(
    *, title: str, body: str, url: str, tag: str, id: str, lang: str, limit: int = MAX_PAYLOAD
) -> bytes:
    """The JSON a device shows (the service worker's ``push`` handler reads exactly these keys); the body
    is cut (with an ellipsis) until the whole fits in ``limit`` bytes."""
    doc = {"title": title[:200], "body": body, "url": url, "tag": tag, "id": id, "lang": lang}
    raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    while len(raw) > limit and doc["body"]:
        over = len(raw) - limit
        text = doc["body"].rstrip("…")
        doc["body"] = text[: max(0, len(text) - max(over // 2, 1) - 1)] + "…"
        if len(doc["body"]) <= 1:
            doc["body"] = ""
        raw = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    return raw


def pushable(kind: str) -> bool:
    return kind not in NOT_PUSHED


def urgency_of(kind: str) -> Urgency:
    return "high" if kind in URGENT else "normal"


def verdict(status: int) -> Verdict:
    """A push service's answer (RFC 8030 §5, and what FCM, Mozilla and Apple answer): 2xx taken;
    404/410 the subscription is no more (removed); 429 and 5xx try again later; any other 4xx (400 a
    malformed request, 413 too large, 401/403 a VAPID key the subscription was not made with) will not
    work however often it is sent."""
    if 200 <= status < 300:
        return "sent"
    if status in (404, 410):
        return "gone"
    if status == 429 or status >= 500 or status == 408:
        return "temporary"
    return "permanent"
