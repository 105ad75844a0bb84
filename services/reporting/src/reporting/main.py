"""Reporting service: every service's events folded into read models per agency, commune, field,
procedure and day; the Decision 766 indexes over them; exports; the public scorecard
(docs/reporting.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from pymongo.asynchronous.database import AsyncDatabase

from dvckit import aio
from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.catalog import Catalog
from .adapters.counters import Counters
from .adapters.directory import Agencies
from .adapters.events import Events
from .adapters.facts import Facts
from .adapters.opened import Opened
from .adapters.procedures import Procedures
from .adapters.revision import Revision
from .adapters.store import SCHEMA
from .api.routes import router
from .config import Settings
from .parts import ReportingParts
from .service import gauges
from .service.ingest import Ingest
from .service.reference import Reference
from .service.reports import Reports

PREFIX = "/api/v1/reporting"


@dataclass(frozen=True)
class Stores:
    events: Events
    facts: Facts
    counters: Counters
    opened: Opened
    agencies: Agencies
    procedures: Procedures
    revision: Revision


def stores(db: AsyncDatabase[Any]) -> Stores:
    return Stores(Events(db), Facts(db), Counters(db), Opened(db), Agencies(db), Procedures(db), Revision(db))


def build(rt: Runtime, settings: Settings) -> tuple[ReportingParts, Stores, Reference]:
    s = stores(rt.db)
    reference = Reference(
        s.agencies,
        s.procedures,
        Catalog(settings.catalog_url),
        s.revision,
        settings.reference_seconds,
        settings.directory_retry_seconds,
    )
    ingest = Ingest(
        rt, settings.zone, s.events, s.facts, s.counters, s.opened, s.agencies, s.procedures, reference
    )
    reports = Reports(settings.zone, s.counters, s.opened, s.facts, reference)
    return ReportingParts(reports=reports, ingest=ingest), s, reference


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    parts, s, reference = build(rt, settings)
    consumers.register(rt, parts.ingest)
    rt.loop("agency-directory", parts.ingest.start_directory)
    rt.loop("refold", parts.ingest.refold_forever)
    rt.loop("catalogue-summary", lambda: reference.sync_catalogue_forever(settings.catalogue_seconds))
    rt.loop(
        "open-dossier-gauges",
        lambda: aio.every(
            settings.metrics_seconds,
            lambda: gauges.sample(s.opened),
            "open dossiers not counted",
            at_once=True,
        ),
    )

    @rt.on_stop
    async def _close_catalog(_: Runtime) -> None:
        await reference.catalog.close()

    return platform_app(
        rt,
        title="DVC Hải Phòng — Báo cáo, chỉ số (reporting)",
        prefix=PREFIX,
        routers=[router],
        description="Chỉ số đánh giá chất lượng phục vụ (Quyết định 766/QĐ-TTg), thống kê, bảng điểm "
        "công khai. "
        "Service-quality indexes (Decision 766), statistics, the public scorecard.",
        parts=parts,
    )


def run() -> None:
    serve("reporting.main:create_app", Settings())
