"""Submission service: dossiers, their attachments and their statuses."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.idempotency import Idempotency
from dvckit.runtime import Runtime
from dvckit.s3 import ObjectStore
from dvckit.serve import serve

from . import consumers
from .adapters.clients import Clients
from .adapters.store import SCHEMA
from .api.officer import router as officer_router
from .api.routes import router
from .config import Settings
from .service.attachments import Attachments
from .service.captchas import Captchas
from .service.dossiers import Dossiers
from .service.procedures import ProcedureCache
from .service.workflow import Workflow

PREFIX = "/api/v1/submissions"


def create_app(
    settings: Settings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    auth_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """``transport``: how to reach the catalogue (and auth) in-process, for tests."""
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    store = ObjectStore(
        endpoint=settings.s3_endpoint,
        region=settings.s3_region,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key.get_secret_value(),
        bucket=settings.s3_bucket,
    )
    clients = Clients(
        catalog_url=settings.catalog_url,
        auth_url=settings.auth_url,
        transport=transport,
        auth_transport=auth_transport,
    )
    cache = ProcedureCache(rt, clients)
    consumers.register(rt, cache)
    captchas = Captchas(rt, settings)
    dossiers = Dossiers(rt, settings, clients=clients, cache=cache, captchas=captchas, store=store)
    attachments = Attachments(rt, settings, store, dossiers)

    @rt.on_start
    async def _start(_: Runtime) -> None:
        await store.start()
        dossiers.start_cleanup()

    @rt.on_stop
    async def _stop(_: Runtime) -> None:
        await dossiers.stop_cleanup()
        await clients.close()
        await store.stop()

    rt.health.add("s3", store.ping)
    app = platform_app(
        rt,
        title="DVC Hải Phòng — Nộp hồ sơ (submission)",
        prefix=PREFIX,
        routers=[router, officer_router],
        # Files stream to S3 under their own limits; every other body (JSON) is small, and the
        # gateway lets 210 MB through for the files' sake.
        streamed=rf"^{PREFIX}/dossiers/[^/]+/(attachments|actions/[^/]+)$",
        description="Nộp hồ sơ trực tuyến bốn bước, tệp đính kèm, theo dõi hồ sơ. "
        "Online filing in four steps, attachments, following a dossier.",
    )
    app.state.store = store
    app.state.procedures = cache
    app.state.dossiers = dossiers
    app.state.attachments = attachments
    app.state.captchas = captchas
    app.state.idempotency = Idempotency(rt.db)
    app.state.workflow = Workflow(rt, dossiers, attachments)
    return app


def run() -> None:
    serve("submission.main:create_app", Settings())
