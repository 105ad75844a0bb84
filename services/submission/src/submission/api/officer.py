"""HTTP routes of the workflow: officers' queue and actions, the citizen's withdraw and resubmit, the
receipt PDF and the result documents (mounted under /api/v1/submissions)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import StreamingResponse

from dvckit.apidoc import problems
from dvckit.httputil import content_disposition, if_match_version
from dvckit.paging import Paged

from ..adapters.dossiers import QueueFilter
from . import views
from .body import ACTION_BODY, Body
from .deps import Caller, FileId, Id, Officer, Svc
from .files import stream
from .schemas import FILE_TYPES, DossierOut, QueuePage

router = APIRouter()
ActionName = Annotated[
    str, Path(pattern=r"^[a-z-]{3,30}$", examples=["accept", "request-supplement", "withdraw"])
]
NOT_THEIRS = (404, "Không có hồ sơ này hoặc không thuộc cơ quan / no such dossier, or not the caller's")


@router.get(
    "/officer/dossiers",
    response_model=QueuePage,
    tags=["officer"],
    summary="Hồ sơ của cơ quan / the agency's queue, with deadlines",
)
async def queue(
    who: Officer,
    s: Svc,
    paging: Paged,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{3,30}$")] = None,
    procedure: Annotated[str | None, Query(pattern=r"^\d\.\d{6}$")] = None,
    overdue: bool | None = None,
    mine: Annotated[
        bool | None,
        Query(
            description="Việc của tôi: what waits for the caller (their assigned dossiers; a leader's "
            "proposals to review; the desk's dossiers to receive or return)"
        ),
    ] = None,
    due: Annotated[
        Literal["soon", "overdue"] | None,
        Query(description="The current step due this or the next working day (soon), or past it (overdue)"),
    ] = None,
    q: Annotated[
        str | None, Query(min_length=3, max_length=60, description="Mã hồ sơ, số định danh, điện thoại")
    ] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, object]:
    w = paging.window(page=page, size=size, max_size=100)
    f = QueueFilter([], status=status, procedure=procedure, overdue=overdue, q=q, mine=bool(mine), due=due)
    found, total = await s.workflow.queue(who, f, agency=agency, window=w)
    items = [views.queue_item(d, deadline) for d, deadline in found]
    return paging.finish(w, views.page(items, total, w.page, w.size))


@router.get(
    "/officer/dossiers/{dossier_id}",
    responses=problems(NOT_THEIRS),
    response_model=DossierOut,
    tags=["officer"],
    summary="Hồ sơ (cán bộ) / a dossier of the officer's agency",
)
async def officer_dossier(dossier_id: Id, who: Officer, s: Svc) -> dict[str, object]:
    d = await s.workflow.viewed(who, dossier_id)
    return views.view(d, actions=s.workflow.actions_for(who, d), sees_rating=s.workflow.sees_rating(who, d))


@router.get(
    "/officer/dossiers/{dossier_id}/attachments/{file_id}",
    tags=["officer"],
    summary="Tải tệp của hồ sơ (cán bộ) / download a file",
    response_class=StreamingResponse,
    responses={200: FILE_TYPES} | problems(NOT_THEIRS),
)
async def officer_file(dossier_id: Id, file_id: FileId, who: Officer, s: Svc) -> Response:
    return stream(*await s.workflow.officer_file(who, dossier_id, file_id))


@router.post(
    "/dossiers/{dossier_id}/actions/{action}",
    response_model=DossierOut,
    tags=["officer"],
    summary="Xử lý hồ sơ / act on a dossier",
    description='The one-stop workflow (docs/submission.md, "One-stop processing"). Reception desk: '
    "accept (assignee: the specialist; else the agency's default), refuse (reason), request-supplement "
    "(items, components; at reception: the completion request), transfer (agency, reason), assign, "
    "return-result. Specialist (the one assigned): start, request-supplement, request-payment, consult "
    "(agency, note, kind opinion|step, days), propose (multipart: outcome grant|refuse, reason, note, file "
    "— the result document, PDF). Leader: approve (signs the proposed result; not one's own proposal), "
    "send-back (note), assign, transfer (agency, reason), stop (reason). Specialist or leader: apologise "
    "(reason, days) — required before an overdue dossier can go on. The consulted agency's specialist or "
    "leader: answer (note). Citizen: withdraw, resubmit (after uploading the supplement; the dossier must "
    "be complete). JSON body; multipart only for propose. An officer may not act on a dossier they filed.",
    openapi_extra={"requestBody": ACTION_BODY},
    responses=problems(
        (400, "If-Match hoặc multipart không hợp lệ / malformed If-Match or multipart body"),
        (
            403,
            "Thao tác của cán bộ, vai trò khác, hồ sơ giao chuyên viên khác, tự phê duyệt, hoặc hồ sơ do "
            "chính cán bộ nộp / another role's action, someone else's assignment, one's own proposal or "
            "dossier",
        ),
        (404, "Không có hồ sơ, thao tác này, hoặc hồ sơ không thuộc người gọi / no such dossier or action"),
        (
            409,
            "Không được ở trạng thái, bước hiện tại; quá hạn chưa xin lỗi; hoặc vừa bị người khác đổi / not "
            "allowed now, overdue without an apology, or changed meanwhile",
        ),
        (
            413,
            "Nội dung, số trường hoặc văn bản kết quả quá lớn / the body, its fields or the result "
            "is too large",
        ),
        (
            415,
            "Không phải JSON (multipart chỉ cho propose), hoặc loại tệp kết quả bị từ chối / not JSON, "
            "or a refused file",
        ),
        (
            422,
            "Dữ liệu không hợp lệ, thiếu, hoặc hồ sơ chưa đủ / invalid or missing input, or an "
            "incomplete dossier",
        ),
    ),
)
async def act(
    dossier_id: Id,
    action: ActionName,
    who: Caller,
    s: Svc,
    body: Body,
    if_match: Annotated[str | None, Header(description="The dossier's rev, for stale views")] = None,
    authorization: Annotated[str, Header(include_in_schema=False)] = "",
) -> dict[str, object]:
    d = await s.workflow.act(who, dossier_id, action, body, if_match_version(if_match), authorization)
    if "officer" in who.roles and not d.owned_by(who):
        actions = s.workflow.actions_for(who, d)
        return views.view(d, actions=actions, sees_rating=s.workflow.sees_rating(who, d))
    return views.view(d)


@router.get(
    "/dossiers/{dossier_id}/receipt",
    tags=["following"],
    response_class=Response,
    summary="Giấy tiếp nhận và hẹn trả kết quả (PDF) / receipt and appointment slip",
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
    | problems(
        NOT_THEIRS,
        (409, "Hồ sơ chưa được tiếp nhận / not accepted yet"),
        (503, "Đang tạo quá nhiều giấy tiếp nhận, thử lại sau / too many receipts being drawn, retry"),
    ),
)
async def receipt(dossier_id: Id, who: Caller, s: Svc) -> Response:
    d, pdf = await s.workflow.receipt(who, dossier_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(f"giay-tiep-nhan-{d.code}.pdf"),
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/dossiers/{dossier_id}/results/{file_id}",
    tags=["following"],
    response_class=StreamingResponse,
    summary="Tải văn bản kết quả / download the result document",
    responses={200: FILE_TYPES} | problems(NOT_THEIRS, (409, "Hồ sơ chưa có kết quả / not finished yet")),
)
async def result(dossier_id: Id, file_id: FileId, who: Caller, s: Svc) -> Response:
    return stream(*await s.workflow.result(who, dossier_id, file_id))
