"""Payment service settings (env prefix ``PAYMENT_``, platform names ``DVC_*`` as fallback).

The provider's addresses and the merchant's credentials come from settings: locally the development
sandbox (devstack.paysandbox, port 9500) and its merchant; in production the real provider's URLs and the
merchant code and secret it issued (a Kubernetes secret, deploy/README.md). The development secret is
refused in production (``dev_secret``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings, dev_secret

# The development sandbox's merchant (devstack.paysandbox shares these defaults).
DEV_TMN_CODE = "DVCHP001"
DEV_HASH_SECRET = "dvc-paysandbox-dev-hash-secret-2026"  # noqa: S105 - development default, refused in production


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENT_")
    service_name: ClassVar[str] = "payment"

    port: int = 8501
    # The web portal: the return page and the receipt's QR code point there.
    portal_url: str = "http://127.0.0.1:8080"

    # The provider: its payment page's base, and its query/refund API's base.
    provider_url: str = "http://127.0.0.1:9500"
    provider_api_url: str = "http://127.0.0.1:9500"
    provider_timeout_seconds: float = 10.0
    # The merchant's code and HMAC key, as the provider issued them.
    tmn_code: str = DEV_TMN_CODE
    hash_secret: SecretStr = dev_secret(DEV_HASH_SECRET)
    # Where the provider sends the browser back (the portal's page); empty: {portal_url}/thanh-toan/ket-qua.
    return_url: str = ""
    # Where the provider sends its notifications (the real provider has it registered out of band; the
    # sandbox is told it). Empty: {portal_url}/api/v1/payments/providers/vnpay/ipn.
    ipn_url: str = ""

    # An order may be paid for this long after it was made.
    order_minutes: int = 15
    # Reconciliation: how often; and how old a pending order must be before the provider is asked.
    reconcile_seconds: float = 300.0
    reconcile_after_seconds: float = 300.0

    def model_post_init(self, _: object) -> None:
        base = self.portal_url.rstrip("/")
        if not self.return_url:
            object.__setattr__(self, "return_url", f"{base}/thanh-toan/ket-qua")
        if not self.ipn_url:
            object.__setattr__(self, "ipn_url", f"{base}/api/v1/payments/providers/vnpay/ipn")
