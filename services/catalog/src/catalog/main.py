"""Catalog service: the national procedure catalogue and its search."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .config import Settings

PREFIX = "/api/v1/catalog"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings)
    consumers.register(rt)
    return platform_app(rt, title="DVC Hải Phòng — Danh mục thủ tục (catalog)", prefix=PREFIX)


def run() -> None:
    serve("catalog.main:create_app", Settings())
