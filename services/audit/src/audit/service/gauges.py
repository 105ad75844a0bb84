"""The trail's verification on /metrics (docs/operations.md, "Metrics"; alerts DvcAuditTrailNotIntact and
DvcAuditTrailUnverified).

``dvc-audit verify`` (the daily CronJob ``audit-verify``, or an operator) records each run over the whole
trail; the service reports the last one. A loop reads it at start and every ``metrics_seconds``; every
replica reports the same figures (take ``max``); while the database is away the last figures stay.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Gauge

from ..adapters.entries import Entries, Verifications

verified_at = Gauge(
    "audit_verified_timestamp_seconds",
    "When the last verification of the whole trail ended; before any, when the oldest record kept was "
    "written (the trail has gone unverified since). Absent while the trail is empty and unverified.",
)
findings = Gauge("audit_verify_findings", "Findings of the last verification of the whole trail")


async def sample(verifications: Verifications, entries: Entries) -> None:
    last = await verifications.last()
    since: datetime | None = last["at"] if last else await entries.oldest_at()
    if since is not None:
        verified_at.set(since.timestamp())
    findings.set(last["findings"] if last else 0)
