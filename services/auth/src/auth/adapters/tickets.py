"""MFA tickets (``mfa_tickets``): what a staff member holds between the right password and the second
factor. Stored by the SHA-256 digest of the random ticket (the ticket itself is never kept), with its
account, what it is for (``enrol`` or ``totp``), its expiry and the wrong codes it may still take."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument

from dvckit.mongo import Repository, Session

from .store import MFA_TICKETS

Doc = dict[str, Any]


def _live() -> Doc:
    return {"expires_at": {"$gt": datetime.now(UTC)}, "tries_left": {"$gt": 0}}


class Tickets(Repository):
    collection = MFA_TICKETS

    async def add(self, digest: str, doc: Doc) -> None:
        await self.coll.insert_one({"_id": digest, **doc, "created_at": datetime.now(UTC)})

    async def live(self, digest: str) -> Doc | None:
        """The ticket if it can still be used (not expired, tries left), else None."""
        return await self.coll.find_one({"_id": digest, **_live()})

    async def spend_try(self, digest: str) -> Doc | None:
        """Take one try from a live ticket before a code is compared (parallel guesses cannot share a
        try); the ticket after, or None when it is not live."""
        return await self.coll.find_one_and_update(
            {"_id": digest, **_live()}, {"$inc": {"tries_left": -1}}, return_document=ReturnDocument.AFTER
        )

    async def pending(self, digest: str, enrolment: Doc) -> Doc | None:
        """Keep a new secret and recovery codes (sealed, digests) on a live enrolment ticket, replacing
        earlier ones; the ticket after, or None when it is not live."""
        return await self.coll.find_one_and_update(
            {"_id": digest, "kind": "enrol", **_live()},
            {"$set": {"pending": enrolment}},
            return_document=ReturnDocument.AFTER,
        )

    async def take(self, digest: str, session: Session | None = None) -> bool:
        """Use the ticket up (single use); False when another request took it first."""
        gone = await self.coll.delete_one({"_id": digest}, session=session)
        return gone.deleted_count == 1

    async def drop_user(self, user_id: str, session: Session | None = None) -> None:
        """Every ticket of the account: sign-ins half done end with its sessions."""
        await self.coll.delete_many({"user_id": user_id}, session=session)
