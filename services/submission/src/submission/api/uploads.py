"""Resumable uploads over tus 1.0 (https://tus.io/protocols/resumable-upload): creation, termination,
checksum and expiration (mounted under /api/v1/submissions). The protocol's headers are read and
written here; what they mean is ``service/uploads.py``. Errors are problem+json with a ``code`` (tus
clients read the status; the body is ours), and every answer carries ``Tus-Resumable``."""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import AsyncIterator
from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response
from starlette.requests import ClientDisconnect

from dvckit.apidoc import problems
from dvckit.errors import Problem, Text

from ..adapters.uploads import UploadRecord
from ..service.uploads import CHECKSUMS, TUS_EXTENSIONS, TUS_VERSION, Checksum, Interrupted
from .deps import Citizen, Svc

router = APIRouter(tags=["filing"])

UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
OFFSET_STREAM = "application/offset+octet-stream"
TUS_HEADERS = {"Tus-Resumable": TUS_VERSION}
S = {"schema": {"type": "string"}}

NOT_YOURS = (404, "Không có phiên tải này hoặc không phải của bạn / no such upload, or not yours")
GONE = (410, "Phiên tải đã hết hạn, bị hủy hoặc bị từ chối / the upload expired, was terminated or refused")
BAD_HEADER = (400, "Tiêu đề tus thiếu hoặc sai / a tus header is missing or malformed")
VERSION = (412, "Tus-Resumable không phải 1.0.0 / unsupported tus version")


def _bad(vi: str, en: str) -> Problem:
    return Problem(400, "bad-tus-header", Text(vi, en))


def _tus(p: Problem) -> Problem:
    return dataclasses.replace(p, headers={**p.headers, **TUS_HEADERS})


def _version(tus_resumable: str | None) -> None:
    if tus_resumable != TUS_VERSION:
        raise Problem(
            412,
            "tus-version-unsupported",
            Text("Phiên bản tus không được hỗ trợ (cần 1.0.0)", "Unsupported tus version (1.0.0 only)"),
            headers={"Tus-Version": TUS_VERSION},
        )


def _integer(raw: str | None, name: str) -> int:
    if raw is None or not raw.isdigit() or len(raw) > 18:
        raise _bad(f"{name} phải là số nguyên không âm", f"{name} must be a non-negative integer")
    return int(raw)


def parse_metadata(raw: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64(value)`` pairs (a key alone has no value)."""
    out: dict[str, str] = {}
    if not raw:
        return out
    if len(raw) > 4096:
        raise _bad("Upload-Metadata quá dài", "Upload-Metadata is too long")
    for pair in raw.split(","):
        bits = pair.strip().split(" ")
        key = bits[0]
        if not key or len(bits) > 2 or key in out or not key.isascii():
            raise _bad("Upload-Metadata không hợp lệ", "Malformed Upload-Metadata")
        try:
            out[key] = base64.b64decode(bits[1], validate=True).decode("utf-8") if len(bits) == 2 else ""
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise _bad(
                "Upload-Metadata không hợp lệ (base64)", "Malformed Upload-Metadata (base64)"
            ) from None
    return out


def parse_checksum(raw: str | None) -> Checksum | None:
    if raw is None:
        return None
    bits = raw.strip().split(" ")
    if len(bits) != 2 or bits[0].lower() not in CHECKSUMS:
        raise _bad(
            "Upload-Checksum: thuật toán không hỗ trợ (sha1, sha256, md5)",
            "Upload-Checksum: unsupported algorithm (sha1, sha256, md5)",
        )
    try:
        digest = base64.b64decode(bits[1], validate=True)
    except (binascii.Error, ValueError):
        raise _bad("Upload-Checksum không hợp lệ", "Malformed Upload-Checksum") from None
    return Checksum(bits[0].lower(), digest)


def _state(rec: UploadRecord) -> dict[str, str]:
    return {
        **TUS_HEADERS,
        "Upload-Offset": str(rec.offset),
        "Upload-Expires": format_datetime(rec.expires_at, usegmt=True),
        "Cache-Control": "no-store",
    }


async def _body(request: Request) -> AsyncIterator[bytes]:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise Interrupted from None


OPTIONS_HEADERS = {
    h: S for h in ("Tus-Resumable", "Tus-Version", "Tus-Extension", "Tus-Max-Size", "Tus-Checksum-Algorithm")
}


@router.options(
    "/uploads",
    status_code=204,
    response_class=Response,
    summary="Khả năng tus của máy chủ / the server's tus capabilities",
    responses={204: {"description": "Tus-Version, Tus-Extension, Tus-Max-Size", "headers": OPTIONS_HEADERS}},
)
async def capabilities(s: Svc) -> Response:
    return Response(
        status_code=204,
        headers={
            **TUS_HEADERS,
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(s.settings.max_file_bytes),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
        },
    )


@router.post(
    "/uploads",
    status_code=201,
    response_class=Response,
    summary="Tạo phiên tải tệp có thể tiếp tục (tus) / create a resumable upload (tus creation)",
    description="`Upload-Length` (required; `Upload-Defer-Length` is not supported) and `Upload-Metadata` "
    "(base64 values: `dossier_id`, `component_id`, `filename`, `filetype`). The caller must be able to add "
    "files to the dossier now; the length, the file count and the type the name says are checked as for a "
    "plain upload. Answers `Location: /api/v1/submissions/uploads/{upload_id}`. When the upload is "
    "complete, attach it with `POST /dossiers/{id}/attachments {upload_id, component_id}`.",
    responses={
        201: {"description": "Created", "headers": {"Location": S, "Tus-Resumable": S, "Upload-Expires": S}}
    }
    | problems(
        BAD_HEADER,
        (404, "Không có hồ sơ này hoặc không phải của bạn / no such dossier, or not yours"),
        (409, "Hồ sơ đã nộp hoặc đủ số tệp / submitted, or too many files"),
        VERSION,
        (
            413,
            "Tệp vượt giới hạn của thành phần hoặc hồ sơ / the file exceeds the component's or the "
            "dossier's limit",
        ),
        (415, "Loại tệp (theo tên) không được nhận / a refused file type (by its name)"),
        (422, "Thành phần không có, tên tệp sai, hoặc tệp rỗng / unknown component, bad name, or empty"),
        (503, "Kho tệp gián đoạn / file storage unavailable"),
    ),
)
async def create(
    who: Citizen,
    s: Svc,
    tus_resumable: Annotated[str | None, Header()] = None,
    upload_length: Annotated[str | None, Header()] = None,
    upload_defer_length: Annotated[str | None, Header()] = None,
    upload_metadata: Annotated[str | None, Header()] = None,
) -> Response:
    try:
        _version(tus_resumable)
        if upload_defer_length is not None:
            raise _bad("Upload-Defer-Length không được hỗ trợ", "Upload-Defer-Length is not supported")
        length = _integer(upload_length, "Upload-Length")
        if length > s.settings.max_file_bytes:
            raise Problem(
                413,
                "file-too-large",
                Text("Tệp vượt quá giới hạn", "The file exceeds the limit"),
                extra={"limit_bytes": s.settings.max_file_bytes},
            )
        rec = await s.uploads.create(who, length=length, metadata=parse_metadata(upload_metadata))
    except Problem as p:
        raise _tus(p) from None
    return Response(
        status_code=201,
        headers={
            **TUS_HEADERS,
            "Location": f"/api/v1/submissions/uploads/{rec.id}",
            "Upload-Expires": format_datetime(rec.expires_at, usegmt=True),
        },
    )


STATE_HEADERS = {
    "Upload-Offset": S,
    "Upload-Length": S,
    "Upload-Expires": S,
    "Tus-Resumable": S,
    "Cache-Control": S,
}


@router.head(
    "/uploads/{upload_id}",
    response_class=Response,
    summary="Vị trí tải hiện tại / an upload's current offset",
    responses={200: {"description": "Upload-Offset, Upload-Length", "headers": STATE_HEADERS}}
    | problems(NOT_YOURS, GONE, VERSION),
)
async def offset(
    upload_id: UploadId, who: Citizen, s: Svc, tus_resumable: Annotated[str | None, Header()] = None
) -> Response:
    try:
        _version(tus_resumable)
        rec = await s.uploads.mine(who, upload_id)
    except Problem as p:
        raise _tus(dataclasses.replace(p, headers={**p.headers, "Cache-Control": "no-store"})) from None
    return Response(status_code=200, headers={**_state(rec), "Upload-Length": str(rec.length)})


@router.patch(
    "/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    summary="Gửi tiếp dữ liệu từ vị trí hiện tại / send the next bytes",
    description="`Content-Type: application/offset+octet-stream`, `Upload-Offset` equal to the server's "
    "(else 409 with the current one), optional `Upload-Checksum: <sha1|sha256|md5> <base64>` (the chunk "
    "counts only if it matches: else 460 and the offset stays). A body the connection breaks off is kept up "
    "to where it broke (without a checksum). The type is read from the first bytes as they arrive (415: "
    "the upload is refused and gone).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {OFFSET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
    responses={204: {"description": "Upload-Offset after the chunk", "headers": STATE_HEADERS}}
    | problems(
        BAD_HEADER,
        NOT_YOURS,
        (409, "Upload-Offset không khớp / Upload-Offset does not match the server's"),
        GONE,
        VERSION,
        (413, "Vượt quá Upload-Length / more bytes than Upload-Length"),
        (415, "Không phải application/offset+octet-stream, hoặc loại tệp bị từ chối / refused type"),
        (423, "Một yêu cầu khác đang ghi phiên này / another request is writing this upload"),
        (460, "Sai mã kiểm tra (Upload-Checksum) / checksum mismatch"),
        (503, "Kho tệp gián đoạn / file storage unavailable"),
    ),
)
async def append(
    upload_id: UploadId,
    who: Citizen,
    s: Svc,
    request: Request,
    tus_resumable: Annotated[str | None, Header()] = None,
    upload_offset: Annotated[str | None, Header()] = None,
    upload_checksum: Annotated[str | None, Header()] = None,
) -> Response:
    try:
        _version(tus_resumable)
        mime = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if mime != OFFSET_STREAM:
            raise Problem(
                415,
                "unsupported-media-type",
                Text(
                    "Nội dung phải là application/offset+octet-stream",
                    "The body must be application/offset+octet-stream",
                ),
            )
        at = _integer(upload_offset, "Upload-Offset")
        checksum = parse_checksum(upload_checksum)
        length = request.headers.get("content-length")
        declared = int(length) if length and length.isdigit() else None
        rec = await s.uploads.patch(
            who, upload_id, offset=at, chunks=_body(request), checksum=checksum, declared=declared
        )
    except Interrupted:  # the client is gone: nobody reads this
        return Response(status_code=400, headers=TUS_HEADERS)
    except Problem as p:
        raise _tus(p) from None
    return Response(status_code=204, headers=_state(rec))


@router.delete(
    "/uploads/{upload_id}",
    status_code=204,
    response_class=Response,
    summary="Hủy phiên tải (tus termination) / terminate an upload",
    responses={204: {"description": "Terminated: its parts are removed", "headers": {"Tus-Resumable": S}}}
    | problems(NOT_YOURS, (409, "Đã đính kèm vào hồ sơ / attached to the dossier already"), GONE, VERSION),
)
async def terminate(
    upload_id: UploadId, who: Citizen, s: Svc, tus_resumable: Annotated[str | None, Header()] = None
) -> Response:
    try:
        _version(tus_resumable)
        await s.uploads.terminate(who, upload_id)
    except Problem as p:
        raise _tus(p) from None
    return Response(status_code=204, headers=TUS_HEADERS)
