"""Events notify consumes. Each handler runs inside the consumer's transaction, so its effects and the
processed-event record commit together (exactly-once effects)."""

from __future__ import annotations

from dvckit.contracts import (
    DossierStatusChangedV1,
    DossierSubmittedV1,
    UserContactChangedV1,
    UserPasswordResetRequestedV1,
    UserRegisteredV1,
)
from dvckit.runtime import Runtime

from .service.dispatch import Dispatcher


def register(rt: Runtime, dispatcher: Dispatcher) -> None:
    on = rt.consumer.on
    on(UserRegisteredV1.routing_key())(dispatcher.user_registered)
    on(UserContactChangedV1.routing_key())(dispatcher.contact_changed)
    on(UserPasswordResetRequestedV1.routing_key())(dispatcher.password_reset)
    on(DossierSubmittedV1.routing_key())(dispatcher.dossier_submitted)
    on(DossierStatusChangedV1.routing_key())(dispatcher.status_changed)
