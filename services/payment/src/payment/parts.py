"""What ``create_app`` builds once, typed, and how a route receives it (``parts: Parts`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from dvckit.deps import parts_of

from .service.payments import Payments


@dataclass(frozen=True)
class PaymentParts:
    payments: Payments


Parts = Annotated[PaymentParts, Depends(parts_of(PaymentParts))]
