"""What ``create_app`` builds once, typed, and how a route receives it (``parts: Parts`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from dvckit.deps import parts_of

from .service.ingest import Ingest
from .service.reports import Reports


@dataclass(frozen=True)
class ReportingParts:
    reports: Reports
    ingest: Ingest


Parts = Annotated[ReportingParts, Depends(parts_of(ReportingParts))]
