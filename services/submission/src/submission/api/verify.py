"""Public verification of signed results (mounted under /api/v1/submissions): by the code of the stamp's
QR link, or by uploading the document (multipart ``file``, or the PDF itself as the body)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from dvckit import formstream
from dvckit.apidoc import problems
from dvckit.errors import Problem, Text

from ..service.attachments import FORM_OVERHEAD
from ..service.errors import NO_FILE, ONE_FILE
from ..service.signing import is_pdf
from .deps import Svc

router = APIRouter()

NO_SIGNATURE = Problem(
    404,
    "signature-not-found",
    Text(
        "Không có văn bản nào được ký với mã xác thực này",
        "No document was signed with this verification code",
    ),
)
NOT_PDF = Problem(
    422,
    "not-a-pdf",
    Text("Tệp gửi lên không phải là tệp PDF", "The file sent is not a PDF"),
)
WRONG_TYPE = Problem(
    415,
    "unsupported-media-type",
    Text(
        "Gửi tệp PDF trong trường 'file' (multipart/form-data) hoặc làm nội dung application/pdf",
        "Send the PDF in the field 'file' (multipart/form-data) or as an application/pdf body",
    ),
)


class AgencyOut(BaseModel):
    code: str
    name: str


class SignatureRecordOut(BaseModel):
    """A signed result as recorded when it was signed."""

    code: str
    agency: AgencyOut
    dossier_code: str | None
    signed_at: datetime
    file_name: str | None
    sha256: str
    size: int | None


class SignatureOut(BaseModel):
    """What the document's (last) signature says."""

    intact: bool
    valid: bool
    trusted: bool
    covers_whole_file: bool
    agency: AgencyOut | None
    signed_at: datetime | None


class VerdictOut(BaseModel):
    verdict: Literal["authentic", "changed", "unknown", "unsigned", "unreadable"]
    authentic: bool
    unchanged: bool
    sha256: str
    code: str | None
    signature: SignatureOut | None
    record: SignatureRecordOut | None


class VerifyForm(BaseModel):
    file: bytes


VERIFY_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": VerifyForm.model_json_schema()},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    },
}


@router.get(
    "/verify",
    responses=problems((404, "Không có văn bản ký với mã này / no document signed with this code")),
    response_model=SignatureRecordOut,
    tags=["verification"],
    summary="Văn bản kết quả theo mã xác thực (công khai) / a signed result by its code (public)",
)
async def by_code(
    s: Svc,
    code: Annotated[
        str,
        Query(
            pattern=r"^[0-9A-Za-z -]{8,20}$",
            description="Mã xác thực in trên văn bản (mã QR) / the verification code on the document",
        ),
    ],
) -> dict[str, object]:
    found = await s.signing.lookup(code)
    if found is None:
        raise NO_SIGNATURE
    return found


@router.post(
    "/verify",
    responses=problems(
        (400, "Dữ liệu multipart hỏng / malformed multipart body"),
        (413, "Tệp quá lớn / the file is too large"),
        (415, "Không phải multipart hoặc application/pdf / neither multipart nor application/pdf"),
        (422, "Không có tệp, hoặc không phải PDF / no file, or not a PDF"),
        (503, "Đang bận, thử lại sau / busy, try again shortly"),
    ),
    response_model=VerdictOut,
    tags=["verification"],
    summary="Kiểm tra văn bản kết quả có chữ ký số (công khai) / check a signed result document (public)",
    openapi_extra={"requestBody": VERIFY_BODY},
)
async def by_document(request: Request, s: Svc) -> dict[str, object]:
    pdf = await _document(request, s.settings.verify_max_bytes)
    if not is_pdf(pdf):
        raise NOT_PDF
    return await s.signing.check(pdf)


async def _document(request: Request, limit: int) -> bytes:
    """The uploaded document, at most ``limit`` bytes (refused from its Content-Length when it says
    more, else as soon as it grows past it)."""
    mime = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if mime == "application/pdf":
        declared = formstream.declared_length(request)
        if declared is not None and declared > limit:
            raise formstream.body_too_large(limit)
        buf = bytearray()
        async for chunk in request.stream():
            buf += chunk
            if len(buf) > limit:
                raise formstream.body_too_large(limit)
        if not buf:
            raise NO_FILE
        return bytes(buf)
    if mime != "multipart/form-data":
        raise WRONG_TYPE
    buf = bytearray()
    seen = False
    async for event in formstream.events(request, max_body=limit + FORM_OVERHEAD, max_fields=2):
        if isinstance(event, formstream.FileStart):
            if event.name != "file" or seen:
                raise ONE_FILE
            seen = True
        elif isinstance(event, formstream.FileData):
            buf += event.data
            if len(buf) > limit:
                raise formstream.body_too_large(limit)
    if not seen or not buf:
        raise NO_FILE
    return bytes(buf)
