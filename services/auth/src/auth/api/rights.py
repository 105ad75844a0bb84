"""A citizen's rights over their data (docs/auth.md, "Your data"): the export of everything the system
holds about them, and closing their account. Mounted under /api/v1/auth."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import StreamingResponse

from dvckit.apidoc import problems
from dvckit.auth import Principal, require

from ..adapters.archive import stream
from ..parts import Parts
from .routes import ClientIp
from .schemas import CloseCodeOut, CloseIn

router = APIRouter(tags=["your data"])
Citizen = Annotated[Principal, Depends(require("citizen"))]


def bearer(request: Request) -> str:
    """The caller's own Authorization header, passed on to the services asked for their part."""
    return request.headers.get("authorization", "")


Bearer = Annotated[str, Depends(bearer)]


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}}
    | problems(
        (429, "Tải quá nhiều lần, vui lòng chờ / too many exports, wait a minute (the gateway)"),
        (503, "Một dịch vụ chưa trả lời: không tạo tệp thiếu phần / a service did not answer"),
    ),
    summary="Tải toàn bộ dữ liệu cá nhân (tệp ZIP) / download all my data (a ZIP archive)",
    description="One archive (`du-lieu-ca-nhan-<date>.zip`): `README.txt`, `account.json`, "
    "`dossiers.json` and the files under `tep/`, `notifications.json`, `payments.json`, `audit.json`. "
    "Each service gives its part for the caller's own token; if one does not answer, 503 and no archive.",
)
async def export(who: Citizen, token: Bearer, parts: Parts) -> Response:
    path = await parts.your_data.export(who, token)
    name = f"du-lieu-ca-nhan-{datetime.now(UTC):%Y-%m-%d}.zip"
    return StreamingResponse(
        stream(path),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.post(
    "/me/close",
    status_code=204,
    responses=problems(
        (400, "Mật khẩu hiện tại hoặc mã không đúng / wrong current password or code"),
        (403, "Tài khoản cán bộ, quản trị / a staff or administrator account"),
        (
            409,
            "Còn hồ sơ đang giải quyết, là đại diện duy nhất của tổ chức, hoặc chưa có mật khẩu / a dossier "
            "in hand, the last representative of an organisation, or no password",
        ),
        (422, "Chưa xác nhận / not confirmed"),
        (429, "Nhập sai mật khẩu quá nhiều lần / too many wrong passwords (Retry-After)"),
        (503, "Không hỏi được dịch vụ hồ sơ / the dossiers could not be checked"),
    ),
    summary="Đóng tài khoản / close my account",
    description="With `confirm: true` and the current password, or instead the code of `POST "
    "/me/close/code` (an account made through VNeID has no password). The account is anonymised (name, "
    "contacts, citizen ID, VNeID link removed; nobody signs in to it; the citizen ID, phone and email "
    "free for a new account), every session ends, and `user.closed.v1` has each service erase what the "
    "law does not require it to keep: drafts and notifications go; filed dossiers, payments and the "
    'audit trail stay (docs/auth.md, "Your data").',
)
async def close(body: CloseIn, who: Citizen, token: Bearer, ip: ClientIp, parts: Parts) -> Response:
    await parts.your_data.close(
        who, token, password=body.current_password, code=body.code, confirm=body.confirm, ip=ip
    )
    return Response(status_code=204)


@router.post(
    "/me/close/code",
    status_code=202,
    response_model=CloseCodeOut,
    responses=problems(
        (403, "Tài khoản cán bộ, quản trị / a staff or administrator account"),
        (409, "Không có số điện thoại, email đã xác nhận / no confirmed phone or email"),
        (429, "Đã gửi quá nhiều mã / too many codes (Retry-After)"),
    ),
    summary="Gửi mã xác nhận để đóng tài khoản / a code to close my account with",
    description="A 6-digit code to the account's confirmed phone (else its email), valid 10 minutes, for "
    "`POST /me/close {code, confirm: true}` instead of the password.",
)
async def close_code(who: Citizen, parts: Parts) -> dict[str, object]:
    return await parts.your_data.send_code(who)
