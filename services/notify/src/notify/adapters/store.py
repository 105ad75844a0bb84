"""Notify's collections."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

NOTIFICATIONS = "notifications"  # in-app notifications, one per event and user
DELIVERIES = "deliveries"  # email and SMS: one per event and channel, with every attempt
CONTACTS = "contacts"  # where to reach each user (from user.* events) and the channels they chose (prefs)
TICKETS = "stream_tickets"  # one-time tickets that open a live notification stream
SMS_LOG = "sms_dev_outbox"  # messages the development SMS provider "sent"
REVOCATIONS = "revocations"  # logins that ended (user.sessions_ended.v1): their live streams close
PUSH_SUBSCRIPTIONS = "push_subscriptions"  # browsers' Web Push subscriptions: one an endpoint, its owner's

SCHEMA = {
    NOTIFICATIONS: [
        # One notification per event and channel: a redelivered event cannot create a second one.
        IndexModel([("event_id", ASCENDING), ("channel", ASCENDING)], unique=True, name="event_channel"),
        IndexModel(
            [("user_id", ASCENDING), ("channel", ASCENDING), ("read", ASCENDING), ("created_at", DESCENDING)],
            name="user_inbox",
        ),
    ],
    DELIVERIES: [
        IndexModel([("next_at", ASCENDING)], name="due", sparse=True),  # only those still to try
        IndexModel([("lease", ASCENDING)], name="lease", sparse=True),
        IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)], name="user_recent"),
    ],
    CONTACTS: [],
    TICKETS: [IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0)],
    SMS_LOG: [IndexModel([("to", ASCENDING), ("at", DESCENDING)], name="to_recent")],
    REVOCATIONS: [
        IndexModel([("user_id", ASCENDING), ("at", DESCENDING)], name="user_recent"),
        IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0),
    ],
    # _id is the endpoint's digest: one record an endpoint, whoever registered it last.
    PUSH_SUBSCRIPTIONS: [
        IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING)], name="user_recent")
    ],
}
