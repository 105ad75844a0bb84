"""Notify service settings (env prefix ``NOTIFY_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings, dev_secret


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
