"""Auth service: accounts, login, tokens and roles."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from dvckit import logs
from dvckit.auth import TokenVerifier
from dvckit.http import create_app as platform_app
from dvckit.runtime import Runtime
from dvckit.serve import serve

from .adapters.keys import KeyStore
from .adapters.oidc import OidcProvider
from .adapters.passwords import Passwords
from .adapters.peers import Peers
from .adapters.repos import Repositories
from .adapters.store import schema
from .api.agencies import router as agency_router
from .api.oauth import router as oauth_router
from .api.organisations import router as org_router
from .api.rights import router as rights_router
from .api.routes import router
from .api.vneid import router as vneid_router
from .config import Settings
from .parts import AuthParts
from .service.accounts import Accounts
from .service.agencies import AgencyStaff
from .service.codes import Codes
from .service.mfa import SecondFactor
from .service.oauth import AppSignIn
from .service.organisations import OrganisationCases
from .service.recovery import Recovery
from .service.registration import Registration
from .service.revocation import Revoked
from .service.rights import YourData
from .service.sessions import Sessions
from .service.vneid import VneidSignIn

PREFIX = "/api/v1/auth"
log = logs.get(__name__)


def build(
    rt: Runtime, settings: Settings, peer_transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> AuthParts:
    """Every part of the service, once; the use cases share the repositories. ``peer_transports``: how
    to reach the other services in-process (tests), by name."""
    repos = Repositories.of(rt.db, settings)
    keys = KeyStore(rt, settings)
    revoked = Revoked(rt, settings, repos.revocations)
    # The auth service verifies its own tokens against its key store and revocations, not over HTTP.
    rt.tokens = TokenVerifier(
        keys.jwks, issuer=settings.jwt_issuer, audience=settings.jwt_audience, revoked=revoked.source()
    )
    passwords = Passwords(settings)
    sessions = Sessions(rt, settings, keys, passwords, repos, revoked)
    codes = Codes(rt, settings, repos.codes)
    accounts = Accounts(rt, settings, repos, passwords, sessions, codes)
    provider = vneid_provider(settings)
    if provider is not None:
        rt.on_stop(lambda _rt: provider.close())
    peers = Peers(
        submission_url=settings.submission_url,
        notify_url=settings.notify_url,
        payment_url=settings.payment_url,
        audit_url=settings.audit_url,
        timeout=settings.export_timeout_seconds,
        transports=peer_transports,
    )
    rt.on_stop(lambda _rt: peers.close())
    return AuthParts(
        settings=settings,
        keys=keys,
        passwords=passwords,
        sessions=sessions,
        accounts=accounts,
        registration=Registration(rt, settings, repos.users, passwords, codes, accounts),
        recovery=Recovery(rt, settings, repos, passwords, sessions, codes),
        mfa=SecondFactor(rt, settings, repos, passwords, sessions, codes),
        vneid=VneidSignIn(rt, settings, repos, passwords, sessions, accounts, provider),
        organisations=OrganisationCases(rt, repos),
        agencies=AgencyStaff(rt, repos.users, repos.agencies),
        your_data=YourData(
            rt, repos, accounts, sessions, peers, codes, spool_dir=settings.export_dir or None
        ),
        oauth=AppSignIn(settings, repos, sessions),
    )


def vneid_provider(settings: Settings) -> OidcProvider | None:
    """VNeID as configured (``AUTH_VNEID_*``); None when no issuer is set (the sign-in is not offered)."""
    if not settings.vneid_issuer or settings.vneid_client_secret is None:
        return None
    return OidcProvider(
        issuer=settings.vneid_issuer,
        client_id=settings.vneid_client_id,
        client_secret=settings.vneid_client_secret.get_secret_value(),
        redirect_uri=settings.vneid_redirect_uri,
        scopes=settings.vneid_scopes,
        algorithms=settings.vneid_algorithms,
        timeout_s=settings.vneid_timeout_seconds,
    )


def create_app(
    settings: Settings | None = None, *, peer_transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    settings = settings or Settings()
    rt = Runtime(settings, schema=schema(settings.attempt_log_days))
    parts = build(rt, settings, peer_transports)

    @rt.on_start
    async def _bootstrap(_: Runtime) -> None:
        await parts.keys.ensure()
        await parts.accounts.ensure_first_admin()
        await parts.mfa.ensure_first_admin_secret()
        if settings.staff_mfa != "required":
            log.warning("AUTH_STAFF_MFA=off: officers and administrators sign in with a password alone")

    return platform_app(
        rt,
        title="DVC Hải Phòng — Xác thực (auth)",
        prefix=PREFIX,
        routers=[router, vneid_router, oauth_router, org_router, agency_router, rights_router],
        description="Tài khoản, đăng nhập, mã truy cập và phân quyền. "
        "Accounts, sign-in, access tokens and roles.",
        parts=parts,
    )


def run() -> None:
    serve("auth.main:create_app", Settings())
