"""Auth service: accounts, login, tokens and roles."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.users import SCHEMA
from .api.routes import router
from .config import Settings
from .service.accounts import Accounts

PREFIX = "/api/v1/auth"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=SCHEMA)
    consumers.register(rt)
    accounts = Accounts(rt, settings)

    @rt.on_start
    async def _admin(_: Runtime) -> None:
        await accounts.ensure_first_admin()

    app = platform_app(rt, title="DVC Hải Phòng — Xác thực (auth)", prefix=PREFIX, routers=[router])
    app.state.accounts = accounts
    return app


def run() -> None:
    serve("auth.main:create_app", Settings())
