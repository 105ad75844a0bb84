"""Events payment consumes. Each handler runs inside the consumer's transaction, so its effects, the
orders it opens with their events (the outbox) and the processed-event record commit together."""

from __future__ import annotations

from dvckit.contracts import DossierStatusChangedV1, DossierSubmittedV1
from dvckit.runtime import Runtime

from .service.payments import Payments


def register(rt: Runtime, payments: Payments) -> None:
    # The dossier: whose it is, its agency, its frozen fee lines (the filing order is made from them).
    rt.consumer.on_event(DossierSubmittedV1)(payments.dossier_submitted)
    # An officer's payment request (status 6, with its lines and amount) opens a "requested" order.
    rt.consumer.on_event(DossierStatusChangedV1)(payments.status_changed)
