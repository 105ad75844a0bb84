"""Audit service: every service's audit entries (``audit.recorded.v1``) kept once, append-only and
hash-chained per producer; search and export for auditors, a person's own entries, verification and
retention (docs/audit.md)."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit import aio
from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.entries import Chains, Entries, Verifications
from .adapters.store import SCHEMA
from .api.routes import router
from .config import Settings
from .parts import AuditParts
from .service import gauges
from .service.chains import Retention, Verifier
from .service.ingest import Ingest
from .service.trail import Trail

PREFIX = "/api/v1/audit"


def build(rt: Runtime, settings: Settings) -> AuditParts:
    entries, chains = Entries(rt.db), Chains(rt.db)
    return AuditParts(
        trail=Trail(entries, chains, rt.audit, settings.zone),
        ingest=Ingest(entries, chains),
        verifier=Verifier(entries, chains),
        retention=Retention(
            entries, chains, rt.transaction, settings.retention_days, settings.retention_seconds
        ),
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    parts = build(rt, settings)
    consumers.register(rt, parts.ingest)
    rt.loop("retention", parts.retention.forever)
    verifications, entries = Verifications(rt.db), parts.verifier.entries
    rt.loop(
        "verification-gauges",
        lambda: aio.every(
            settings.metrics_seconds,
            lambda: gauges.sample(verifications, entries),
            "verification not read",
            at_once=True,
        ),
    )
    return platform_app(
        rt,
        title="DVC Hải Phòng — Nhật ký kiểm tra (audit)",
        prefix=PREFIX,
        routers=[router],
        description="Nhật ký truy cập và thay đổi dữ liệu cá nhân, chỉ ghi thêm, chuỗi băm theo từng dịch "
        "vụ; tra cứu và xuất cho kiểm tra viên. "
        "The audit trail: append-only, hash-chained per service; search and export for auditors.",
        parts=parts,
    )


def run() -> None:
    serve("audit.main:create_app", Settings())
