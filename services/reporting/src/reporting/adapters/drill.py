"""The drill-down's queries over the facts: which dossiers are behind a count or a component, for a
period, unit and field (the same attribution as the counters: domain/fold.contributions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# metric → (the fact's day field the count is attributed by, what else the dossier must be)
BY_DAY: dict[str, tuple[str, dict[str, Any]]] = {
    "received": ("d_received", {}),
    "online_dossiers": ("d_received", {}),
    "digitised_dossiers": ("d_received", {}),
    "received_online": ("d_received", {"channel": {"$ne": "counter"}}),
    "received_counter": ("d_received", {"channel": "counter"}),
    "digitised": ("d_received", {"digitised": True}),
    "fee_dossiers": ("d_received", {"fee": True}),
    "paid_online": ("d_received", {"fee": True, "paid_online": True}),
    "finished": ("d_finished", {}),
    "avg_used_days": ("d_finished", {"used_days": {"$ne": None}}),
    "avg_legal_days": ("d_finished", {"legal_days": {"$ne": None}}),
    "finished_on_time": ("d_finished", {"on_time": True}),
    "finished_late": ("d_finished", {"on_time": False}),
    "digital_results": ("d_finished", {"digital_result": True}),
    "supplement_requested": ("d_supplements", {}),
    "refused": ("d_ended", {"ended_code": 3}),
    "withdrawn": ("d_ended", {"ended_code": 7}),
    "stopped": ("d_ended", {"ended_code": 8}),
    "ratings": ("d_rated", {}),
    "rating_avg": ("d_rated", {}),
    "satisfied": ("d_rated", {"rating.scores.overall": {"$gte": 4}}),
}
DRILLABLE = frozenset({*BY_DAY, "open_within", "open_overdue", "on_time"})


def unit_filter(kind: str, code: str | None, field: str | None) -> dict[str, Any]:
    """A unit and field as a filter on a fact or an open-list entry (both name them the same way)."""
    q: dict[str, Any] = {}
    if kind == "agency":
        q["agency_code"] = code
    elif kind == "commune":
        q["commune"] = code
    if field is not None:
        q["field"] = field
    return q


def query(
    metric: str,
    start: str,
    end: str,
    kind: str,
    code: str | None,
    field: str | None,
    now: datetime,
    overdue_counts: bool,
) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """The facts' query and order for ``metric`` over the local days ``start``–``end``."""
    base = unit_filter(kind, code, field)
    overdue = {"open": True, "legal_due_at": {"$lt": now}}
    if metric == "open_overdue":
        return {**base, **overdue}, [("legal_due_at", 1), ("_id", 1)]
    if metric == "open_within":
        within = {"$or": [{"legal_due_at": None}, {"legal_due_at": {"$gte": now}}]}
        return {**base, "open": True, **within}, [("legal_due_at", 1), ("_id", 1)]
    if metric == "on_time":
        # The component's denominator: finished in the period, and (for a period reaching today) the
        # dossiers open and overdue now.
        finished = {"d_finished": {"$gte": start, "$lte": end}}
        q = {**base, "$or": [finished, overdue]} if overdue_counts else {**base, **finished}
        return q, [("d_finished", -1), ("_id", 1)]
    day_field, extra = BY_DAY[metric]
    return {**base, day_field: {"$gte": start, "$lte": end}, **extra}, [(day_field, -1), ("_id", 1)]
