"""Events reporting consumes. The consumer hands each batch to ``Ingest.batch`` (before its handlers, in
its transaction): every event kept, the dossiers it names folded again, the counters moved, in a few
round trips for the whole batch. The handlers per event class bind the queue to their routing keys and
let the consumer check each payload against its contract (a payload that breaks it is parked)."""

from __future__ import annotations

from dvckit.contracts import (
    AgencyChangedV1,
    DossierRatedV1,
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierSubmittedV1,
    PaymentSucceededV1,
    ProcedurePublishedV1,
    ProcedureWithdrawnV1,
)
from dvckit.runtime import Runtime

from .service.ingest import Ingest

EVENTS = (
    DossierSubmittedV1,
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierRatedV1,
    PaymentSucceededV1,
    ProcedurePublishedV1,
    ProcedureWithdrawnV1,
    AgencyChangedV1,
)


def register(rt: Runtime, ingest: Ingest) -> None:
    rt.consumer.before_batch(ingest.batch)
    for event in EVENTS:
        rt.consumer.on_event(event)(ingest.handled)
