"""The trail's verification on /metrics (docs/operations.md, "Metrics"; alerts DvcAuditTrailNotIntact and
DvcAuditTrailUnverified).

``dvc-audit verify`` (the daily CronJob ``audit-verify``, or an operator) records each run over the whole
trail; the service reports the last one. A loop reads it every ``metrics_seconds``; every replica reports
the same figures (take ``max``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from prometheus_client import Gauge

from dvckit import logs

from ..adapters.entries import Entries, Verifications

verified_at = Gauge(
    "audit_verified_timestamp_seconds",
    "When the last verification of the whole trail ended; before any, when the oldest record kept was "
    "written (the trail has gone unverified since). Absent while the trail is empty and unverified.",
)
findings = Gauge("audit_verify_findings", "Findings of the last verification of the whole trail")
log = logs.get(__name__)


async def sample(verifications: Verifications, entries: Entries) -> None:
    last = await verifications.last()
    since: datetime | None = last["at"] if last else await entries.oldest_at()
    if since is not None:
        verified_at.set(since.timestamp())
    findings.set(last["findings"] if last else 0)


async def sample_forever(verifications: Verifications, entries: Entries, seconds: float) -> None:
    """``rt.loop``: read now, then every ``seconds``."""
    while True:
        try:
            await sample(verifications, entries)
        except Exception as e:  # the database is away: keep the last figures, try again
            log.warning("verification not read", error=repr(e)[:200])
        await asyncio.sleep(seconds)
