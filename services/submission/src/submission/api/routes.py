"""HTTP routes of the submission service for citizens (mounted under /api/v1/submissions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import StreamingResponse

from dvckit.apidoc import problems
from dvckit.errors import Problem, Text
from dvckit.etag import Conditioned
from dvckit.paging import Paged

from ..domain.applicant import Applicant
from ..domain.rating import RatingIn
from . import views
from .body import UploadForm, attach_schema, form_parts, is_json, read_attach
from .deps import Citizen, FileId, Id, Svc
from .files import stream
from .schemas import (
    AGENCY_CODE,
    FILE_TYPES,
    AgencyOut,
    CaptchaOut,
    CaseIn,
    DossierOut,
    DossierPage,
    DraftIn,
    FeesOut,
    ProcedureCode,
    RatingOut,
    ReceiptOut,
    SubmitIn,
    TrackOut,
    UploadOut,
)

router = APIRouter()

# The answers a citizen's route about one dossier may give (problem+json).
NOT_YOURS = (404, "Không có hồ sơ này hoặc không phải của bạn / no such dossier, or not yours")
NOT_DRAFT = (409, "Hồ sơ đã nộp, không sửa được nữa / the dossier was submitted already")
NO_PROCEDURE = (404, "Không có thủ tục này / no such procedure")


NOT_HERE = (409, "Thủ tục không giải quyết tại Hải Phòng (nộp ở nơi file_at nêu) / not-fileable-here")


@router.get(
    "/agencies",
    responses=problems(NO_PROCEDURE, NOT_HERE),
    response_model=list[AgencyOut],
    tags=["filing"],
    summary="Cơ quan tiếp nhận của một thủ tục / receiving agencies of a procedure",
)
async def agencies(procedure: ProcedureCode, s: Svc) -> list[dict[str, str]]:
    return [{"code": a.code, "name": a.name} for a in await s.dossiers.agencies(procedure)]


@router.post(
    "/dossiers",
    status_code=201,
    responses={
        200: {
            "description": "Idempotency-Key đã dùng: hồ sơ đã tạo / a retry: the draft made the first time",
            "model": DossierOut,
        }
    }
    | problems(
        (400, "Idempotency-Key không hợp lệ / malformed Idempotency-Key"),
        NO_PROCEDURE,
        (
            409,
            "Thủ tục chưa nộp trực tuyến được hoặc không giải quyết tại Hải Phòng (file_at), hoặc yêu cầu "
            "cùng khóa đang chạy / not online, not-fileable-here, or in progress",
        ),
    ),
    response_model=DossierOut,
    tags=["filing"],
    summary="Nộp trực tuyến: tạo hồ sơ nháp / start a draft",
)
async def create_draft(
    body: DraftIn,
    who: Citizen,
    s: Svc,
    request: Request,
    response: Response,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    async def create() -> dict[str, object]:
        d = await s.dossiers.create_draft(
            who,
            procedure_code=body.procedure_code,
            agency_code=body.agency_code,
            case=body.case,
            authorization=request.headers.get("authorization", ""),
            organisation_id=body.organisation_id,
        )
        return views.view(d)

    answer, replayed = await s.idempotency.run(
        scope=f"draft|{who.id}", key=idempotency_key, body=body.model_dump(), fn=create
    )
    if replayed:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
        return views.view(await s.dossiers.owned(who, str(answer["id"])))
    return answer


@router.get(
    "/dossiers",
    response_model=DossierPage,
    responses=problems((404, "Không thuộc tổ chức này / not a member of the organisation")),
    tags=["following"],
    summary="Hồ sơ của tôi, hoặc của tổ chức tôi là thành viên / my dossiers, or my organisation's",
)
async def mine(
    who: Citizen,
    s: Svc,
    paging: Paged,
    cond: Conditioned,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]{3,30}$")] = None,
    organisation: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9a-f-]{1,64}$",
            description="Hồ sơ của một tổ chức tôi là thành viên / an organisation's dossiers (its members)",
        ),
    ] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> object:
    w = paging.window(page=page, size=size, max_size=100)
    found, total = await s.dossiers.mine(who, status=status, window=w, organisation=organisation)
    return cond.answer(paging.finish(w, views.page([views.mine(d) for d in found], total, w.page, w.size)))


@router.get(
    "/dossiers/{dossier_id}",
    responses=problems(NOT_YOURS),
    response_model=DossierOut,
    tags=["following"],
    summary="Chi tiết hồ sơ, tệp và lịch sử / a dossier with its files and history",
)
async def get_dossier(dossier_id: Id, who: Citizen, s: Svc, cond: Conditioned) -> object:
    return cond.answer(views.view(await s.dossiers.owned(who, dossier_id)))


@router.delete(
    "/dossiers/{dossier_id}",
    status_code=204,
    tags=["filing"],
    summary="Xóa hồ sơ nháp / delete a draft",
    responses=problems(NOT_YOURS, NOT_DRAFT),
)
async def delete_draft(dossier_id: Id, who: Citizen, s: Svc) -> Response:
    await s.dossiers.delete_draft(who, dossier_id)
    return Response(status_code=204)


@router.put(
    "/dossiers/{dossier_id}/case",
    responses=problems(NOT_YOURS, NOT_DRAFT),
    response_model=DossierOut,
    tags=["filing"],
    summary="Chọn trường hợp hồ sơ / choose the case the dossier is filed for",
)
async def set_case(dossier_id: Id, body: CaseIn, who: Citizen, s: Svc) -> dict[str, object]:
    return views.view(await s.dossiers.set_case(who, dossier_id, body.case))


@router.put(
    "/dossiers/{dossier_id}/applicant",
    responses=problems(NOT_YOURS, NOT_DRAFT),
    response_model=DossierOut,
    tags=["filing"],
    summary="Bước 1: thông tin người nộp / step 1: submitter",
)
async def set_applicant(dossier_id: Id, body: Applicant, who: Citizen, s: Svc) -> dict[str, object]:
    return views.view(await s.dossiers.set_applicant(who, dossier_id, body))


@router.post(
    "/dossiers/{dossier_id}/attachments",
    status_code=201,
    responses=problems(
        (400, "Dữ liệu multipart hỏng / malformed multipart body"),
        NOT_YOURS,
        (
            409,
            "Hồ sơ đã nộp, đủ số tệp, vừa thay đổi, hoặc phiên tải chưa xong / đã đính kèm / submitted, too "
            "many files, changed meanwhile, or the upload is not complete / attached already",
        ),
        (410, "Phiên tải đã hết hạn hoặc bị hủy / the upload expired or was terminated"),
        (
            413,
            "Tệp, tổng dung lượng hoặc số trường vượt giới hạn / the file, the dossier's files or the form's "
            "fields are too large",
        ),
        (415, "Không phải multipart, hoặc loại tệp không được nhận / not multipart, or a refused file type"),
        (
            422,
            "Thành phần không có, hoặc phiên tải thuộc hồ sơ khác / unknown component, or another's upload",
        ),
    ),
    response_model=UploadOut,
    tags=["filing"],
    summary="Bước 2: tải tệp cho thành phần hồ sơ / step 2: upload a file (component_id, file)",
    description="A multipart form (`component_id`, then `file`), or a JSON body `{upload_id, component_id}` "
    "naming a finished resumable upload (`POST /uploads`, tus): it becomes the same record as a file sent in "
    "one request, once (409 `upload-attached` after).",
    openapi_extra={"requestBody": attach_schema(UploadForm)},
)
async def upload(
    dossier_id: Id,
    who: Citizen,
    s: Svc,
    request: Request,
    component_id: Annotated[str | None, Query(pattern=r"^[a-z0-9]{8,20}$")] = None,
) -> dict[str, object]:
    if is_json(request):
        body = await read_attach(request)
        att = await s.uploads.attach(who, dossier_id, body.upload_id, body.component_id or component_id)
    else:
        parts = form_parts(request, s.attachments.upload_form)
        att = await s.attachments.upload(who, dossier_id, parts, component_id)
    return views.attachment(att) | {"attachment_id": att.id}


@router.delete(
    "/dossiers/{dossier_id}/attachments/{attachment_id}",
    responses=problems(
        NOT_YOURS,
        (
            409,
            "Hồ sơ đã nộp, vừa thay đổi, hoặc tệp đã nộp không được thay khi bổ sung / submitted, changed "
            "meanwhile, or a filed file the supplement may not replace",
        ),
    ),
    status_code=204,
    tags=["filing"],
    summary="Xóa một tệp / remove a file",
)
async def delete_attachment(dossier_id: Id, attachment_id: FileId, who: Citizen, s: Svc) -> Response:
    await s.attachments.delete(who, dossier_id, attachment_id)
    return Response(status_code=204)


@router.get(
    "/dossiers/{dossier_id}/attachments/{attachment_id}",
    tags=["following"],
    summary="Tải tệp về / download a file",
    response_class=StreamingResponse,
    responses={200: FILE_TYPES} | problems(NOT_YOURS),
)
async def download(dossier_id: Id, attachment_id: FileId, who: Citizen, s: Svc) -> Response:
    d = await s.dossiers.owned(who, dossier_id)
    return stream(*await s.attachments.files.download(d, attachment_id))


@router.get(
    "/dossiers/{dossier_id}/fees",
    responses=problems(NOT_YOURS),
    response_model=FeesOut,
    tags=["filing"],
    summary="Bước 3: phí, lệ phí / step 3: fees and charges",
)
async def fees(dossier_id: Id, who: Citizen, s: Svc) -> dict[str, object]:
    return (await s.dossiers.fees(who, dossier_id)).model_dump()


@router.post(
    "/captcha",
    status_code=201,
    response_model=CaptchaOut,
    tags=["filing"],
    summary="Bước 3: mã xác nhận / step 3: a confirmation code image",
)
async def captcha(who: Citizen, s: Svc) -> dict[str, object]:
    return await s.captchas.create()


@router.post(
    "/dossiers/{dossier_id}/submit",
    responses=problems((400, "Mã xác nhận sai hoặc hết hạn / wrong or expired confirmation code"), NOT_YOURS),
    response_model=ReceiptOut,
    tags=["filing"],
    summary="Bước 4: nộp hồ sơ / step 4: submit",
)
async def submit(dossier_id: Id, body: SubmitIn, who: Citizen, s: Svc) -> dict[str, object]:
    d = await s.dossiers.submit(
        who, dossier_id, body.captcha_id, answer=body.captcha_answer, proof=body.captcha_proof
    )
    return views.receipt(d)


@router.post(
    "/dossiers/{dossier_id}/rating",
    status_code=201,
    responses=problems(
        (403, "Thành viên chỉ xem của tổ chức / an organisation's viewer"),
        NOT_YOURS,
        (
            409,
            "Hồ sơ chưa trả kết quả, không bị từ chối hoặc rút (not-rateable), hoặc đã đánh giá "
            "(already-rated) / not rateable now, or rated already",
        ),
    ),
    response_model=RatingOut,
    tags=["following"],
    summary="Đánh giá việc giải quyết hồ sơ / rate how the dossier was handled",
    description="Once, by the dossier's owner, after its result was returned (status 10) or it was refused "
    "(3) or withdrawn (7): overall, reception, guidance, time and result from 1 to 5, and a comment. "
    "Emits dossier.rated.v1.",
)
async def rate(dossier_id: Id, body: RatingIn, who: Citizen, s: Svc) -> dict[str, object]:
    return (await s.dossiers.rate(who, dossier_id, body)).model_dump()


@router.get(
    "/track",
    responses=problems(
        (404, "Không có hồ sơ với mã và thông tin này / no dossier with this code and identifier")
    ),
    response_model=TrackOut,
    tags=["following"],
    summary="Tra cứu hồ sơ (công khai) / public dossier lookup",
)
async def track(
    s: Svc,
    code: Annotated[str, Query(pattern=rf"^{AGENCY_CODE}-\d{{6}}-\d{{4}}$")],
    citizen_id: Annotated[str | None, Query(pattern=r"^\d{12}$")] = None,
    phone: Annotated[str | None, Query(pattern=r"^0[35789]\d{8}$")] = None,
) -> dict[str, object]:
    if not citizen_id and not phone:
        raise Problem(
            422,
            "identifier-required",
            Text(
                "Nhập số định danh hoặc số điện thoại của người nộp",
                "Give the submitter's citizen ID or phone number",
            ),
        )
    return views.track(await s.dossiers.track(code, citizen_id=citizen_id, phone=phone))
