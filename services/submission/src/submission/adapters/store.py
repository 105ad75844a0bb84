"""The submission service's collections and their indexes (created at start-up)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from dvckit import idempotency

from . import uploads

DOSSIERS = "dossiers"
COUNTERS = "dossier_counters"  # "<agency code>|<yyMMdd>" → last sequence number issued
CAPTCHAS = "captchas"
PROCEDURES = "procedures"  # cache of the catalogue, kept current by procedure.* events
CALENDAR = "calendar"  # an administrator's days off and working days, one document a year
SIGNATURES = "signatures"  # a signed result: its verification code (_id), file, digest and agency
# The officers' queue order: the soonest due first, then the longest waiting.
QUEUE_SORT = [("appointment_at", ASCENDING), ("submitted_at", ASCENDING), ("_id", ASCENDING)]
INDEX_NOT_FOUND = 27

SCHEMA = {
    DOSSIERS: [
        IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_recent"),
        IndexModel(
            [("organisation_id", ASCENDING), ("created_at", DESCENDING)],
            name="organisation_recent",
            partialFilterExpression={"organisation_id": {"$type": "string"}},
        ),
        IndexModel(
            [("code", ASCENDING)],
            unique=True,
            name="code",
            partialFilterExpression={"code": {"$type": "string"}},
        ),
        # The officers' queue: their agencies' dossiers in a status, walked in the queue's own order, so a
        # page costs MongoDB the page and not the agency's whole backlog (no in-memory sort).
        IndexModel([("agency.code", ASCENDING), ("status", ASCENDING), *QUEUE_SORT], name="agency_due"),
        # The register of dossiers (form 07): an agency's dossiers filed in a period, in the order filed.
        IndexModel(
            [("agency.code", ASCENDING), ("submitted_at", ASCENDING)],
            name="agency_register",
            partialFilterExpression={"submitted_at": {"$type": "date"}},
        ),
        # The hourly cleanup's abandoned drafts.
        IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)], name="status_age"),
        # Uploads in progress (objects being written): the cleanup looks for old ones a crash left.
        IndexModel([("uploading.started_at", ASCENDING)], name="uploading", sparse=True),
    ],
    COUNTERS: [],
    CAPTCHAS: [IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0)],
    PROCEDURES: [],
    CALENDAR: [],
    # A verification upload is found by its digest; a dossier's signatures by the dossier.
    SIGNATURES: [
        IndexModel([("sha256", ASCENDING)], name="sha256"),
        IndexModel([("dossier_id", ASCENDING)], name="dossier"),
    ],
    **idempotency.SCHEMA,
    **uploads.SCHEMA,  # resumable (tus) uploads
}

# Indexes no query uses any more, dropped at start-up where an older version made them. The submitter's
# citizen ID and phone: public tracking finds a dossier by its code (unique index), and the officers'
# search (code, submitter's or owner's ID or phone) runs within their agencies' queue (agency_due), which
# took the place of agency_queue (the same filter, sorted by the time filed rather than the time due).
RETIRED = {DOSSIERS: ("submitter_id", "submitter_phone", "agency_queue")}

STALE_UPLOAD = timedelta(hours=1)


async def drop_retired(db: AsyncDatabase[Any]) -> None:
    """Drop the ``RETIRED`` indexes that exist (safe to run again, and by several replicas at once)."""
    for name, indexes in RETIRED.items():
        present = set((await db[name].index_information()).keys())
        for index in indexes:
            if index in present:
                try:
                    await db[name].drop_index(index)
                except OperationFailure as e:
                    if e.code != INDEX_NOT_FOUND:  # another replica dropped it first
                        raise
