"""In-app notifications and each user's channel preferences."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.store import CONTACTS, NOTIFICATIONS

DEFAULT_PREFERENCES = {"in_app": True, "email": True, "sms": False, "language": "vi"}


class Inbox:
    def __init__(self, rt: Runtime) -> None:
        self.coll = rt.db[NOTIFICATIONS]
        # Preferences live in the user's contact document (prefs.*): one read gives a dispatch both.
        self.contacts = rt.db[CONTACTS]

    async def add(
        self,
        session: Session,
        *,
        event_id: str,
        user_id: str,
        kind: str,
        texts: dict[str, Any],
        link: str | None,
        dossier_id: str | None = None,
    ) -> dict[str, Any]:
        doc = {
            "_id": str(uuid.uuid4()),
            "user_id": user_id,
            "event_id": event_id,
            "channel": "in_app",
            "kind": kind,
            "title": {lang: t["in_app_title"] for lang, t in texts.items()},
            "body": {lang: t["in_app_body"] for lang, t in texts.items()},
            "link": link,
            "dossier_id": dossier_id,
            "read": False,
            "created_at": datetime.now(UTC),
        }
        await self.coll.insert_one(doc, session=session)
        return doc

    async def page(
        self, user_id: str, *, unread: bool | None, page: int, size: int, lang: str
    ) -> dict[str, Any]:
        query: dict[str, Any] = {"user_id": user_id, "channel": "in_app"}
        if unread is not None:
            query["read"] = not unread
        total = await self.coll.count_documents(query)
        docs = await (
            self.coll.find(query)
            .sort([("created_at", -1), ("_id", 1)])
            .skip((page - 1) * size)
            .limit(size)
            .to_list()
        )
        return {"items": [public(d, lang) for d in docs], "total": total, "page": page, "size": size}

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

    async def preferences(self, user_id: str, session: Session | None = None) -> dict[str, Any]:
        doc = await self.contacts.find_one({"_id": user_id}, {"prefs": 1}, session=session) or {}
        return of(doc)

    async def set_preferences(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        await self.contacts.update_one(
            {"_id": user_id},
            {
                "$set": {
                    **{f"prefs.{k}": v for k, v in changes.items()},
                    "prefs.updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )
        return await self.preferences(user_id)


def of(contact: dict[str, Any]) -> dict[str, Any]:
    """A user's preferences from their contact document, defaults filled in."""
    prefs = contact.get("prefs") or {}
    return {k: prefs.get(k, v) for k, v in DEFAULT_PREFERENCES.items()}


def public(d: dict[str, Any], lang: str) -> dict[str, Any]:
    pick = "en" if lang == "en" else "vi"
    return {
        "id": d["_id"],
        "kind": d["kind"],
        "title": d["title"].get(pick) or d["title"]["vi"],
        "body": d["body"].get(pick) or d["body"]["vi"],
        "link": d.get("link"),
        "dossier_id": d.get("dossier_id"),
        "read": d["read"],
        "created_at": d["created_at"],
    }
