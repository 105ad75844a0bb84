"""The audit service's collections (its own database)."""

from __future__ import annotations

from pymongo import ASCENDING, DESCENDING, IndexModel

ENTRIES = "entries"  # one audit record an event (_id: the event id), chained per stream (domain/chain.py)
CHAINS = "chains"  # one document a stream (_id: the stream): its head and its retention checkpoint
VERIFICATIONS = "verifications"  # one document a run of `dvc-audit verify`: when, and what it found

TIE = [("stream", ASCENDING), ("seq", DESCENDING)]

SCHEMA = {
    ENTRIES: [
        # The chain: one record a seq in each stream (a second writer of a seq is refused and retried).
        IndexModel([("stream", ASCENDING), ("seq", ASCENDING)], name="stream_seq", unique=True),
        # Searches, newest first (at, then stream and seq: the order is total, so paging is stable and
        # the sort comes from the index): the whole trail, and by whose data, who, what, which action.
        IndexModel([("at", DESCENDING), *TIE], name="at"),
        IndexModel([("subject", ASCENDING), ("at", DESCENDING), *TIE], name="subject_at"),
        IndexModel([("actor", ASCENDING), ("at", DESCENDING), *TIE], name="actor_at"),
        IndexModel(
            [("target_type", ASCENDING), ("target_id", ASCENDING), ("at", DESCENDING), *TIE],
            name="target_at",
        ),
        IndexModel([("action", ASCENDING), ("at", DESCENDING), *TIE], name="action_at"),
    ],
    CHAINS: [],
    VERIFICATIONS: [IndexModel([("at", DESCENDING)], name="at")],
}
