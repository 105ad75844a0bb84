"""HTTP routes of the reporting service (mounted under /api/v1/reporting; docs/reporting.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal
from dvckit.jsonutil import dumps
from dvckit.paging import Cursored, Paged

from ..adapters.exports import to_csv, to_xlsx
from ..domain.units import Caller
from ..parts import Parts

router = APIRouter(tags=["reporting"])
Who = Annotated[Principal, Depends(principal)]

From = Annotated[
    str | None,
    Query(alias="from", max_length=10, description="Từ ngày (YYYY-MM-DD, giờ Việt Nam), mặc định đầu tháng"),
]
To = Annotated[str | None, Query(max_length=10, description="Đến ngày, tính cả ngày đó; mặc định hôm nay")]
UnitKey = Annotated[
    str | None,
    Query(
        max_length=60,
        description="city, agency:<mã cơ quan> hoặc commune:<mã xã>; mặc định: rộng nhất được xem",
    ),
]
FieldName = Annotated[str | None, Query(max_length=200, description="Lĩnh vực (tên), mặc định: mọi lĩnh vực")]
PRIVATE = {"Cache-Control": "private, no-store"}
SCOPED = problems(
    (403, "Không phải lãnh đạo/quản trị, hoặc đơn vị không thuộc quyền / not yours to see"),
    (422, "Ngày, đơn vị hoặc chỉ tiêu không hợp lệ / bad dates, unit or metric"),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def caller(who: Principal) -> Caller:
    return Caller(id=who.sub, roles=tuple(who.roles), agencies=tuple(who.agencies))


def _json(body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), media_type="application/json", headers=headers or PRIVATE)


@router.get(
    "/indexes",
    summary="Chỉ số 766 của một đơn vị trong một khoảng thời gian / the Decision 766 indexes",
    responses=SCOPED,
)
async def indexes(
    who: Who, parts: Parts, start: From = None, to: To = None, unit: UnitKey = None, field: FieldName = None
) -> Response:
    return _json(await parts.reports.indexes(caller(who), start, to, unit, field))


def _filename(report: dict[str, Any], ext: str) -> str:
    unit = report["unit"]["key"].replace(":", "-").replace(".", "-")
    return f"chi-so-{unit}-{report['from']}-{report['to']}.{ext}"


@router.get(
    "/indexes.xlsx",
    summary="Chỉ số 766, tệp Excel / the indexes as a workbook",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}}} | SCOPED,
)
async def indexes_xlsx(
    who: Who, parts: Parts, start: From = None, to: To = None, unit: UnitKey = None, field: FieldName = None
) -> Response:
    report = await parts.reports.indexes(caller(who), start, to, unit, field)
    return Response(
        to_xlsx(report),
        media_type=XLSX,
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{_filename(report, "xlsx")}"'},
    )


@router.get(
    "/indexes.csv",
    summary="Chỉ số 766, tệp CSV / the indexes as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}} | SCOPED,
)
async def indexes_csv(
    who: Who, parts: Parts, start: From = None, to: To = None, unit: UnitKey = None, field: FieldName = None
) -> Response:
    report = await parts.reports.indexes(caller(who), start, to, unit, field)
    return Response(
        to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={**PRIVATE, "Content-Disposition": f'attachment; filename="{_filename(report, "csv")}"'},
    )


class DrillRating(BaseModel):
    scores: dict[str, Any]
    comment: str | None = None


class DrillItem(BaseModel):
    """A dossier behind a count, as reporting folded it from the events."""

    id: str
    code: str | None = None
    procedure_code: str | None = None
    procedure_name: str | None = None
    agency_code: str | None = None
    agency_name: str | None = None
    commune: str | None = None
    field: str | None = None
    status: str | None = None
    status_code: int | None = None
    channel: str | None = None
    received_at: datetime | None = None
    legal_due_at: datetime | None = None
    finished_at: datetime | None = None
    on_time: bool | None = None
    holder: Any = None
    rating: DrillRating | None = None


class DrillPage(Cursored):
    """The dossiers behind a count: ``limit`` is the page size."""

    items: list[DrillItem]
    total: int
    page: int
    limit: int


@router.get(
    "/dossiers",
    summary="Các hồ sơ sau một con số / the dossiers behind a count or a component",
    responses={**SCOPED, 200: {"model": DrillPage}},
)
async def dossiers(
    who: Who,
    parts: Parts,
    paging: Paged,
    metric: Annotated[
        str, Query(max_length=40, description="Một khóa của counts hoặc của thành phần chỉ số")
    ],
    start: From = None,
    to: To = None,
    unit: UnitKey = None,
    field: FieldName = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    # `limit` (the page size, 50 unless given) is the paging's own parameter.
    w = paging.window(page=page, size=50, max_size=200)
    body = paging.finish(w, await parts.reports.dossiers(caller(who), start, to, unit, field, metric, w))
    headers = dict(PRIVATE)
    if "link" in paging.response.headers:
        headers["Link"] = paging.response.headers["link"]
    return _json(body, headers)


@router.get(
    "/trend",
    summary="Diễn biến theo tháng / the indexes month by month",
    responses=SCOPED,
)
async def trend(
    who: Who,
    parts: Parts,
    months: Annotated[int, Query(ge=1, le=36)] = 12,
    unit: UnitKey = None,
    field: FieldName = None,
) -> Response:
    return _json(await parts.reports.trend(caller(who), months, unit, field))


@router.get(
    "/ranking",
    summary="Xếp hạng cơ quan hoặc xã, phường / the ranking of agencies or communes",
    responses=problems(
        (403, "Chỉ quản trị viên và lãnh đạo thành phố / administrators and city leaders only"),
        (422, "Ngày không hợp lệ / bad dates"),
    ),
)
async def ranking(
    who: Who,
    parts: Parts,
    start: From = None,
    to: To = None,
    kind: Literal["agency", "commune"] = "commune",
    field: FieldName = None,
) -> Response:
    return _json(await parts.reports.ranking(caller(who), start, to, kind, field))


@router.get(
    "/overdue",
    summary="Hồ sơ đang quá hạn và người đang giữ / overdue dossiers and who holds each",
    responses=SCOPED,
)
async def overdue(
    who: Who, parts: Parts, unit: UnitKey = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> Response:
    return _json(await parts.reports.overdue(caller(who), unit, limit))


@router.get(
    "/units",
    summary="Đơn vị và lĩnh vực được chọn / the units and fields the caller may choose",
    responses=problems((403, "Không phải lãnh đạo/quản trị / not a leader or administrator")),
)
async def units(who: Who, parts: Parts) -> Response:
    return _json(await parts.reports.units(caller(who)))


@router.get(
    "/public/scorecard",
    summary="Bảng điểm công khai của thành phố và các xã, phường / the public scorecard (no sign-in)",
)
async def scorecard(parts: Parts, months: Annotated[int, Query(ge=1, le=24)] = 6) -> Response:
    # Figures of units only, no dossier: the same for everyone, so caches in between may keep it.
    return _json(await parts.reports.scorecard(months), {"Cache-Control": "public, max-age=300"})
