"""Logging in, refreshing and logging out: access tokens (JWT) and rotating refresh tokens.

Refresh tokens are random, stored only as SHA-256 digests, and belong to a family (one login). Each use
rotates the token; presenting a token that was already rotated means it was copied, so the whole family
is revoked (reuse detection).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit import logs
from dvckit.errors import Problem, Text
from dvckit.runtime import Runtime

from ..adapters.keys import KeyStore
from ..adapters.passwords import Passwords
from ..adapters.store import LOGIN_ATTEMPTS, REFRESH_TOKENS, USERS
from ..config import Settings
from ..domain.identity import classify_login
from .throttle import Throttle, login_key

log = logs.get(__name__)

BAD_CREDENTIALS = Problem(
    401,
    "invalid-credentials",
    Text("Tên đăng nhập hoặc mật khẩu không đúng", "Wrong username or password"),
)
ACCOUNT_LOCKED = Problem(
    403,
    "account-locked",
    Text(
        "Tài khoản đã bị khóa. Vui lòng liên hệ quản trị viên.",
        "This account is locked. Please contact an administrator.",
    ),
)
BAD_REFRESH = Problem(
    401,
    "invalid-refresh-token",
    Text(
        "Phiên đăng nhập không còn hiệu lực, vui lòng đăng nhập lại",
        "The session is no longer valid; please sign in again",
    ),
)


def too_many(seconds: int) -> Problem:
    return Problem(
        429,
        "too-many-attempts",
        Text(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
            "Too many failed sign-in attempts. Please try again later.",
        ),
        headers={"Retry-After": str(max(1, seconds))},
        extra={"retry_after": max(1, seconds)},
    )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions:
    def __init__(self, rt: Runtime, settings: Settings, keys: KeyStore, passwords: Passwords) -> None:
        self.rt = rt
        self.s = settings
        self.keys = keys
        self.passwords = passwords
        self.users = rt.db[USERS]
        self.tokens = rt.db[REFRESH_TOKENS]
        self.attempts = rt.db[LOGIN_ATTEMPTS]
        self.throttle = Throttle(rt, settings)

    async def _access_token(self, user: dict[str, Any]) -> str:
        now = datetime.now(UTC)
        return await self.keys.sign(
            {
                "iss": self.s.jwt_issuer,
                "aud": self.s.jwt_audience,
                "sub": user["_id"],
                "iat": int(now.timestamp()),
                "exp": int((now + timedelta(seconds=self.s.access_ttl_seconds)).timestamp()),
                "jti": uuid.uuid4().hex,
                "roles": user.get("roles", []),
                "agencies": user.get("agencies", []),
                "name": user.get("full_name", ""),
            }
        )

    async def _new_refresh(self, user_id: str, family: str, session: Any = None) -> tuple[str, datetime]:
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(days=self.s.refresh_ttl_days)
        await self.tokens.insert_one(
            {
                "_id": digest(token),
                "user_id": user_id,
                "family": family,
                "created_at": datetime.now(UTC),
                "expires_at": expires,
                "used_at": None,
                "revoked": False,
            },
            session=session,
        )
        return token, expires

    async def _pair(self, user: dict[str, Any], family: str) -> dict[str, Any]:
        refresh, _expires = await self._new_refresh(user["_id"], family)
        return {
            "access_token": await self._access_token(user),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.s.access_ttl_seconds,
            "refresh_expires_in": self.s.refresh_ttl_days * 86400,
        }

    async def _log(self, *, ok: bool, reason: str, account: str, ip: str, user_id: str | None) -> None:
        await self.attempts.insert_one(
            {
                "at": datetime.now(UTC),
                "ok": ok,
                "reason": reason,
                "login": account,
                "ip": ip,
                "user_id": user_id,
            }
        )

    async def login(self, username: str, password: str, ip: str) -> dict[str, Any]:
        field, value = classify_login(username)
        account = login_key(field, value)
        wait = await self.throttle.blocked_for(account, ip)
        if wait:
            await self._log(ok=False, reason="throttled", account=account, ip=ip, user_id=None)
            raise too_many(wait)
        user = await self.users.find_one({field: value})
        ok = await self.passwords.verify(user["password_hash"] if user else None, password)
        if not ok:
            locked_now = await self.throttle.failed(account, ip)
            await self._log(
                ok=False,
                reason="bad-credentials",
                account=account,
                ip=ip,
                user_id=user["_id"] if user else None,
            )
            if locked_now:
                raise too_many(self.s.lockout_seconds)
            raise BAD_CREDENTIALS
        assert user is not None
        if user.get("locked"):
            # Said only after the right password, so it reveals nothing to someone guessing.
            await self._log(ok=False, reason="account-locked", account=account, ip=ip, user_id=user["_id"])
            raise ACCOUNT_LOCKED
        await self.throttle.succeeded(account)
        await self._log(ok=True, reason="ok", account=account, ip=ip, user_id=user["_id"])
        if self.passwords.needs_rehash(user["password_hash"]):
            await self.users.update_one(
                {"_id": user["_id"]}, {"$set": {"password_hash": await self.passwords.hash(password)}}
            )
        logs.bind(user_id=user["_id"])
        return await self._pair(user, family=uuid.uuid4().hex)

    async def refresh(self, token: str) -> dict[str, Any]:
        h = digest(token)
        now = datetime.now(UTC)
        doc = await self.tokens.find_one_and_update(
            {"_id": h, "used_at": None, "revoked": False, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
        )
        if doc is None:
            seen = await self.tokens.find_one({"_id": h})
            if seen is not None and seen.get("used_at") is not None and not seen.get("revoked"):
                # A rotated token came back: someone holds a copy. End the whole login.
                await self.tokens.update_many({"family": seen["family"]}, {"$set": {"revoked": True}})
                log.warning("refresh token reuse: family revoked", user_id=seen["user_id"])
            raise BAD_REFRESH
        user = await self.users.find_one({"_id": doc["user_id"]})
        if user is None or user.get("locked"):
            raise BAD_REFRESH
        return await self._pair(user, family=doc["family"])

    async def logout(self, token: str) -> None:
        doc = await self.tokens.find_one({"_id": digest(token)})
        if doc is not None:
            await self.tokens.update_many({"family": doc["family"]}, {"$set": {"revoked": True}})

    async def revoke_all(self, user_id: str, session: Any = None) -> None:
        await self.tokens.update_many(
            {"user_id": user_id, "revoked": False}, {"$set": {"revoked": True}}, session=session
        )
