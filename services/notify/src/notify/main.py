"""Notify service: turns events into notifications, once, by the channels each user chose."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.store import SCHEMA
from .api.routes import router
from .config import Settings
from .service.inbox import Inbox

PREFIX = "/api/v1/notifications"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    inbox = Inbox(rt)
    consumers.register(rt, inbox)
    app = platform_app(rt, title="DVC Hải Phòng — Thông báo (notify)", prefix=PREFIX, routers=[router])
    app.state.inbox = inbox
    return app


def run() -> None:
    serve("notify.main:create_app", Settings())
