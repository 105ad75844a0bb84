"""Notify service: turns events into notifications, once, by the channels each user chose."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.store import SCHEMA
from .config import Settings
from .service.inbox import Inbox

PREFIX = "/api/v1/notifications"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    consumers.register(rt, Inbox(rt))
    return platform_app(rt, title="DVC Hải Phòng — Thông báo (notify)", prefix=PREFIX)


def run() -> None:
    serve("notify.main:create_app", Settings())
