"""Events notify consumes (``Dispatcher.handlers``). Each handler runs inside the consumer's transaction,
so its effects and the processed-event record commit together (exactly-once effects)."""

from __future__ import annotations

from dvckit.runtime import Runtime

from .service.dispatch import Dispatcher


def register(rt: Runtime, dispatcher: Dispatcher) -> None:
    rt.consumer.before_batch(dispatcher.prepare)
    for event, handle in dispatcher.handlers():
        rt.consumer.on_event(event)(handle)
