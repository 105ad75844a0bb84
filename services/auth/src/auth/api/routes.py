"""HTTP routes of the auth service (mounted under /api/v1/auth)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.errors import Problem, Text

from ..adapters.store import public
from .schemas import (
    AcceptedOut,
    ForgotIn,
    LoginIn,
    MePatch,
    PasswordChangeIn,
    RefreshIn,
    RegisterIn,
    ResetIn,
    RotatedOut,
    StaffIn,
    TokensOut,
    UserOut,
    UserPage,
    UserPatch,
)

router = APIRouter()
Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require("admin"))]

NO_IDENTIFIER = Problem(
    422,
    "login-name-required",
    Text(
        "Cần ít nhất một tên đăng nhập: tên đăng nhập, email, số điện thoại hoặc số định danh",
        "At least one login name is needed: username, email, phone or citizen ID",
    ),
)


def app_state(request: Request) -> Any:
    return request.app.state


def client_ip(request: Request) -> str:
    # uvicorn has already replaced the peer with X-Forwarded-For's client when it came from the gateway.
    return request.client.host if request.client else "unknown"


# -- citizens: accounts ------------------------------------------------------------------------------
@router.post(
    "/register",
    status_code=201,
    responses=problems((409, "Số định danh, điện thoại, email đã được dùng / already in use")),
    response_model=UserOut,
    tags=["accounts"],
    summary="Đăng ký tài khoản công dân / register a citizen account",
)
async def register(body: RegisterIn, request: Request) -> dict[str, Any]:
    return await app_state(request).accounts.register(
        full_name=body.full_name,
        citizen_id=body.citizen_id,
        phone=body.phone,
        email=body.email,
        password=body.password,
    )


@router.get(
    "/me",
    response_model=UserOut,
    tags=["accounts"],
    summary="Tài khoản của tôi / my account",
    responses=problems((404, "Tài khoản không còn / the account is gone")),
)
async def me(who: Caller, request: Request) -> dict[str, Any]:
    return public(await app_state(request).accounts.get(who.sub))


@router.patch(
    "/me",
    responses=problems(404, (409, "Số điện thoại hoặc email đã được dùng / already in use")),
    response_model=UserOut,
    tags=["accounts"],
    summary="Đổi số điện thoại, email / change phone or email",
)
async def update_me(body: MePatch, who: Caller, request: Request) -> dict[str, Any]:
    fields = set(body.model_fields_set)
    if "phone" in fields and body.phone is None:
        fields.discard("phone")  # a citizen account always keeps a phone number
    return await app_state(request).accounts.update_contact(
        who.sub, phone=body.phone, email=body.email, fields=fields
    )


@router.post(
    "/password/change",
    status_code=204,
    responses=problems((400, "Mật khẩu hiện tại không đúng / wrong current password"), 404),
    tags=["accounts"],
    summary="Đổi mật khẩu (đăng xuất mọi phiên) / change password (ends every session)",
)
async def change_password(body: PasswordChangeIn, who: Caller, request: Request) -> Response:
    await app_state(request).accounts.change_password(who.sub, body.current_password, body.new_password)
    return Response(status_code=204)


FORGOT_ANSWER = "Nếu tài khoản tồn tại, mã xác nhận đã được gửi đến email hoặc số điện thoại đã đăng ký."


@router.post(
    "/password/forgot",
    status_code=202,
    response_model=AcceptedOut,
    tags=["accounts"],
    summary="Quên mật khẩu: gửi mã xác nhận / forgot password: send a code",
)
async def forgot(body: ForgotIn, request: Request) -> dict[str, str]:
    await app_state(request).recovery.forgot(body.username, client_ip(request))
    return {"detail": FORGOT_ANSWER}


@router.post(
    "/password/reset",
    status_code=204,
    responses=problems((400, "Mã xác nhận sai hoặc hết hạn / wrong or expired code")),
    tags=["accounts"],
    summary="Đặt lại mật khẩu bằng mã xác nhận / reset the password with the code",
)
async def reset(body: ResetIn, request: Request) -> Response:
    await app_state(request).recovery.reset(body.username, body.code, body.new_password)
    return Response(status_code=204)


# -- sessions ----------------------------------------------------------------------------------------
@router.post(
    "/login",
    response_model=TokensOut,
    tags=["sessions"],
    summary="Đăng nhập / sign in",
    responses=problems(
        (401, "Sai tên đăng nhập hoặc mật khẩu / wrong username or password"),
        (403, "Tài khoản bị khóa / the account is locked"),
        (429, "Đăng nhập sai quá nhiều lần / too many failed sign-ins (Retry-After)"),
    ),
)
async def login(body: LoginIn, request: Request) -> dict[str, Any]:
    return await app_state(request).sessions.login(body.username, body.password, client_ip(request))


@router.post(
    "/refresh",
    responses=problems((401, "Phiên không còn hiệu lực / the refresh token is not valid")),
    response_model=TokensOut,
    tags=["sessions"],
    summary="Làm mới phiên đăng nhập / rotate the refresh token",
)
async def refresh(body: RefreshIn, request: Request) -> dict[str, Any]:
    return await app_state(request).sessions.refresh(body.refresh_token)


@router.post("/logout", status_code=204, tags=["sessions"], summary="Đăng xuất / sign out")
async def logout(body: RefreshIn, request: Request) -> Response:
    await app_state(request).sessions.logout(body.refresh_token)
    return Response(status_code=204)


@router.get("/.well-known/jwks.json", tags=["sessions"], summary="Public signing keys (JWKS)")
async def jwks(request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=60"
    return await app_state(request).keys.jwks()


@router.get(
    "/.well-known/edge-keys.json",
    tags=["sessions"],
    summary="The JWKS keys as SPKI, for the gateway's token check",
)
async def edge_keys(request: Request, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=60"
    return await app_state(request).keys.spki()


# -- administration ----------------------------------------------------------------------------------
@router.post(
    "/users",
    status_code=201,
    responses=problems((409, "Tên đăng nhập, email, điện thoại đã được dùng / already in use")),
    response_model=UserOut,
    tags=["administration"],
    summary="Tạo tài khoản cán bộ, quản trị / create an officer or administrator",
)
async def create_user(body: StaffIn, who: Admin, request: Request) -> dict[str, Any]:
    if not (body.username or body.email or body.phone or body.citizen_id):
        raise NO_IDENTIFIER
    if body.role == "officer" and not body.agencies:
        raise Problem(
            422,
            "agency-required",
            Text("Cán bộ phải thuộc ít nhất một cơ quan", "An officer belongs to at least one agency"),
        )
    return await app_state(request).accounts.create_staff(
        full_name=body.full_name,
        role=body.role,
        agencies=body.agencies,
        password=body.password,
        username=body.username,
        email=body.email,
        phone=body.phone,
        citizen_id=body.citizen_id,
    )


@router.get(
    "/users", response_model=UserPage, tags=["administration"], summary="Danh sách tài khoản / list accounts"
)
async def list_users(
    who: Admin,
    request: Request,
    role: Annotated[str | None, Query(pattern="^(citizen|officer|admin)$")] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    locked: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    return await app_state(request).accounts.list(
        role=role, agency=agency, locked=locked, q=q, page=page, size=size
    )


@router.patch(
    "/users/{user_id}",
    responses=problems(404, (409, "Không thể tự khóa mình / an administrator cannot lock themself")),
    response_model=UserOut,
    tags=["administration"],
    summary="Khóa, mở khóa, đổi quyền / lock, unlock, change roles",
)
async def update_user(user_id: str, body: UserPatch, who: Admin, request: Request) -> dict[str, Any]:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return await app_state(request).accounts.update(who, user_id, changes)


@router.post(
    "/keys/rotate",
    response_model=RotatedOut,
    tags=["administration"],
    summary="Tạo khóa ký mới / rotate the token signing key",
)
async def rotate_keys(who: Admin, request: Request) -> dict[str, Any]:
    kid = await app_state(request).keys.rotate()
    return {"kid": kid}
