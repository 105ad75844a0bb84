"""What ``create_app`` builds once, typed, and how a route receives it (``parts: Parts`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from dvckit.deps import parts_of

from .service.delivery import Deliveries
from .service.dispatch import Dispatcher
from .service.inbox import Inbox
from .service.live import Live
from .service.push import Push
from .service.rights import PersonalData
from .service.streams import Streams


@dataclass(frozen=True)
class NotifyParts:
    inbox: Inbox
    live: Live
    streams: Streams
    deliveries: Deliveries
    dispatcher: Dispatcher
    personal: PersonalData
    push: Push


Parts = Annotated[NotifyParts, Depends(parts_of(NotifyParts))]
