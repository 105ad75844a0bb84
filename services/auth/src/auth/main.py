"""Auth service: accounts, login, tokens and roles."""

from __future__ import annotations

from fastapi import FastAPI

from dvckit.auth import TokenVerifier
from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from . import consumers
from .adapters.keys import KeyStore
from .adapters.passwords import Passwords
from .adapters.store import schema
from .api.routes import router
from .config import Settings
from .service.accounts import Accounts
from .service.recovery import Recovery
from .service.sessions import Sessions

PREFIX = "/api/v1/auth"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=schema(settings.attempt_log_days))
    consumers.register(rt)
    keys = KeyStore(rt, settings)
    # The auth service verifies its own tokens against its key store, not over HTTP.
    rt.tokens = TokenVerifier(keys.jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    passwords = Passwords(settings)
    sessions = Sessions(rt, settings, keys, passwords)
    accounts = Accounts(rt, settings, passwords, sessions)
    recovery = Recovery(rt, settings, passwords, sessions)

    @rt.on_start
    async def _bootstrap(_: Runtime) -> None:
        await keys.ensure()
        await accounts.ensure_first_admin()

    app = platform_app(
        rt,
        title="DVC Hải Phòng — Xác thực (auth)",
        prefix=PREFIX,
        routers=[router],
        description="Tài khoản, đăng nhập, mã truy cập và phân quyền. "
        "Accounts, sign-in, access tokens and roles.",
    )
    app.state.keys = keys
    app.state.passwords = passwords
    app.state.sessions = sessions
    app.state.accounts = accounts
    app.state.recovery = recovery
    return app


def run() -> None:
    serve("auth.main:create_app", Settings())
