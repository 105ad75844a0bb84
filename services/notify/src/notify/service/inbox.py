"""In-app notifications and each user's channel preferences."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from dvckit.mongo import Session
from dvckit.paging import Window

from ..adapters.inbox import Contacts, Notifications
from ..adapters.subscriptions import Subscriptions

# ``push``: unset, it is on once the person has a subscription (a device said yes) and off before.
DEFAULT_PREFERENCES = {"in_app": True, "email": True, "sms": False, "push": None, "language": "vi"}


class Inbox:
    def __init__(
        self, notifications: Notifications, contacts: Contacts, subscriptions: Subscriptions
    ) -> None:
        self.notifications = notifications
        # Preferences live in the user's contact document (prefs.*): one read gives a dispatch both.
        self.contacts = contacts
        self.subscriptions = subscriptions

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
        await self.notifications.add(doc, session)
        return doc

    async def page(self, user_id: str, *, unread: bool | None, window: Window, lang: str) -> dict[str, Any]:
        docs, total = await self.notifications.page(user_id, unread=unread, window=window)
        items = [public(d, lang) for d in docs]
        return {"items": items, "total": total, "page": window.page, "size": window.size}

    async def unread(self, user_id: str) -> int:
        return await self.notifications.unread(user_id)

    async def mark_read(self, user_id: str, notification_id: str) -> bool:
        return await self.notifications.mark_read(user_id, notification_id)

    async def mark_all_read(self, user_id: str) -> int:
        return await self.notifications.mark_all_read(user_id)

    async def preferences(self, user_id: str) -> dict[str, Any]:
        devices = bool(await self.subscriptions.of_user(user_id))
        return of(await self.contacts.prefs(user_id), has_subscriptions=devices)

    async def set_preferences(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        await self.contacts.set_prefs(user_id, changes)
        return await self.preferences(user_id)


def of(contact: dict[str, Any], *, has_subscriptions: bool = False) -> dict[str, Any]:
    """A user's preferences from their contact document, defaults filled in (``push``: as chosen, else
    whether they have a push subscription)."""
    prefs = contact.get("prefs") or {}
    out = {k: prefs.get(k, v) for k, v in DEFAULT_PREFERENCES.items()}
    if out["push"] is None:
        out["push"] = has_subscriptions
    return out


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
