"""Refresh tokens (stored by digest, in families: one a login) and the log of sign-in attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dvckit.mongo import Repository, Session

from .store import LOGIN_ATTEMPTS, REFRESH_TOKENS

Doc = dict[str, Any]


class RefreshTokens(Repository):
    collection = REFRESH_TOKENS

    async def add(
        self,
        digest: str,
        *,
        user_id: str,
        family: str,
        expires_at: datetime,
        mfa: bool = False,
        session: Session | None = None,
    ) -> None:
        await self.coll.insert_one(
            {
                "_id": digest,
                "user_id": user_id,
                "family": family,
                # The login was made with a second factor: a staff member's refresh needs it.
                "mfa": mfa,
                "created_at": datetime.now(UTC),
                "expires_at": expires_at,
                "used_at": None,
                "revoked": False,
            },
            session=session,
        )

    async def use(self, digest: str) -> Doc | None:
        """Mark a live token used (a token is used once); the token as it was, or None when it is not
        live (unknown, used, revoked or expired)."""
        now = datetime.now(UTC)
        return await self.coll.find_one_and_update(
            {"_id": digest, "used_at": None, "revoked": False, "expires_at": {"$gt": now}},
            {"$set": {"used_at": now}},
        )

    async def get(self, digest: str) -> Doc | None:
        return await self.coll.find_one({"_id": digest})

    async def revoke_family(self, family: str, session: Session) -> int:
        """Revoke every live token of one login; how many were live."""
        res = await self.coll.update_many(
            {"family": family, "revoked": False}, {"$set": {"revoked": True}}, session=session
        )
        return res.modified_count

    async def revoke_user(self, user_id: str, session: Session) -> None:
        await self.coll.update_many(
            {"user_id": user_id, "revoked": False}, {"$set": {"revoked": True}}, session=session
        )


class LoginAttempts(Repository):
    collection = LOGIN_ATTEMPTS

    async def add(self, *, ok: bool, reason: str, login: str, ip: str, user_id: str | None) -> None:
        await self.coll.insert_one(
            {
                "at": datetime.now(UTC),
                "ok": ok,
                "reason": reason,
                "login": login,
                "ip": ip,
                "user_id": user_id,
            }
        )
