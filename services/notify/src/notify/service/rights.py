"""What notify holds about a person, for their data export (docs/auth.md, "Your data"): the
notifications (in both languages, as stored), the emails and text messages sent or still to send (a
one-time code never: it stays sealed and is not in the export), the preferences and the contacts notify
keeps a copy of. Closing the account deletes them all (``Dispatcher.user_closed``)."""

from __future__ import annotations

from typing import Any

from ..adapters.repos import Stores
from .inbox import of as preferences_of
from .push import listed

# What of a contact document is the person's: where to reach them (not notify's own bookkeeping).
CONTACT_FIELDS = ("full_name", "email", "phone", "locale")


def _notification(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["_id"],
        "channel": d.get("channel"),
        "kind": d.get("kind"),
        "title": d.get("title"),
        "body": d.get("body"),
        "link": d.get("link"),
        "dossier_id": d.get("dossier_id"),
        "read": d.get("read"),
        "read_at": d.get("read_at"),
        "created_at": d.get("created_at"),
    }


def _delivery(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["_id"],
        "channel": d.get("channel"),
        "kind": d.get("kind"),
        "to": d.get("to"),
        "subject": d.get("subject"),
        "body": d.get("body"),
        "status": d.get("status"),
        "created_at": d.get("created_at"),
        "sent_at": d.get("sent_at"),
        "attempts": d.get("attempts") or [],
    }


class PersonalData:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores

    async def export(self, user_id: str, *, page: int, size: int) -> dict[str, Any]:
        """One page of the person's notifications and of their deliveries (the same page of each), with
        their preferences and contacts; a reader goes on while either list has more."""
        notes, notes_total = await self.stores.notifications.everything(user_id, page=page, size=size)
        sent, sent_total = await self.stores.deliveries.everything(user_id, page=page, size=size)
        contact = await self.stores.contacts.get(user_id) or {}
        devices = await self.stores.subscriptions.of_user(user_id)
        return {
            "preferences": preferences_of(contact, has_subscriptions=bool(devices)),
            "push_subscriptions": [listed(d) for d in devices],
            "contact": {k: contact.get(k) for k in CONTACT_FIELDS},
            "notifications": {"items": [_notification(d) for d in notes], "total": notes_total},
            "deliveries": {"items": [_delivery(d) for d in sent], "total": sent_total},
            "page": page,
            "size": size,
        }
