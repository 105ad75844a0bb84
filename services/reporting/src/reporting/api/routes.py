"""HTTP routes of the reporting service (mounted under /api/v1/reporting)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from ..domain.periods import last_months

router = APIRouter(tags=["reporting"])

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # reporting days are the city's days (docs/reporting.md)
INDEX_KEYS = ("publicity", "progress", "online", "payment", "satisfaction", "digitisation")
# Public and the same for everyone: browsers and the gateway may keep it five minutes.
SCORECARD_CACHE = "public, max-age=300"


class Unit(BaseModel):
    key: str
    kind: Literal["city", "agency", "commune"]
    code: str | None
    name: str


class MonthScore(BaseModel):
    month: str
    score: float | None
    indexes: dict[str, float | None]


class UnitScores(BaseModel):
    unit: Unit
    months: list[MonthScore]


class Scorecard(BaseModel):
    months: list[str]
    as_of: datetime
    city: UnitScores
    communes: list[UnitScores]


CITY = Unit(key="city", kind="city", code=None, name="Thành phố Hải Phòng")


@router.get("/public/scorecard", response_model=Scorecard)
async def public_scorecard(response: Response, months: Annotated[int, Query(ge=1, le=24)] = 6) -> Scorecard:
    """The city's and each commune's indexes for the last months (no login, no dossier-level data)."""
    now = datetime.now(UTC)
    names = last_months(now.astimezone(LOCAL).date(), months)
    # No read model yet: nothing is measured, so every index is null ("not measurable") and no commune
    # is known; the read models built from the events fill these in.
    empty = [MonthScore(month=m, score=None, indexes=dict.fromkeys(INDEX_KEYS)) for m in names]
    response.headers["Cache-Control"] = SCORECARD_CACHE
    return Scorecard(months=names, as_of=now, city=UnitScores(unit=CITY, months=empty), communes=[])
