"""Handlers for the events notify consumes. Each runs inside the consumer's transaction, so the
effect and the processed-event record commit together (exactly-once effect)."""

from __future__ import annotations

from dvckit.contracts import UserRegisteredV1
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from .service.inbox import Inbox


def register(rt: Runtime, inbox: Inbox) -> None:
    @rt.consumer.on(UserRegisteredV1.routing_key())
    async def user_registered(env: Envelope, session: Session) -> None:
        event = UserRegisteredV1.model_validate(env.data)
        await inbox.welcome(env, event, session)
