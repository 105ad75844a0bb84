"""HTTP routes of the audit service (mounted under /api/v1/audit; docs/audit.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.jsonutil import dumps
from dvckit.paging import Cursored, Paged, Paging

from ..domain.views import COLUMNS
from ..parts import Parts
from ..service.trail import MAX_SIZE, Filters

router = APIRouter(tags=["audit"])
Who = Annotated[Principal, Depends(principal)]
Auditor = Annotated[Principal, Depends(require("auditor", "admin"))]
PRIVATE = {"Cache-Control": "private, no-store"}
READERS = problems((403, "Không phải kiểm tra viên/quản trị / not an auditor or administrator"), 422)

TargetId = Annotated[str | None, Query(max_length=200, description="Mã đối tượng (mã hồ sơ, tài khoản…)")]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
Size = Annotated[int, Query(ge=1, le=200)]


def filters(
    start: Annotated[
        str | None,
        Query(alias="from", max_length=40, description="Từ (YYYY-MM-DD giờ Việt Nam, hoặc ISO 8601)"),
    ] = None,
    to: Annotated[
        str | None,
        Query(max_length=40, description="Đến (một ngày: tính cả ngày đó; một thời điểm: trước nó)"),
    ] = None,
    actor: Annotated[str | None, Query(max_length=200, description="Tài khoản đã thao tác (sub)")] = None,
    subject: Annotated[
        str | None, Query(max_length=200, description="Tài khoản có dữ liệu cá nhân liên quan (sub)")
    ] = None,
    target_type: Annotated[str | None, Query(max_length=40, description="dossier, attachment, user…")] = None,
    target_id: TargetId = None,
    action: Annotated[
        str | None, Query(max_length=80, description="dossier.viewed, user.roles_changed…")
    ] = None,
    kind: Literal["read", "change", "login"] | None = None,
    stream: Annotated[str | None, Query(max_length=40, description="Dịch vụ ghi (submission, auth…)")] = None,
    outcome: Literal["ok", "denied", "failed"] | None = None,
) -> Filters:
    return Filters(start, to, actor, subject, target_type, target_id, action, kind, stream, outcome)


Search = Annotated[Filters, Depends(filters)]


class Entry(BaseModel):
    id: str
    at: datetime
    recorded_at: datetime | None = None
    stream: str
    seq: int
    kind: str
    action: str
    outcome: str
    actor: str
    actor_roles: list[str]
    actor_agencies: list[str]
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    target_type: str
    target_id: str
    subject: str | None = None
    fields: list[str]
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    prev: str
    hash: str


class EntryPage(Cursored):
    items: list[Entry]
    total: int
    page: int
    size: int


class MyEntry(BaseModel):
    id: str
    at: datetime
    kind: str
    action: str
    outcome: str
    by_roles: list[str]
    by_agencies: list[str]
    target_type: str
    target_id: str
    fields: list[str]
    changed_fields: list[str]


class MyEntryPage(Cursored):
    items: list[MyEntry]
    total: int
    page: int
    size: int


def _json(body: Any, paging: Paging | None = None) -> Response:
    headers = dict(PRIVATE)
    if paging is not None and "link" in paging.response.headers:
        headers["Link"] = paging.response.headers["link"]
    return Response(dumps(body), media_type="application/json", headers=headers)


@router.get(
    "/events",
    response_model=EntryPage,
    responses=READERS,
    summary="Tra cứu nhật ký (mới nhất trước) / search the audit trail, newest first",
)
async def events(
    who: Auditor, parts: Parts, f: Search, paging: Paged, page: PageNo = 1, size: Size = 50
) -> Response:
    w = paging.window(page=page, size=size, max_size=MAX_SIZE)
    return _json(paging.finish(w, await parts.trail.search(who, f, w)), paging)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | dict):
        return dumps(value).decode()
    return str(value)


async def _csv(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buf.getvalue()).encode()  # the BOM: Excel reads UTF-8 (Vietnamese) right
    async for row in rows:
        buf.seek(0)
        buf.truncate()
        # A cell a spreadsheet would run as a formula is written as text.
        writer.writerow(["'" + c if c[:1] in "=+-@\t\r" else c for c in (_cell(row.get(k)) for k in COLUMNS)])
        yield buf.getvalue().encode()


async def _jsonl(rows: AsyncIterator[dict[str, Any]]) -> AsyncIterator[bytes]:
    async for row in rows:
        yield dumps(row) + b"\n"


def _download(name: str) -> dict[str, str]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {**PRIVATE, "Content-Disposition": f'attachment; filename="nhat-ky-{stamp}.{name}"'}


@router.get(
    "/events.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}} | READERS,
    summary="Xuất nhật ký (CSV) / export the audit trail as CSV",
)
async def events_csv(who: Auditor, parts: Parts, f: Search) -> StreamingResponse:
    rows = await parts.trail.export(who, f, "csv")
    return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8", headers=_download("csv"))


@router.get(
    "/events.jsonl",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/jsonl": {"schema": {"type": "string"}}}}} | READERS,
    summary="Xuất nhật ký (JSON lines) / export the audit trail as JSON lines",
)
async def events_jsonl(who: Auditor, parts: Parts, f: Search) -> StreamingResponse:
    rows = await parts.trail.export(who, f, "jsonl")
    return StreamingResponse(_jsonl(rows), media_type="application/jsonl", headers=_download("jsonl"))


class ChainOut(BaseModel):
    stream: str
    seq: int
    hash: str
    pruned_through: int


@router.get(
    "/chains",
    response_model=list[ChainOut],
    responses=READERS,
    summary="Đầu chuỗi của từng dịch vụ / each stream's head (to note down elsewhere)",
)
async def chains(who: Auditor, parts: Parts) -> Response:
    heads = await parts.trail.heads(who)
    return _json(
        [
            {"stream": h.stream, "seq": h.seq, "hash": h.hash, "pruned_through": h.pruned_through}
            for h in heads
        ]
    )


@router.get(
    "/me",
    response_model=MyEntryPage,
    summary="Nhật ký về dữ liệu của tôi / the entries about my own data",
)
async def mine(who: Who, parts: Parts, paging: Paged, page: PageNo = 1, size: Size = 50) -> Response:
    w = paging.window(page=page, size=size, max_size=MAX_SIZE)
    return _json(paging.finish(w, await parts.trail.mine(who, w)), paging)
