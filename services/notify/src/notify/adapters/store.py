"""Notify's collections."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

NOTIFICATIONS = "notifications"

SCHEMA = {
    NOTIFICATIONS: [
        # One notification per event and channel: a redelivered event cannot create a second one.
        IndexModel([("event_id", ASCENDING), ("channel", ASCENDING)], unique=True, name="event_channel"),
        IndexModel(
            [("user_id", ASCENDING), ("channel", ASCENDING), ("read", ASCENDING), ("created_at", DESCENDING)],
            name="user_inbox",
        ),
    ]
}
