"""Submission service: dossiers, their attachments and their statuses."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from dvckit import aio
from dvckit.http import create_app as platform_app
from dvckit.idempotency import Idempotency
from dvckit.runtime import Runtime
from dvckit.s3 import ObjectStore
from dvckit.serve import serve

from . import consumers
from .adapters.calendars import CalendarStore
from .adapters.clients import Clients
from .adapters.counters import Counters
from .adapters.dossiers import DossierRepository
from .adapters.objects import Objects
from .adapters.procedures import ProcedureStore
from .adapters.receipt import Receipts
from .adapters.registers import DossierRegister
from .adapters.signatures import SignatureStore
from .adapters.signing import PyHankoSigner, watch_certificates
from .adapters.store import SCHEMA, drop_retired
from .adapters.uploads import UploadObjects, UploadRepository
from .api.calendar import router as calendar_router
from .api.forms import router as forms_router
from .api.officer import router as officer_router
from .api.rights import router as rights_router
from .api.routes import router
from .api.uploads import router as uploads_router
from .api.verify import router as verify_router
from .config import Settings
from .parts import Parts
from .service.agencies import AgencyDirectory
from .service.attachments import Attachments
from .service.calendar import CalendarBook
from .service.captchas import Captchas
from .service.dossiers import Dossiers
from .service.files import ObjectFiles
from .service.papers import Papers
from .service.payments import Payments
from .service.prefill import Prefills
from .service.procedures import ProcedureCache
from .service.rights import Rights
from .service.signing import Signing
from .service.uploads import Uploads
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
    signer = PyHankoSigner(
        settings.signing_dir,
        trust_roots=settings.signing_trust_roots,
        workers=settings.signing_workers,
        max_pending=settings.signing_max_pending,
    )
    parts = _parts(rt, settings, store, clients, signer)
    consumers.register(
        rt, parts.procedures, parts.prefills, parts.calendar, parts.agencies, parts.payments, parts.rights
    )
    files = parts.attachments.files
    rt.loop(
        "draft-cleanup", lambda: aio.every(settings.cleanup_interval_seconds, files.cleanup, "cleanup failed")
    )
    uploads = parts.uploads
    rt.loop(
        "upload-expiry",
        lambda: aio.every(settings.upload_cleanup_seconds, uploads.expire, "upload expiry failed"),
    )
    calendar = parts.calendar
    # The agencies' signing certificates' expiry on /metrics (certificate_expiry_seconds{name}).
    rt.loop(
        "certificate-expiry",
        lambda: watch_certificates(
            settings.signing_dir, settings.signing_trust_roots, settings.certificate_check_seconds
        ),
    )
    rt.loop(
        "calendar-refresh",
        lambda: aio.every(settings.calendar_refresh_seconds, calendar.refresh, "calendar refresh failed"),
    )

    @rt.on_start
    async def _start(rt: Runtime) -> None:
        await drop_retired(rt.db)
        await parts.calendar.load()  # deadlines count the administrator's days from the first request
        await store.start()

    @rt.on_stop
    async def _stop(_: Runtime) -> None:
        parts.receipts.close()
        signer.close()
        await clients.close()
        await store.stop()

    rt.health.add("s3", store.ping)
    app = platform_app(
        rt,
        title="DVC Hải Phòng — Nộp hồ sơ (submission)",
        prefix=PREFIX,
        routers=[
            router,
            uploads_router,
            officer_router,
            forms_router,
            calendar_router,
            verify_router,
            rights_router,
        ],
        parts=parts,
        # Files stream to S3 under their own limits: uploads, and the one action that takes a file.
        # Every other body (JSON) is small, and the gateway lets 210 MB through for the files' sake.
        # A document uploaded to be verified streams too (its own limit, verify_max_bytes), and so do the
        # PATCH bodies of resumable uploads (bounded by the upload's declared length).
        streamed=rf"^{PREFIX}/(dossiers/[^/]+/(attachments|actions/propose)|verify|uploads/[^/]+)$",
        description="Nộp hồ sơ trực tuyến bốn bước, tệp đính kèm, theo dõi hồ sơ. "
        "Online filing in four steps, attachments, following a dossier.",
    )
    return app


def _parts(
    rt: Runtime, settings: Settings, store: ObjectStore, clients: Clients, signer: PyHankoSigner
) -> Parts:
    """The use cases and the adapters they work through, built once."""
    repo = DossierRepository(rt.db)
    calendar = CalendarBook(rt, settings, CalendarStore(rt.db))
    cache = ProcedureCache(ProcedureStore(rt.db), clients)
    directory = AgencyDirectory(clients, seconds=settings.agency_refresh_seconds)
    captchas = Captchas(rt, settings)
    prefills = Prefills(clients, seconds=settings.prefill_cache_seconds)
    files = ObjectFiles(settings, repo, Objects(store, settings.part_bytes))
    dossiers = Dossiers(
        rt,
        settings,
        repo=repo,
        counters=Counters(rt.db),
        prefills=prefills,
        cache=cache,
        directory=directory,
        captchas=captchas,
        files=files,
        calendar=calendar,
    )
    attachments = Attachments(settings, repo, files, dossiers)
    receipts = Receipts(
        workers=settings.receipt_workers,
        cache_bytes=settings.receipt_cache_bytes,
        max_pending=settings.receipt_max_pending,
        zone=settings.zone,
        portal_url=settings.portal_url,
    )
    signing = Signing(settings, SignatureStore(rt.db), files, signer)
    workflow = Workflow(
        settings, repo, dossiers, attachments, receipts, calendar, directory, clients, signing
    )
    return Parts(
        settings=settings,
        store=store,
        receipts=receipts,
        procedures=cache,
        prefills=prefills,
        captchas=captchas,
        dossiers=dossiers,
        attachments=attachments,
        workflow=workflow,
        papers=Papers(settings, workflow, receipts, DossierRegister(rt.db), directory),
        idempotency=Idempotency(rt.db),
        calendar=calendar,
        agencies=directory,
        signing=signing,
        payments=Payments(rt, repo, calendar),
        rights=Rights(rt, repo, files),
        uploads=Uploads(settings, UploadRepository(rt.db), UploadObjects(store), dossiers, repo),
    )


def run() -> None:
    serve("submission.main:create_app", Settings())
