"""Events the submission service consumes: the catalogue's changes, to keep its procedure copy current."""

from __future__ import annotations

from dvckit.contracts import ProcedurePublishedV1, ProcedureWithdrawnV1
from dvckit.runtime import Runtime

from .service.procedures import ProcedureCache


def register(rt: Runtime, cache: ProcedureCache) -> None:
    rt.consumer.on_event(ProcedurePublishedV1)(cache.on_published)
    rt.consumer.on_event(ProcedureWithdrawnV1)(cache.on_withdrawn)
