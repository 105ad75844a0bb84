"""Access-token verification, done by every service itself (defence in depth; no call to auth a request).

Tokens are RS256 JWTs signed by the auth service, which publishes its public keys as a JWKS. The verifier
caches the keys, refetches when it meets an unknown ``kid`` (at most once every ``min_refetch`` seconds,
single-flight, so random kids cannot flood the auth service) and refreshes them every ``max_age``.

A verified token is remembered (bounded cache, keyed by the token itself) until it expires: a client
sends the same access token with every request for its 15 minutes, and a cache hit costs a dict lookup
instead of an RSA verification. The cache is emptied whenever the published key set changes, so a
withdrawn key stops being accepted at the next refresh.

Refused, whatever the signature: any ``alg`` but RS256 (``none``, HS256 signed with the public key as
an HMAC secret...), a missing or unknown ``kid``, wrong ``iss`` or ``aud``, expired or not-yet-valid
tokens, and tokens without the claims below.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import httpx
import jwt
from fastapi import Depends, Request
from jwt import PyJWK
from pydantic import BaseModel, ConfigDict

from . import logs
from .errors import Problem, Text

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti"]

JwksSource = Callable[[], Awaitable[dict[str, Any]]]
log = logs.get(__name__)


class Principal(BaseModel):
    """Who is calling, as the token says."""

    model_config = ConfigDict(frozen=True)

    sub: str
    name: str = ""
    roles: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    jti: str = ""
    exp: int = 0
    iat: int = 0
    # The login (refresh-token family) the token was issued for: signing out ends that login only.
    sid: str = ""
    # How the holder's identity was established ("ial"): 0 self-declared, 1 or 2 the VNeID level.
    identity_level: int = 0
    # The holder's organisations ("orgs"): (id, role) pairs, role representative, staff or viewer. As of
    # the token's issue: a change of membership shows at the next refresh.
    orgs: tuple[tuple[str, str], ...] = ()

    def org_role(self, org_id: str) -> str | None:
        return next((role for oid, role in self.orgs if oid == org_id), None)

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


UNAUTHENTICATED = Problem(
    401,
    "unauthenticated",
    Text("Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn", "Not signed in, or the session has expired"),
    headers={"WWW-Authenticate": 'Bearer realm="dvc"'},
)
FORBIDDEN = Problem(
    403, "forbidden", Text("Bạn không có quyền thực hiện thao tác này", "You are not allowed to do this")
)


class InvalidToken(Exception):
    pass


def http_jwks(
    url: str, timeout: float = 3.0, transport: httpx.AsyncBaseTransport | None = None
) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            r = await client.get(url)
            r.raise_for_status()
            return r.json()

    return fetch


@dataclass(eq=False)
class TokenVerifier:
    source: JwksSource
    _: KW_ONLY
    issuer: str
    audience: str
    leeway: float = 30.0
    max_age: float = 300.0
    min_refetch: float = 2.0
    cache_size: int = 10_000
    _keys: dict[str, Any] = field(default_factory=dict, init=False)
    _kids: frozenset[str] = field(default=frozenset(), init=False)
    _cache: dict[str, Principal] = field(default_factory=dict, init=False)
    _fetched_at: float = field(default=0.0, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def _refresh(self, *, force: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (force and age < self.min_refetch) or (not force and age < self.max_age):
                return  # someone else refreshed while we waited, or too soon to ask again
            try:
                jwks = await self.source()
            except Exception as e:
                log.warning("could not fetch JWKS", error=repr(e)[:200])
                self._fetched_at = time.monotonic()  # back off; keep the keys we have
                return
            keys = {}
            for k in jwks.get("keys", []):
                if k.get("kty") == "RSA" and k.get("kid") and k.get("use", "sig") == "sig":
                    keys[k["kid"]] = PyJWK(k, algorithm=ALGORITHM).key
            self._keys = keys
            if frozenset(keys) != self._kids:
                self._kids = frozenset(keys)
                self._cache.clear()
            self._fetched_at = time.monotonic()

    async def _key(self, kid: str) -> Any:
        if time.monotonic() - self._fetched_at > self.max_age:
            await self._refresh(force=False)
        key = self._keys.get(kid)
        if key is None:
            await self._refresh(force=True)
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown key id")
        return key

    async def verify(self, token: str) -> Principal:
        cached = self._cache.get(token)
        if cached is not None:
            if cached.exp + self.leeway > time.time() and time.monotonic() - self._fetched_at <= self.max_age:
                return cached
            del self._cache[token]
        principal = await self._verify(token)
        if len(self._cache) >= self.cache_size:
            self._cache.pop(next(iter(self._cache)))  # the oldest entry
        self._cache[token] = principal
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise InvalidToken("malformed token") from e
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no key id")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(str(e)) from e
        return Principal(
            sub=str(claims["sub"]),
            name=str(claims.get("name") or ""),
            roles=tuple(claims.get("roles") or ()),
            agencies=tuple(claims.get("agencies") or ()),
            jti=str(claims["jti"]),
            exp=int(claims["exp"]),
            iat=int(claims["iat"]),
            sid=str(claims.get("sid") or ""),
            identity_level=int(claims.get("ial") or 0),
            orgs=_orgs(claims.get("orgs")),
        )


def _orgs(claim: Any) -> tuple[tuple[str, str], ...]:
    # Signed by auth, but read defensively: a malformed entry is dropped, never trusted.
    if not isinstance(claim, list):
        return ()
    return tuple(
        (o["id"], o["role"])
        for o in claim[:50]
        if isinstance(o, dict) and isinstance(o.get("id"), str) and isinstance(o.get("role"), str)
    )


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def optional_principal(request: Request) -> Principal | None:
    """The caller if a valid token came with the request; None when no token came; 401 if a bad one."""
    token = _bearer(request)
    if token is None:
        return None
    verifier: TokenVerifier = request.app.state.runtime.tokens
    try:
        principal = await verifier.verify(token)
    except InvalidToken as e:
        log.info("token refused", reason=str(e)[:120])
        raise UNAUTHENTICATED from None
    logs.bind(user_id=principal.sub)
    return principal


async def principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated caller, or a 401 problem."""
    who = await optional_principal(request)
    if who is None:
        raise UNAUTHENTICATED
    return who


# What a route depending on these may answer, for its OpenAPI document (dvckit.apidoc).
optional_principal.__dvc_auth__ = "optional-token"  # type: ignore[attr-defined]
principal.__dvc_auth__ = "token"  # type: ignore[attr-defined]


def require(*roles: str) -> Callable[..., Awaitable[Principal]]:
    """FastAPI dependency factory: the caller must hold one of ``roles`` (403 otherwise)."""

    async def dep(who: Principal = Depends(principal)) -> Principal:  # noqa: B008 - FastAPI idiom
        if not any(r in who.roles for r in roles):
            raise FORBIDDEN
        return who

    dep.__dvc_auth__ = "role"  # type: ignore[attr-defined]
    return dep


def any_of(roles: Iterable[str], who: Principal) -> bool:
    return any(r in who.roles for r in roles)
