"""HTTP routes of the workflow: officers' queue and actions, the citizen's withdraw and resubmit, the
receipt PDF and the result documents (mounted under /api/v1/submissions)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.errors import Problem, Text

from ..domain.files import MIME
from ..domain.status import Status
from ..service.attachments import content_disposition
from ..service.dossiers import view
from ..service.receipt import render
from .schemas import DossierOut, QueuePage

router = APIRouter()
Officer = Annotated[Principal, Depends(require("officer"))]
Caller = Annotated[Principal, Depends(principal)]
Id = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
FileId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
ActionName = Annotated[
    str, Path(pattern=r"^[a-z-]{3,30}$", examples=["accept", "request-supplement", "withdraw"])
]
NOT_THEIRS = (404, "Không có hồ sơ này hoặc không thuộc cơ quan / no such dossier, or not the caller's")
FILE_TYPES = {
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(set(MIME.values()))}
}
# An action's body: JSON, or multipart (finish: the result document in the field "file").
ACTION_BODY = {
    "required": False,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "note": {"type": ["string", "null"], "maxLength": 2000},
                    "reason": {"type": ["string", "null"], "maxLength": 2000},
                    "items": {"type": "array", "maxItems": 50, "items": {"type": "string", "maxLength": 500}},
                },
            }
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "note": {"type": "string"},
                    "reason": {"type": "string"},
                    "items": {"type": "string", "description": "One item a line"},
                    "file": {"type": "string", "format": "binary"},
                },
            }
        },
    },
}
NOT_YET = Problem(
    409, "not-accepted-yet", Text("Hồ sơ chưa được tiếp nhận", "The dossier has not been accepted yet")
)


def wf(request: Request) -> Any:
    return request.app.state.workflow


def _rev(if_match: str | None) -> int | None:
    if not if_match:
        return None
    try:
        return int(if_match.strip().strip("W/").strip('"'))
    except ValueError:
        raise Problem(400, "bad-if-match", Text("If-Match không hợp lệ", "Malformed If-Match")) from None


def _stream(att: dict[str, Any], chunks: Any) -> StreamingResponse:
    return StreamingResponse(
        chunks,
        media_type=att["content_type"],
        headers={
            "Content-Length": str(att["size"]),
            "Content-Disposition": content_disposition(att["name"]),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get(
    "/officer/dossiers",
    response_model=QueuePage,
    tags=["officer"],
    summary="Hồ sơ của cơ quan / the agency's queue, with deadlines",
)
async def queue(
    who: Officer,
    request: Request,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{3,30}$")] = None,
    procedure: Annotated[str | None, Query(pattern=r"^\d\.\d{6}$")] = None,
    overdue: bool | None = None,
    q: Annotated[
        str | None, Query(min_length=3, max_length=60, description="Mã hồ sơ, số định danh, điện thoại")
    ] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    return await wf(request).queue(
        who, status=status, procedure=procedure, overdue=overdue, q=q, agency=agency, page=page, size=size
    )


@router.get(
    "/officer/dossiers/{dossier_id}",
    responses=problems(NOT_THEIRS),
    response_model=DossierOut,
    tags=["officer"],
    summary="Hồ sơ (cán bộ) / a dossier of the officer's agency",
)
async def officer_dossier(dossier_id: Id, who: Officer, request: Request) -> dict[str, Any]:
    return view(await wf(request).for_officer(who, dossier_id))


@router.get(
    "/officer/dossiers/{dossier_id}/attachments/{file_id}",
    tags=["officer"],
    summary="Tải tệp của hồ sơ (cán bộ) / download a file",
    response_class=StreamingResponse,
    responses={200: FILE_TYPES} | problems(NOT_THEIRS),
)
async def officer_file(dossier_id: Id, file_id: FileId, who: Officer, request: Request) -> Response:
    d = await wf(request).for_officer(who, dossier_id)
    return _stream(*await request.app.state.attachments.download(d, file_id))


@router.post(
    "/dossiers/{dossier_id}/actions/{action}",
    response_model=DossierOut,
    tags=["officer"],
    summary="Xử lý hồ sơ / act on a dossier",
    description="Officer: accept, refuse (reason), start, request-supplement (items), request-payment, "
    "stop (reason), finish (multipart: note, file), return-result. Citizen: withdraw, "
    "resubmit (after uploading the supplement). JSON body {note, reason, items}.",
    openapi_extra={"requestBody": ACTION_BODY},
    responses=problems(
        (400, "If-Match hoặc multipart không hợp lệ / malformed If-Match or multipart body"),
        (403, "Thao tác của cán bộ / an officer's action"),
        (404, "Không có hồ sơ, thao tác này, hoặc hồ sơ không thuộc người gọi / no such dossier or action"),
        (409, "Không được ở trạng thái hiện tại, hoặc vừa bị người khác đổi / not allowed now, or changed"),
        (413, "Nội dung hoặc văn bản kết quả quá lớn / the body or the result document is too large"),
        (415, "Loại tệp kết quả không được nhận / the result document's type is refused"),
    ),
)
async def act(
    dossier_id: Id,
    action: ActionName,
    who: Caller,
    request: Request,
    if_match: Annotated[str | None, Header(description="The dossier's rev, for stale views")] = None,
) -> dict[str, Any]:
    return await wf(request).act(who, dossier_id, action, request, _rev(if_match))


@router.get(
    "/dossiers/{dossier_id}/receipt",
    tags=["following"],
    response_class=Response,
    summary="Giấy tiếp nhận và hẹn trả kết quả (PDF) / receipt and appointment slip",
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
    | problems(NOT_THEIRS, (409, "Hồ sơ chưa được tiếp nhận / not accepted yet")),
)
async def receipt(dossier_id: Id, who: Caller, request: Request) -> Response:
    d = await wf(request).for_owner_or_officer(who, dossier_id)
    if not d.get("accepted_at") or d["status"] == Status.REFUSED.value:
        raise NOT_YET
    pdf = render(d)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(f"giay-tiep-nhan-{d['code']}.pdf"),
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
async def result(dossier_id: Id, file_id: FileId, who: Caller, request: Request) -> Response:
    d = await wf(request).for_owner_or_officer(who, dossier_id)
    if d["owner_id"] == who.sub and d["status"] not in (Status.FINISHED.value, Status.RETURNED.value):
        raise NOT_YET
    return _stream(*await request.app.state.attachments.download(d, file_id, results=True))
