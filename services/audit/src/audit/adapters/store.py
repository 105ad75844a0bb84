"""The audit service's collections (its own database)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

ENTRIES = "entries"  # one audit record an event (_id: the event id), chained per stream (domain/chain.py)
CHAINS = "chains"  # one document a stream (_id: the stream): its head and its retention checkpoint

SCHEMA = {
    ENTRIES: [
        # The chain: one record a seq in each stream (a second writer of a seq is refused and retried).
        IndexModel([("stream", ASCENDING), ("seq", ASCENDING)], name="stream_seq", unique=True),
        # Searches, newest first: the whole trail, and by who, whose data, what, which action.
        IndexModel([("at", DESCENDING)], name="at"),
        IndexModel([("subject", ASCENDING), ("at", DESCENDING)], name="subject_at"),
        IndexModel([("actor", ASCENDING), ("at", DESCENDING)], name="actor_at"),
        IndexModel(
            [("target_type", ASCENDING), ("target_id", ASCENDING), ("at", DESCENDING)], name="target_at"
        ),
        IndexModel([("action", ASCENDING), ("at", DESCENDING)], name="action_at"),
    ],
    CHAINS: [],
}
