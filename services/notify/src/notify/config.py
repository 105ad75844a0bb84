"""Notify service settings (env prefix ``NOTIFY_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from dvckit.settings import ServiceSettings, dev_secret

# The push services browsers subscribe with (Chrome/Edge/Opera on FCM, Firefox on Mozilla's, Edge's legacy
# WNS, Safari on Apple's): the only hosts notify sends a push to (an endpoint is a URL a browser gave, so
# anything else would let a caller make notify call any address: SSRF). ``*.`` matches any subdomain.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.notify.windows.com",
    "*.push.apple.com",
    "web.push.apple.com",
)
# A development VAPID key (base64url raw P-256 scalar): refused in production (NOTIFY_VAPID_PRIVATE_KEY).
DEV_VAPID_PRIVATE_KEY = "gixT8FuneMjz9cgZkzp5-Oo2fYh71pOIbNHlG6K_ebo"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_")
    service_name: ClassVar[str] = "notify"

    port: int = 8401
    # Links in messages point to the web portal.
    portal_url: str = "http://127.0.0.1:8080"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "Cổng dịch vụ công Hải Phòng <no-reply@dichvucong.haiphong.gov.vn>"
    smtp_timeout_seconds: float = 10.0

    sms_provider: Literal["dev", "http"] = "dev"
    sms_url: str | None = None  # the HTTP provider's endpoint (see docs/notify.md)
    sms_token: SecretStr | None = None

    # A delivery that fails temporarily is tried again after these delays (seconds), then given up.
    delivery_delays: tuple[float, ...] = (10.0, 30.0, 120.0, 600.0, 1800.0, 3600.0, 3 * 3600.0)
    delivery_batch: int = 50
    delivery_poll_seconds: float = 1.0
    delivery_lease_seconds: float = 120.0

    # One-time codes arrive sealed by the auth service with this key (it must hold the same one).
    seal_key: SecretStr = dev_secret("dvc-dev-seal-key")
    # An ended login is remembered this long (longer than an access token lives, 15 minutes), so a
    # token of that login cannot open a new live stream.
    revocation_keep_seconds: int = 3600

    # Web Push (docs/notify.md, "Push"). The application server's VAPID key: PEM, or the base64url raw
    # 32-byte private scalar; its public half is what browsers subscribe with (GET …/push/vapid-key).
    vapid_private_key: SecretStr = dev_secret(DEV_VAPID_PRIVATE_KEY)
    # Who push services contact about our traffic (RFC 8292 ``sub``): a mailto: or https: URL.
    vapid_subject: str = "mailto:dichvucong@haiphong.gov.vn"
    # Hosts a subscription's endpoint may name (``host``, ``*.suffix``, or ``host:port`` for a port other
    # than the scheme's); comma-separated in the environment.
    push_hosts: Annotated[tuple[str, ...], NoDecode] = DEFAULT_PUSH_HOSTS
    # Development and tests only (the local push service, devstack.pushsvc): endpoints over plain http.
    push_allow_http: bool = False
    push_ttl_seconds: int = Field(86400, ge=0, le=28 * 86400)  # how long a push service keeps a message
    push_timeout_seconds: float = 10.0
    push_max_subscriptions: int = Field(10, ge=1, le=100)  # a person's devices; the oldest goes first

    @field_validator("push_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(h.strip().lower() for h in value.split(",") if h.strip())
        return value

    @field_validator("vapid_subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not (value.startswith("mailto:") or value.startswith("https://")):
            raise ValueError("NOTIFY_VAPID_SUBJECT must be a mailto: or https: URL (RFC 8292)")
        return value

    @model_validator(mode="after")
    def _push_in_production(self) -> Settings:
        if self.env == "production" and self.push_allow_http:
            raise ValueError("NOTIFY_PUSH_ALLOW_HTTP is for development and tests: refused in production")
        return self
