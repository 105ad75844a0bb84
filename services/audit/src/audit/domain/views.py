"""What each reader sees of an audit record: pure.

- An auditor or administrator sees the whole record, its place in the chain included.
- The person the record is about (``subject``; ``GET /audit/me``, the citizen's data export) sees what was
  done with their data, when, by which role of which agency, and the names of the fields read or changed;
  not the officer's account id, address, browser or the request's id (they protect the staff member,
  not the citizen's data: an auditor looks them up on a complaint), nor the values before and after (the
  citizen's current data is in the export already; old values may hold other people's notes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The columns of the CSV export, in order (the JSON lines export has the same keys).
COLUMNS: tuple[str, ...] = (
    "at",
    "stream",
    "seq",
    "kind",
    "action",
    "outcome",
    "actor",
    "actor_roles",
    "actor_agencies",
    "ip",
    "user_agent",
    "request_id",
    "target_type",
    "target_id",
    "subject",
    "fields",
    "before",
    "after",
    "id",
    "prev",
    "hash",
)


def for_auditor(r: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: r.get(k) for k in COLUMNS if k != "id"}
    out["id"] = str(r.get("_id", ""))
    out["recorded_at"] = r.get("recorded_at")
    return out


def for_subject(r: Mapping[str, Any]) -> dict[str, Any]:
    changed = sorted({*(r.get("before") or {}), *(r.get("after") or {})})
    return {
        "id": str(r.get("_id", "")),
        "at": r.get("at"),
        "kind": r.get("kind"),
        "action": r.get("action"),
        "outcome": r.get("outcome"),
        "by_roles": list(r.get("actor_roles") or []),
        "by_agencies": list(r.get("actor_agencies") or []),
        "target_type": r.get("target_type"),
        "target_id": r.get("target_id"),
        "fields": list(r.get("fields") or []),
        "changed_fields": changed,
    }
