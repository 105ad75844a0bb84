"""The catalog's collections: current procedures, their past versions, the catalogue's revision, and
snapshots of the replicas' in-memory catalogue."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from ..domain.model import Procedure

PROCEDURES = "procedures"
VERSIONS = "procedure_versions"  # every version an administrator replaced, "<code>@<version>"
META = "catalog_meta"  # {"_id": "revision", "value": n}; {"_id": "seed", ...}
SNAPSHOTS = "catalog_snapshots"  # adapters/snapshots.py
AGENCIES = "agencies"  # the agency directory (adapters/agencies.py), seeded from data/agencies.json
AGENCY_VERSIONS = "agency_versions"  # every version an administrator replaced, "<code>@<version>"
VOCABULARY = "vocabulary"  # the search vocabulary (adapters/vocabulary.py), seeded from data/vocabulary.json
VOCABULARY_VERSIONS = "vocabulary_versions"  # every version replaced or deleted, "<id>@<version>"

SCHEMA = {
    PROCEDURES: [
        IndexModel([("status", ASCENDING), ("popularity", DESCENDING)], name="status_popularity"),
        IndexModel([("field", ASCENDING)], name="field"),
        IndexModel([("agencies", ASCENDING)], name="agencies"),
    ],
    VERSIONS: [IndexModel([("code", ASCENDING), ("version", DESCENDING)], name="code_version")],
    META: [],
    SNAPSHOTS: [IndexModel([("snap", ASCENDING), ("token", ASCENDING)], name="snap_token")],
    AGENCIES: [],
    AGENCY_VERSIONS: [IndexModel([("code", ASCENDING), ("version", DESCENDING)], name="code_version")],
    VOCABULARY: [],
    VOCABULARY_VERSIONS: [IndexModel([("id", ASCENDING), ("version", DESCENDING)], name="id_version")],
}


def to_doc(p: Procedure) -> dict[str, Any]:
    return {"_id": p.code, **p.model_dump(mode="python")}


def from_doc(doc: dict[str, Any]) -> Procedure:
    data = {k: v for k, v in doc.items() if k != "_id"}
    return Procedure.model_validate(data)
