"""Catalog service: the national procedure catalogue and its search."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from .adapters.agencies import Agencies
from .adapters.procedures import Procedures
from .adapters.store import SCHEMA
from .api.routes import router
from .api.suggest import router as suggest_router
from .api.vocabulary import router as vocabulary_router
from .config import Settings
from .parts import CatalogParts
from .service import view as views
from .service.agencies import Directory
from .service.catalog import Catalog

PREFIX = "/api/v1/catalog"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    views.configure(settings.province_code)
    rt = Runtime(settings, schema=SCHEMA)
    catalog = Catalog(
        rt, Procedures(rt.db), seed_path=settings.seed_path, watch_seconds=settings.index_watch_seconds
    )

    directory = Directory(rt, Agencies(rt.db), province_code=settings.province_code)

    @rt.on_start
    async def _load(_: Runtime) -> None:
        await directory.start()
        await catalog.start()

    rt.loop("catalog-index-watch", catalog.watch)
    rt.on_stop(lambda _: catalog.stop_rebuilds())
    return platform_app(
        rt,
        title="DVC Hải Phòng — Danh mục thủ tục (catalog)",
        prefix=PREFIX,
        routers=[router, suggest_router, vocabulary_router],
        description="Danh mục thủ tục hành chính và tìm kiếm. The procedure catalogue and search.",
        parts=CatalogParts(catalog=catalog, directory=directory),
    )


def run() -> None:
    serve("catalog.main:create_app", Settings())
