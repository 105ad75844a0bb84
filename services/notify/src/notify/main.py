"""Notify service: turns events into notifications, once, by the channels each user chose."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.mailer import Mailer
from .adapters.sms import provider
from .adapters.store import SCHEMA
from .api.routes import router
from .config import Settings
from .service.delivery import Deliveries
from .service.dispatch import Dispatcher
from .service.inbox import Inbox
from .service.live import Live

PREFIX = "/api/v1/notifications"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    inbox = Inbox(rt)
    live = Live(rt)
    deliveries = Deliveries(rt, settings, Mailer(settings), provider(settings, rt.db))
    dispatcher = Dispatcher(rt, settings, inbox, live, deliveries.wake)
    consumers.register(rt, dispatcher)

    @rt.on_start
    async def _start(_: Runtime) -> None:
        deliveries.start()
        live.start()

    @rt.on_stop
    async def _stop(_: Runtime) -> None:
        await live.stop()
        await deliveries.stop()

    app = platform_app(
        rt,
        title="DVC Hải Phòng — Thông báo (notify)",
        prefix=PREFIX,
        routers=[router],
        description="Thông báo trong ứng dụng, email, SMS. In-app notifications, email and SMS.",
    )
    app.state.inbox = inbox
    app.state.live = live
    app.state.deliveries = deliveries
    app.state.dispatcher = dispatcher
    return app


def run() -> None:
    serve("notify.main:create_app", Settings())
