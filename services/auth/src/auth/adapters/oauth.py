"""Authorization codes of our apps' sign-ins (``oauth_codes``): stored by the SHA-256 digest of the
random code (the code itself is never kept), bound to the client, redirect URI, PKCE challenge and
person, used once. A used code is kept until ``purge_at`` (an hour after its expiry), so a second use
is recognised and the session the first one made is ended (RFC 6749 §4.1.2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ReturnDocument

from dvckit.mongo import Repository

from .store import OAUTH_CODES

Doc = dict[str, Any]
KEPT_AFTER_EXPIRY = timedelta(hours=1)


class OAuthCodes(Repository):
    collection = OAUTH_CODES

    async def add(self, digest: str, doc: Doc, ttl_s: int) -> None:
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=ttl_s)
        await self.coll.insert_one(
            {
                "_id": digest,
                **doc,
                "created_at": now,
                "expires_at": expires,
                "purge_at": expires + KEPT_AFTER_EXPIRY,
                "used_at": None,
                "family": None,
            }
        )

    async def take(self, digest: str, family: str) -> Doc | None:
        """Use the code (once): the code as it was, now marked used for the session ``family`` (named
        before it exists, so a second use can end it); None when unknown or used already. Expiry is the
        caller's to judge: an expired code is spent all the same."""
        return await self.coll.find_one_and_update(
            {"_id": digest, "used_at": None},
            {"$set": {"used_at": datetime.now(UTC), "family": family}},
            return_document=ReturnDocument.BEFORE,
        )

    async def reused(self, digest: str) -> Doc | None:
        """A used code presented again: marked so (the session its first use is making ends too, if
        it was not made yet); the code, or None when unknown."""
        return await self.coll.find_one_and_update(
            {"_id": digest, "used_at": {"$ne": None}},
            {"$set": {"reused_at": datetime.now(UTC)}},
            return_document=ReturnDocument.AFTER,
        )

    async def get(self, digest: str) -> Doc | None:
        return await self.coll.find_one({"_id": digest})
