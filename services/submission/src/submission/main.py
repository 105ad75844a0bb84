"""Submission service: dossiers, their attachments and their statuses."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.s3 import ObjectStore
from dvckit.serve import serve

from . import consumers
from .config import Settings

PREFIX = "/api/v1/submissions"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings)
    consumers.register(rt)
    store = ObjectStore(
        endpoint=settings.s3_endpoint,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        bucket=settings.s3_bucket,
    )

    @rt.on_start
    async def _s3(_: Runtime) -> None:
        await store.start()

    @rt.on_stop
    async def _s3_stop(_: Runtime) -> None:
        await store.stop()

    rt.health.add("s3", store.ping)
    app = platform_app(rt, title="DVC Hải Phòng — Nộp hồ sơ (submission)", prefix=PREFIX)
    app.state.store = store
    return app


def run() -> None:
    serve("submission.main:create_app", Settings())
