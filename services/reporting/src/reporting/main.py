"""Reporting service: every service's events folded into read models per agency, commune, field,
procedure and day; the Decision 766 indexes over them; exports; the public scorecard
(docs/reporting.md)."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from .api.routes import router
from .config import Settings
from .parts import ReportingParts

PREFIX = "/api/v1/reporting"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings)
    return platform_app(
        rt,
        title="DVC Hải Phòng — Báo cáo, chỉ số (reporting)",
        prefix=PREFIX,
        routers=[router],
        description="Chỉ số đánh giá chất lượng phục vụ (Quyết định 766/QĐ-TTg), thống kê, bảng điểm "
        "công khai. "
        "Service-quality indexes (Decision 766), statistics, the public scorecard.",
        parts=ReportingParts(),
    )


def run() -> None:
    serve("reporting.main:create_app", Settings())
