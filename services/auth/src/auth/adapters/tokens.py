"""Refresh tokens (stored by digest, in families: one a login) and the log of sign-in attempts.

A family is a session: each token carries where its login began (``started_at``, the User-Agent and
address of the sign-in) forward to the next, so the live token of a family (unused, unrevoked, unexpired)
says all the sessions list shows; its ``created_at`` is the session's last use."""

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
        origin: Doc | None = None,
        session: Session | None = None,
    ) -> None:
        """``origin``: the session's ``started_at``, ``ua``, ``ip`` (of the sign-in) and ``last_ip``."""
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
                **(origin or {}),
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

    async def made_with_second_factor(self, user_id: str, family: str) -> bool:
        """Whether the user's session ``family`` (not ended) was signed in with the second factor."""
        if not family:
            return False
        query = {"user_id": user_id, "family": family, "revoked": False, "mfa": True}
        return await self.coll.find_one(query, {"_id": 1}) is not None

    async def live(self, user_id: str, limit: int) -> list[Doc]:
        """The user's sessions: the live token of each family, most recently used first."""
        now = datetime.now(UTC)
        query = {"user_id": user_id, "used_at": None, "revoked": False, "expires_at": {"$gt": now}}
        return await self.coll.find(query).sort("created_at", -1).limit(limit).to_list()

    async def live_families(self, user_id: str, session: Session, *, family: str | None = None) -> list[str]:
        """The user's families not ended (only ``family``, when given): with an unrevoked token not yet
        expired, used or not, so a session caught between a refresh's use of its token and the next token
        is ended too (the refresh then sees it ended: ``ended``)."""
        query: Doc = {"user_id": user_id, "revoked": False, "expires_at": {"$gt": datetime.now(UTC)}}
        if family is not None:
            query["family"] = family
        docs = await self.coll.find(query, {"family": 1}, session=session).to_list()
        return sorted({d["family"] for d in docs})

    async def revoke_families(self, user_id: str, families: list[str], session: Session) -> None:
        """Revoke every token of these families of the user (their used ones too: reuse finds nothing)."""
        await self.coll.update_many(
            {"user_id": user_id, "family": {"$in": families}, "revoked": False},
            {"$set": {"revoked": True}},
            session=session,
        )

    async def revoke_family(self, family: str, session: Session | None = None) -> int:
        """Revoke every live token of one login; how many were live."""
        res = await self.coll.update_many(
            {"family": family, "revoked": False}, {"$set": {"revoked": True}}, session=session
        )
        return res.modified_count

    async def ended(self, family: str) -> bool:
        """Whether a token of the family was revoked: the session ended (tokens are revoked by family)."""
        return await self.coll.find_one({"family": family, "revoked": True}, {"_id": 1}) is not None

    async def forget_user(self, user_id: str, session: Session) -> None:
        """Where the user's sessions were made from (address, device), removed (the account was closed).
        The tokens themselves stay, revoked, until they expire: a refresh running at that moment must
        still find its session ended."""
        await self.coll.update_many(
            {"user_id": user_id},
            {"$set": {"revoked": True}, "$unset": {"ip": "", "last_ip": "", "ua": ""}},
            session=session,
        )

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

    async def of_user(self, user_id: str, limit: int = 1000) -> list[Doc]:
        """The account's latest sign-in attempts, newest first (their data export)."""
        found = self.coll.find({"user_id": user_id}, {"_id": 0}).sort("at", -1).limit(limit)
        return await found.to_list()

    async def forget(self, user_id: str, session: Session) -> None:
        """The account's sign-in attempts, deleted (it was closed)."""
        await self.coll.delete_many({"user_id": user_id}, session=session)
