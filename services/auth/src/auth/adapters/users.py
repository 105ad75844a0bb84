"""Accounts in MongoDB (``users``): the only place their documents are read and written."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from dvckit.mongo import Repository, Session, unique_key, windowed
from dvckit.paging import Window

from ..domain.identity import UserQuery
from ..domain.roles import AGENCY_ROLES, OFFICER
from .store import USERS

Doc = dict[str, Any]
# Until when a code for a new email or phone may be waiting (one was sent; it lives until then at most).
PENDING_UNTIL = "contact_pending_until"
# Fields an administrator's search looks in (a prefix, any case).
SEARCHED = ("full_name", "username", "email", "phone", "citizen_id")


class Users(Repository):
    collection = USERS

    async def get(self, user_id: str, session: Session | None = None) -> Doc | None:
        return await self.coll.find_one({"_id": user_id}, session=session)

    async def by_login(self, fields: list[tuple[str, str]], *, unlocked: bool = False) -> Doc | None:
        """The account whose field (citizen_id, phone, email, username) holds the value, for the first of
        ``fields`` (field, value) that one has: one read."""
        query: Doc = {"$or": [{f: v} for f, v in fields]} if len(fields) > 1 else dict(fields)
        if unlocked:
            query["locked"] = {"$ne": True}
        found = await self.coll.find(query).limit(len(fields)).to_list()
        return next((d for f, v in fields for d in found if d.get(f) == v), None)

    async def by_external(self, provider: str, subject: str) -> Doc | None:
        """The account an identity provider's subject signs in to."""
        return await self.coll.find_one(
            {"external_ids": {"$elemMatch": {"provider": provider, "subject": subject}}}
        )

    async def exists(self, field: str, value: str) -> bool:
        return await self.coll.find_one({field: value}, {"_id": 1}) is not None

    async def holder(self, citizen_id: str, phone: str) -> Doc | None:
        """An account with this citizen ID or this phone (its id and phone only)."""
        return await self.coll.find_one(
            {"$or": [{"citizen_id": citizen_id}, {"phone": phone}]}, {"_id": 1, "phone": 1}
        )

    async def insert(self, doc: Doc, session: Session | None = None) -> None:
        """Raises ``AlreadyExists`` when an identifier (citizen ID, phone, email, username) is taken."""
        with unique_key():
            await self.coll.insert_one(doc, session=session)

    async def change(self, user_id: str, values: Doc, session: Session | None = None) -> Doc | None:
        """Set ``values`` (a None value removes the field); the account as it is after, or None when
        there is no such account. Raises ``AlreadyExists`` when a new identifier is another's."""
        gone = {k: "" for k, v in values.items() if v is None}
        change: Doc = {"$set": {k: v for k, v in values.items() if v is not None}}
        if gone:
            change = {"$unset": gone} if not change["$set"] else {**change, "$unset": gone}
        with unique_key():
            return await self.coll.find_one_and_update(
                {"_id": user_id}, change, session=session, return_document=True
            )

    async def close(self, user_id: str, at: datetime, session: Session) -> Doc | None:
        """Anonymise the account (it was closed): only its id, when it was made and closed, and its roles
        stay; its name, contacts, citizen ID, username, password, second factor, VNeID link and verified
        identity go, so nobody signs in to it and the citizen ID, phone and email are free for a new
        account. None when there is no such account."""
        doc = await self.coll.find_one({"_id": user_id}, session=session)
        if doc is None:
            return None
        kept = {
            "_id": user_id,
            "full_name": "",
            "roles": doc.get("roles", []),
            "agencies": [],
            "created_at": doc["created_at"],
            "closed_at": at,
            "locked": True,
            "identity_level": 0,
        }
        await self.coll.replace_one({"_id": user_id}, kept, session=session)
        return kept

    async def contact_pending(self, user_id: str, until: datetime, session: Session | None = None) -> None:
        """Note that a code for a new email or phone may await its use until ``until``: the account's
        reads look for such codes only then (``pending_until``)."""
        await self.coll.update_one({"_id": user_id}, {"$max": {PENDING_UNTIL: until}}, session=session)

    async def set_password(self, user_id: str, password_hash: str, session: Session | None = None) -> None:
        await self.coll.update_one(
            {"_id": user_id},
            {"$set": {"password_hash": password_hash, "password_changed_at": datetime.now(UTC)}},
            session=session,
        )

    async def rehash(self, user_id: str, password_hash: str) -> None:
        """The same password under the current hashing cost (not a change of password)."""
        await self.coll.update_one({"_id": user_id}, {"$set": {"password_hash": password_hash}})

    # -- the second factor (``mfa``: {totp: sealed secret, recovery: [digests], enrolled_at, last_step}) --
    async def enrol(self, user_id: str, mfa: Doc, *, replace: bool = False) -> bool:
        """Give the account its second factor; unless ``replace``, only when it has none (two enrolments
        racing: one wins). False when none was set."""
        query: Doc = {"_id": user_id} if replace else {"_id": user_id, "mfa": {"$exists": False}}
        done = await self.coll.update_one(query, {"$set": {"mfa": mfa}})
        return done.modified_count == 1

    async def use_step(self, user_id: str, step: int) -> bool:
        """Note that a TOTP code of ``step`` was used; False when this step or a later one already was
        (a code works once, even for two requests at the same moment)."""
        fresh = {"$or": [{"mfa.last_step": None}, {"mfa.last_step": {"$lt": step}}]}
        done = await self.coll.update_one(
            {"_id": user_id, "mfa": {"$type": "object"}, **fresh}, {"$set": {"mfa.last_step": step}}
        )
        return done.modified_count == 1

    async def use_recovery(self, user_id: str, digest: str) -> bool:
        """Use up one recovery code; False when the account has no such code (left)."""
        done = await self.coll.update_one(
            {"_id": user_id, "mfa.recovery": digest}, {"$pull": {"mfa.recovery": digest}}
        )
        return done.modified_count == 1

    async def clear_mfa(self, user_id: str, session: Session | None = None) -> bool:
        """Remove the account's second factor (its next sign-in enrols again); False when it had none."""
        done = await self.coll.update_one(
            {"_id": user_id, "mfa": {"$exists": True}}, {"$unset": {"mfa": ""}}, session=session
        )
        return done.modified_count == 1

    @staticmethod
    def pending_until(doc: Doc) -> datetime | None:
        """Until when a code for a new email or phone of the account may be waiting (None: none sent)."""
        return doc.get(PENDING_UNTIL)

    async def staff_of(self, agency: str) -> list[Doc]:
        """The unlocked accounts of ``agency`` holding an agency role (all have the marker ``officer``,
        accounts of the old single role too): one range of the ``agencies`` index."""
        query = {"agencies": agency, "roles": OFFICER, "locked": {"$ne": True}}
        found = self.coll.find(query, {"full_name": 1, "roles": 1, "agencies": 1, "locked": 1})
        return await found.to_list()

    async def page(self, wanted: UserQuery, *, window: Window) -> tuple[list[Doc], int]:
        """Accounts matching every filter given, newest first; and how many match."""
        query: Doc = {}
        if wanted.role in AGENCY_ROLES:
            # Accounts of the old single role "officer" (stored alone) hold every agency role.
            legacy = {"$and": [{"roles": OFFICER}, {"roles": {"$nin": list(AGENCY_ROLES)}}]}
            query["$and"] = [{"$or": [{"roles": wanted.role}, legacy]}]
        elif wanted.role:
            query["roles"] = wanted.role
        if wanted.agency:
            query["agencies"] = wanted.agency
        if wanted.locked is not None:
            query["locked"] = wanted.locked
        if wanted.q:
            pattern = {"$regex": "^" + re.escape(wanted.q.strip()), "$options": "i"}
            query["$or"] = [{field: pattern} for field in SEARCHED]
        return await windowed(self.coll, query, window)
