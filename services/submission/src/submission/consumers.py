"""Events the submission service consumes: the catalogue's changes, to keep its procedure copy and its
agency directory current;
a citizen's changed contacts, to drop their kept prefill; its own calendar's changes, to reload it; the
payments the provider confirmed, to move a dossier waiting for one on (or record its filing fees paid);
a closed account, to delete its drafts (service/rights.py)."""

from __future__ import annotations

from dvckit.contracts import (
    AgencyChangedV1,
    CalendarChangedV1,
    PaymentSucceededV1,
    ProcedurePublishedV1,
    ProcedureWithdrawnV1,
    UserClosedV1,
    UserContactChangedV1,
)
from dvckit.runtime import Runtime

from .service.agencies import AgencyDirectory
from .service.calendar import CalendarBook
from .service.payments import Payments
from .service.prefill import Prefills
from .service.procedures import ProcedureCache
from .service.rights import Rights


def register(
    rt: Runtime,
    cache: ProcedureCache,
    prefills: Prefills,
    calendar: CalendarBook,
    agencies: AgencyDirectory,
    payments: Payments,
    rights: Rights,
) -> None:
    rt.consumer.on_event(ProcedurePublishedV1)(cache.on_published)
    rt.consumer.on_event(ProcedureWithdrawnV1)(cache.on_withdrawn)
    rt.consumer.on_event(UserContactChangedV1)(prefills.on_contact_changed)
    rt.consumer.on_event(CalendarChangedV1)(calendar.on_changed)
    rt.consumer.on_event(AgencyChangedV1)(agencies.on_changed)
    rt.consumer.on_event(PaymentSucceededV1)(payments.on_succeeded)
    rt.consumer.on_event(UserClosedV1)(rights.on_user_closed)
