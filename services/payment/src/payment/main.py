"""Payment service: payment orders for dossiers, paid through the provider (VNPAY 2.1.0; the sandbox
locally), its notifications applied once, reconciliation, refunds, e-receipts (docs/payment.md)."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.dossiers import Dossiers
from .adapters.orders import Orders
from .adapters.provider import Vnpay
from .adapters.store import SCHEMA
from .api.routes import router
from .config import Settings
from .parts import PaymentParts
from .service.payments import Payments

PREFIX = "/api/v1/payments"


def build(rt: Runtime, settings: Settings) -> PaymentParts:
    provider = Vnpay(settings)
    payments = Payments(rt, settings, Orders(rt.db), Dossiers(rt.db), provider)
    return PaymentParts(payments=payments)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    parts = build(rt, settings)
    consumers.register(rt, parts.payments)
    if settings.reconcile_seconds > 0:
        rt.loop("reconciliation", parts.payments.reconcile_forever)

    @rt.on_stop
    async def _close_provider(_: Runtime) -> None:
        await parts.payments.provider.close()

    return platform_app(
        rt,
        title="DVC Hải Phòng — Thanh toán (payment)",
        prefix=PREFIX,
        routers=[router],
        description="Thanh toán phí, lệ phí trực tuyến qua cổng thanh toán; biên lai điện tử. "
        "Online payment of fees through the payment provider; e-receipts.",
        parts=parts,
    )


def run() -> None:
    serve("payment.main:create_app", Settings())
