"""What ``create_app`` builds once, typed, and how a route receives it (``parts: Parts`` below)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from dvckit.deps import parts_of

from .service.agencies import Directory
from .service.catalog import Catalog


@dataclass(frozen=True)
class CatalogParts:
    catalog: Catalog
    directory: Directory


Parts = Annotated[CatalogParts, Depends(parts_of(CatalogParts))]
