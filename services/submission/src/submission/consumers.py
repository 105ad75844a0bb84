"""Events the submission service consumes: the catalogue's changes, to keep its procedure copy current;
a citizen's changed contacts, to drop their kept prefill."""

from __future__ import annotations

from dvckit.contracts import ProcedurePublishedV1, ProcedureWithdrawnV1, UserContactChangedV1
from dvckit.runtime import Runtime

from .service.prefill import Prefills
from .service.procedures import ProcedureCache


def register(rt: Runtime, cache: ProcedureCache, prefills: Prefills) -> None:
    rt.consumer.on_event(ProcedurePublishedV1)(cache.on_published)
    rt.consumer.on_event(ProcedureWithdrawnV1)(cache.on_withdrawn)
    rt.consumer.on_event(UserContactChangedV1)(prefills.on_contact_changed)
