"""The submission service's collections and their indexes (created at start-up)."""

from __future__ import annotations

from datetime import timedelta

from pymongo import ASCENDING, DESCENDING, IndexModel

from dvckit import idempotency

DOSSIERS = "dossiers"
COUNTERS = "dossier_counters"  # "<agency code>|<yyMMdd>" → last sequence number issued
CAPTCHAS = "captchas"
PROCEDURES = "procedures"  # cache of the catalogue, kept current by procedure.* events

SCHEMA = {
    DOSSIERS: [
        IndexModel([("owner_id", ASCENDING), ("created_at", DESCENDING)], name="owner_recent"),
        IndexModel(
            [("code", ASCENDING)],
            unique=True,
            name="code",
            partialFilterExpression={"code": {"$type": "string"}},
        ),
        IndexModel(
            [("agency.code", ASCENDING), ("status", ASCENDING), ("submitted_at", ASCENDING)],
            name="agency_queue",
        ),
        IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)], name="status_age"),
        IndexModel([("applicant.submitter.citizen_id", ASCENDING)], name="submitter_id"),
        IndexModel([("applicant.submitter.phone", ASCENDING)], name="submitter_phone"),
        # Uploads in progress (objects being written): the cleanup looks for old ones a crash left.
        IndexModel([("uploading.started_at", ASCENDING)], name="uploading", sparse=True),
    ],
    COUNTERS: [],
    CAPTCHAS: [IndexModel([("expires_at", ASCENDING)], name="ttl", expireAfterSeconds=0)],
    PROCEDURES: [],
    **idempotency.SCHEMA,
}

STALE_UPLOAD = timedelta(hours=1)
