"""The one event the audit service consumes, from every producer: ``audit.recorded.v1``. The consumer
hands each batch to ``Ingest.batch`` in its transaction (the entries chained per stream); the handler
binds the queue and lets the consumer check each payload against its contract (one that breaks it is
parked)."""

from __future__ import annotations

from dvckit.contracts import AuditRecordedV1
from dvckit.runtime import Runtime

from .service.ingest import Ingest

EVENTS = (AuditRecordedV1,)


def register(rt: Runtime, ingest: Ingest) -> None:
    rt.consumer.before_batch(ingest.batch)
    for event in EVENTS:
        rt.consumer.on_event(event)(ingest.handled)
