"""In-app notifications (``notifications``) and each user's contact document (``contacts``: where to
reach them, from user.* events, and the channels they chose, ``prefs.*``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dvckit.consumer import insert
from dvckit.mongo import Repository, Session, windowed
from dvckit.paging import Window

from .store import CONTACTS, NOTIFICATIONS

Doc = dict[str, Any]


class Notifications(Repository):
    collection = NOTIFICATIONS

    async def add(self, doc: Doc, session: Session) -> None:
        await insert(self.coll, [doc], session)  # with the consumer batch's other notifications

    async def page(self, user_id: str, *, unread: bool | None, window: Window) -> tuple[list[Doc], int]:
        """A user's in-app notifications, newest first; and how many there are."""
        query: Doc = {"user_id": user_id, "channel": "in_app"}
        if unread is not None:
            query["read"] = not unread
        return await windowed(self.coll, query, window)

    async def unread(self, user_id: str) -> int:
        return await self.coll.count_documents({"user_id": user_id, "channel": "in_app", "read": False})

    async def mark_read(self, user_id: str, notification_id: str) -> bool:
        res = await self.coll.update_one(
            {"_id": notification_id, "user_id": user_id},
            {"$set": {"read": True, "read_at": datetime.now(UTC)}},
        )
        return res.matched_count == 1

    async def mark_all_read(self, user_id: str) -> int:
        res = await self.coll.update_many(
            {"user_id": user_id, "read": False}, {"$set": {"read": True, "read_at": datetime.now(UTC)}}
        )
        return res.modified_count

    async def everything(self, user_id: str, *, page: int, size: int) -> tuple[list[Doc], int]:
        """Every notification of the user (any channel), oldest first: their data export."""
        skip = (page - 1) * size
        query = {"user_id": user_id}
        found = self.coll.find(query).sort([("created_at", 1), ("_id", 1)]).skip(skip).limit(size)
        docs = await found.to_list()
        return docs, await self.coll.count_documents(query)

    async def forget(self, user_id: str, session: Session) -> int:
        """Delete every notification of the user (their account was closed)."""
        return (await self.coll.delete_many({"user_id": user_id}, session=session)).deleted_count


class Contacts(Repository):
    collection = CONTACTS

    async def get(self, user_id: str, session: Session | None = None) -> Doc | None:
        return await self.coll.find_one({"_id": user_id}, session=session)

    async def many(self, user_ids: list[str], session: Session | None = None) -> dict[str, Doc]:
        """The contact documents of ``user_ids`` that exist, by user id (one query)."""
        return {d["_id"]: d async for d in self.coll.find({"_id": {"$in": user_ids}}, session=session)}

    async def prefs(self, user_id: str) -> Doc:
        """The user's contact document with only its ``prefs`` (empty when there is none)."""
        return await self.coll.find_one({"_id": user_id}, {"prefs": 1}) or {}

    async def set_prefs(self, user_id: str, changes: Doc) -> None:
        await self.coll.update_one(
            {"_id": user_id},
            {
                "$set": {
                    **{f"prefs.{k}": v for k, v in changes.items()},
                    "prefs.updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    async def update(self, user_id: str, fields: Doc, session: Session) -> None:
        """Set where to reach the user (made if it is the first we hear of them)."""
        await self.coll.update_one(
            {"_id": user_id},
            {"$set": {**fields, "updated_at": datetime.now(UTC)}},
            upsert=True,
            session=session,
        )

    async def close(self, user_id: str, at: datetime, session: Session) -> None:
        """The user closed their account: their contacts and choices go, and what is left says so, so
        that no later event (a filed dossier's status) reaches them or brings their contacts back."""
        await self.coll.replace_one({"_id": user_id}, {"closed_at": at}, upsert=True, session=session)

    async def default_language(self, user_id: str, language: str, session: Session) -> None:
        """The user's language unless they chose one."""
        await self.coll.update_one(
            {"_id": user_id, "prefs.language": {"$exists": False}, "closed_at": {"$exists": False}},
            {"$set": {"prefs.language": language}},
            session=session,
        )
