"""The working-day calendar deadlines are counted in (mounted under /api/v1/submissions): anyone signed in
reads a year (an officer or a citizen sees why a deadline falls where it does; it holds nothing personal,
but it says who changed it, so not the whole internet); an administrator changes its days off and working
days, guarded by If-Match."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from dvckit.apidoc import problems
from dvckit.auth import Principal, require
from dvckit.httputil import if_match_version
from dvckit.jsonutil import dumps

from .deps import Caller, Svc, actor

router = APIRouter()
Year = Annotated[int, Path(ge=2000, le=2100, description="The calendar year")]
Admin = Annotated[Principal, Depends(require("admin"))]
IfMatch = Annotated[str | None, Header(description='ETag of the version read, e.g. "calendar-2026-v3"')]


def _iso(value: object) -> object:
    """ISO text only ("2026-05-04"): a number would otherwise be read as a timestamp."""
    if not isinstance(value, str) or not ISO.match(value):
        raise ValueError("an ISO date, YYYY-MM-DD")
    return value


ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Day = Annotated[date, BeforeValidator(_iso)]


class Holiday(BaseModel):
    date: str
    name: str = Field(description="In Vietnamese")
    name_en: str


class CalendarOut(BaseModel):
    year: int
    version: int = Field(description="0 until an administrator changes the year")
    days_off: list[str] = Field(description="Days off an administrator added (ISO dates)")
    working_days: list[str] = Field(description="Working days an administrator added (ISO dates)")
    holidays: list[Holiday] = Field(description="Public holidays and substituted days off (the library's)")
    weekend_workdays: list[str] = Field(description="Make-up working Saturdays the library knows")
    updated_at: datetime | None = None
    updated_by: str | None = None
    office_hours: str
    acceptance_cutoff: str | None
    reception_due_working_hours: float
    default_processing_working_days: int


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days_off: list[Day] = Field([], max_length=366, description="Extra days off in that year")
    working_days: list[Day] = Field([], max_length=366, description="Extra working days in that year")


def _answer(body: dict[str, object]) -> Response:
    return Response(
        dumps(body),
        media_type="application/json",
        headers={"ETag": f'"calendar-{body["year"]}-v{body["version"]}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/calendar/{year}",
    response_model=CalendarOut,
    tags=["calendar"],
    summary="Lịch ngày làm việc của một năm / a year's working-day calendar",
)
async def get_calendar(year: Year, who: Caller, s: Svc) -> Response:
    return _answer(await s.calendar.year(year))


@router.put(
    "/calendar/{year}",
    response_model=CalendarOut,
    responses=problems(
        (412, "Lịch đã được người khác sửa / changed by someone else (If-Match)"),
        (422, "Ngày không hợp lệ / a date outside the year, or both off and worked"),
    ),
    tags=["administration"],
    summary="Sửa ngày nghỉ, ngày làm việc của một năm / set a year's days off and working days",
)
async def put_calendar(
    year: Year, body: CalendarIn, who: Admin, s: Svc, if_match: IfMatch = None
) -> Response:
    expected = if_match_version(if_match)
    return _answer(await s.calendar.change(actor(who), year, body.days_off, body.working_days, expected))
