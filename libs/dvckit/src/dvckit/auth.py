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

Refused too, though well signed: a token of a session that ended (its ``sid``) or of an account locked
after the token was issued, as the auth service's revocation list says (:class:`RevocationList`, fetched
in the background every ~20 s: an ended session's tokens stop within the minute, not at their expiry).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import httpx
import jwt
from fastapi import Depends, Request
from jwt import PyJWK
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict

from . import logs
from .errors import Problem, Text

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti"]

JwksSource = Callable[[], Awaitable[dict[str, Any]]]
# The revocation list from ``since`` (seconds since the epoch, by auth's clock; None: all of it), after
# the entry ``after`` listed at that time (the next page of a long list).
RevokedSource = Callable[[float | None, str | None], Awaitable[dict[str, Any]]]
log = logs.get(__name__)
revocations_fetched = Gauge(
    "token_revocations_last_success_seconds",
    "When the revocation list was last fetched (Unix time): alert when it falls behind",
)


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


def http_revocations(
    url: str, timeout: float = 3.0, transport: httpx.AsyncBaseTransport | None = None
) -> RevokedSource:
    async def fetch(since: float | None, after: str | None) -> dict[str, Any]:
        params = {"since": f"{since:.3f}"} if since is not None else {}  # milliseconds, as stored
        if after is not None:
            params["after"] = after
        async with httpx.AsyncClient(timeout=timeout, transport=transport) as client:
            r = await client.get(url, params=params)
            r.raise_for_status()
            return r.json()

    return fetch


def subject_key(sub: str) -> str:
    """How the public revocation list names an account: the SHA-256 of its id, so the list names nobody
    to whoever reads it, and a service finds a token's subject in it all the same."""
    return hashlib.sha256(sub.encode()).hexdigest()


@dataclass(eq=False)
class RevocationList:
    """Sessions ended and accounts locked within an access token's lifetime, as the auth service lists
    them (``GET /api/v1/auth/.well-known/revoked``), kept in memory and brought up to date every
    ``period`` seconds by :meth:`run` (a background loop of the service's runtime).

    Each poll asks only for what was listed since the previous answer (less ``overlap`` seconds: an entry
    whose transaction committed a little after its time, or an auth replica whose clock is a little
    behind, is still seen), so every replica of every service polling costs auth one small index range.
    An entry is dropped once the tokens it stops have expired (the list's ``window``).

    Auth unreachable: the last list is kept (entries still expire by their own time); every failed poll
    is logged, as an error once the list is older than ``stale_after``, and
    ``token_revocations_last_success_seconds`` on /metrics says since when. Tokens are not refused for
    want of a list: an auth outage must not sign everyone out (the keys are cached the same way)."""

    source: RevokedSource
    _: KW_ONLY
    period: float = 20.0
    stale_after: float = 120.0
    overlap: float = 30.0
    max_pages: int = 20
    sessions: dict[str, float] = field(default_factory=dict, init=False)
    users: dict[str, float] = field(default_factory=dict, init=False)
    window: float = field(default=0.0, init=False)
    _since: float | None = field(default=None, init=False)
    _fresh_at: float = field(default_factory=time.monotonic, init=False)
    _ever: bool = field(default=False, init=False)

    def refuses(self, who: Principal) -> str | None:
        """Why a verified token must be refused all the same, or None."""
        if who.sid and who.sid in self.sessions:
            return "session ended"
        if self.users:
            locked = self.users.get(subject_key(who.sub))
            # Issued at or before the lock (iat is whole seconds: one issued in the same second is
            # refused; none is, as a locked account cannot sign in).
            if locked is not None and who.iat <= locked:
                return "account locked"
        return None

    def add(self, *, sessions: Iterable[str] = (), users: Iterable[str] = (), at: float) -> None:
        """What this process learnt itself (the auth replica that ended a session), before any poll."""
        for sid in sessions:
            self.sessions[sid] = max(at, self.sessions.get(sid, at))
        for key in users:
            self.users[key] = max(at, self.users.get(key, at))

    def _merge(self, doc: dict[str, Any]) -> None:
        for e in doc.get("sessions", []):
            self.add(sessions=[str(e["id"])], at=float(e["at"]))
        for e in doc.get("users", []):
            self.add(users=[str(e["id"])], at=float(e["at"]))

    async def refresh(self) -> None:
        """Ask for what was listed since the last answer, page after page when it is long (a page ends
        at an entry: ``next`` names the time and the entry the next page starts after)."""
        since = None if self._since is None else self._since - self.overlap
        after = None
        for _ in range(self.max_pages):
            doc = await self.source(since, after)
            self._merge(doc)
            following = doc.get("next")
            if not following:
                self._since = float(doc["now"])
                break
            since, after = float(following["since"]), str(following["after"])
        else:
            # The rest comes with the next poll, from where this one stopped.
            log.warning("revocation list: more pages than read this round", pages=self.max_pages)
            self._since = (since or 0.0) + self.overlap
        self.window = float(doc["window"])
        gone = float(doc["now"]) - self.window
        self.sessions = {k: at for k, at in self.sessions.items() if at >= gone}
        self.users = {k: at for k, at in self.users.items() if at >= gone}
        self._fresh_at, self._ever = time.monotonic(), True
        revocations_fetched.set(time.time())

    @property
    def age(self) -> float:
        """Seconds since the list was last brought up to date (since it was made, before the first)."""
        return time.monotonic() - self._fresh_at

    async def run(self) -> None:
        """Refresh now, then every ``period`` seconds (jittered: replicas started together spread out)."""
        while True:
            try:
                await self.refresh()
            except Exception as e:
                stale = self.age > self.stale_after
                (log.error if stale else log.warning)(
                    "revocation list not refreshed: ended sessions' tokens may still be accepted"
                    if stale
                    else "could not fetch the revocation list",
                    behind_s=round(self.age),
                    ever_fetched=self._ever,
                    error=repr(e)[:200],
                )
            await asyncio.sleep(self.period * random.uniform(0.8, 1.2))  # noqa: S311 - spreading, not secrecy


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
    # Sessions ended and accounts locked (None: none checked; tests that trust tokens of their own).
    revoked: RevocationList | None = None
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
        principal = await self._verified(token)
        # Checked on every request, cached or not: a session ends while its tokens are in the cache.
        why = self.revoked.refuses(principal) if self.revoked is not None else None
        if why:
            raise InvalidToken(why)
        return principal

    async def _verified(self, token: str) -> Principal:
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
