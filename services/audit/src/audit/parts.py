"""What ``create_app`` builds once, typed, and how a route receives it (``parts: Parts`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from dvckit.deps import parts_of

from .service.chains import Retention, Verifier
from .service.ingest import Ingest
from .service.trail import Trail


@dataclass(frozen=True)
class AuditParts:
    trail: Trail
    ingest: Ingest
    verifier: Verifier
    retention: Retention


Parts = Annotated[AuditParts, Depends(parts_of(AuditParts))]
