"""Notify service: turns events into notifications, once, by the channels each user chose."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.mailer import Mailer
from .adapters.repos import Stores
from .adapters.sms import provider
from .adapters.store import SCHEMA
from .adapters.webpush import WebPush
from .api.push import router as push_router
from .api.routes import router
from .config import Settings
from .parts import NotifyParts
from .service.delivery import Deliveries
from .service.dispatch import Dispatcher
from .service.inbox import Inbox
from .service.live import Live
from .service.push import Push
from .service.rights import PersonalData
from .service.streams import Streams

PREFIX = "/api/v1/notifications"


def build(rt: Runtime, settings: Settings) -> NotifyParts:
    """Every part of the service, once; the use cases share the repositories."""
    stores = Stores.of(rt.db)
    inbox = Inbox(stores.notifications, stores.contacts, stores.subscriptions)
    live = Live(stores.notifications, stores.revocations)
    sms = provider(settings, rt.db)
    web_push = WebPush(settings)
    push = Push(settings, stores.subscriptions, web_push, web_push.public_key)
    deliveries = Deliveries(stores.deliveries, stores.contacts, settings, Mailer(settings), sms, push)
    return NotifyParts(
        inbox=inbox,
        live=live,
        streams=Streams(stores.tickets, stores.revocations, inbox, live),
        deliveries=deliveries,
        dispatcher=Dispatcher(settings, stores, inbox, live, deliveries.hand),
        personal=PersonalData(stores),
        push=push,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    parts = build(rt, settings)
    consumers.register(rt, parts.dispatcher)
    rt.loop("delivery-worker", parts.deliveries.run)
    rt.loop("live-follow", parts.live.follow)
    rt.loop("live-fan-out", parts.live.fan_out)

    @rt.on_stop
    async def _end_streams(_: Runtime) -> None:
        parts.live.end_all()
        await parts.push.sender.close()
        # After the consumer drained and the loops stopped: what this replica's consumer made and its
        # delivery loop did not get to goes to the other replicas now, not after its lease (a rollout).
        await parts.deliveries.release()

    return platform_app(
        rt,
        title="DVC Hải Phòng — Thông báo (notify)",
        prefix=PREFIX,
        routers=[router, push_router],
        description="Thông báo trong ứng dụng, email, SMS, thông báo đẩy. "
        "In-app notifications, email, SMS and "
        "push notifications (Web Push).",
        parts=parts,
    )


def run() -> None:
    serve("notify.main:create_app", Settings())
