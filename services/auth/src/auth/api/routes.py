"""HTTP routes of the auth service (mounted under /api/v1/auth)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.errors import Problem, Text, lang_of
from dvckit.etag import Conditioned
from dvckit.paging import Paged

from ..domain.identity import UserQuery
from ..domain.roles import legacy_roles
from ..parts import Parts
from ..service.errors import ROLE_OR_ROLES
from .schemas import (
    AcceptedOut,
    ContactConfirmIn,
    EndedOut,
    ForgotIn,
    LoginIn,
    MeOut,
    MePatch,
    MfaChallengeOut,
    MfaEnrolCodeIn,
    MfaLoginIn,
    MfaTicketIn,
    PasswordChangeIn,
    RefreshIn,
    RegisterAcceptedOut,
    RegisterConfirmIn,
    RegisterIn,
    ResetIn,
    RevokedOut,
    RotatedOut,
    SessionList,
    StaffIn,
    TokensOut,
    TotpEnrolOut,
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


def client_ip(request: Request) -> str:
    # uvicorn has already replaced the peer with X-Forwarded-For's client when it came from the gateway.
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(client_ip)]
SessionId = Annotated[
    str, Path(pattern=r"^[0-9a-f]{32}$", description="A session's `id` (the `sid` of its access tokens)")
]


# -- citizens: accounts ------------------------------------------------------------------------------
REGISTER_ANSWER = (
    "Nếu thông tin hợp lệ, mã xác nhận gồm 6 chữ số đã được gửi bằng tin nhắn đến số điện thoại bạn khai. "
    "Nhập mã để hoàn tất đăng ký. / If the details are valid, a 6-digit code was sent by SMS to the phone "
    "number you gave: enter it to finish registering."
)
WRONG_CODE = (400, "Mã xác nhận sai hoặc hết hạn / wrong or expired code")
PASSWORD_ASKED = (
    (400, "Mật khẩu hiện tại không đúng / wrong current password"),
    (429, "Nhập sai mật khẩu quá nhiều lần / too many wrong passwords (Retry-After)"),
)


@router.post(
    "/register",
    status_code=202,
    response_model=RegisterAcceptedOut,
    tags=["accounts"],
    summary="Đăng ký tài khoản công dân: gửi mã xác nhận đến số điện thoại / register: a code to the phone",
    description="The same answer whether or not the citizen ID or phone already has an account; what "
    "happens next goes to the phone (a code, or a message saying it already has an account). Then "
    "`POST /register/confirm`.",
)
async def register(body: RegisterIn, parts: Parts) -> dict[str, Any]:
    parts.registration.start(
        full_name=body.full_name,
        citizen_id=body.citizen_id,
        phone=body.phone,
        email=body.email,
        password=body.password,
    )
    return {"detail": REGISTER_ANSWER, "expires_in": parts.settings.code_ttl_seconds}


@router.post(
    "/register/confirm",
    status_code=201,
    responses=problems(
        WRONG_CODE, (409, "Đã có tài khoản với số định danh hoặc điện thoại này / already registered")
    ),
    response_model=MeOut,
    tags=["accounts"],
    summary="Xác nhận đăng ký bằng mã / confirm the registration with the code",
)
async def register_confirm(body: RegisterConfirmIn, parts: Parts) -> dict[str, Any]:
    return await parts.registration.confirm(citizen_id=body.citizen_id, phone=body.phone, code=body.code)


@router.get(
    "/me",
    response_model=MeOut,
    tags=["accounts"],
    summary="Tài khoản của tôi / my account",
    responses=problems((404, "Tài khoản không còn / the account is gone")),
)
async def me(who: Caller, parts: Parts, cond: Conditioned) -> object:
    return cond.answer(await parts.accounts.me(who.sub))


@router.patch(
    "/me",
    responses=problems(
        PASSWORD_ASKED[0],
        404,
        (
            429,
            "Nhập sai mật khẩu, hoặc gửi mã, quá nhiều lần / too many wrong passwords or codes (Retry-After)",
        ),
    ),
    response_model=MeOut,
    tags=["accounts"],
    summary="Đổi số điện thoại, email (cần mật khẩu; địa chỉ mới được xác nhận bằng mã) / change phone or "
    "email (password asked again; the new one confirmed by a code)",
)
async def update_me(body: MePatch, who: Caller, ip: ClientIp, parts: Parts) -> dict[str, Any]:
    fields = set(body.model_fields_set) - {"current_password"}
    if "phone" in fields and body.phone is None:
        fields.discard("phone")  # a citizen account always keeps a phone number
    return await parts.accounts.update_contact(
        who.sub,
        current_password=body.current_password,
        phone=body.phone,
        email=body.email,
        fields=fields,
        ip=ip,
    )


@router.post(
    "/me/contact/confirm",
    responses=problems(WRONG_CODE, 404, (409, "Email hoặc điện thoại đã thuộc tài khoản khác / in use")),
    response_model=MeOut,
    tags=["accounts"],
    summary="Xác nhận email, số điện thoại mới bằng mã / confirm the new email or phone with its code",
)
async def confirm_contact(body: ContactConfirmIn, who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.accounts.confirm_contact(who.sub, body.channel, body.code)


@router.post(
    "/password/change",
    status_code=204,
    responses=problems(*PASSWORD_ASKED, 404),
    tags=["accounts"],
    summary="Đổi mật khẩu (đăng xuất mọi thiết bị khác) / change password (ends every other session)",
)
async def change_password(body: PasswordChangeIn, who: Caller, ip: ClientIp, parts: Parts) -> Response:
    await parts.accounts.change_password(who.sub, body.current_password, body.new_password, ip, keep=who.sid)
    return Response(status_code=204)


FORGOT_ANSWER = "Nếu tài khoản tồn tại, mã xác nhận đã được gửi đến email hoặc số điện thoại đã đăng ký."


@router.post(
    "/password/forgot",
    status_code=202,
    response_model=AcceptedOut,
    tags=["accounts"],
    summary="Quên mật khẩu: gửi mã xác nhận / forgot password: send a code",
)
async def forgot(body: ForgotIn, parts: Parts) -> dict[str, str]:
    parts.recovery.forgot(body.username)
    return {"detail": FORGOT_ANSWER}


@router.post(
    "/password/reset",
    status_code=204,
    responses=problems((400, "Mã xác nhận sai hoặc hết hạn / wrong or expired code")),
    tags=["accounts"],
    summary="Đặt lại mật khẩu bằng mã xác nhận / reset the password with the code",
)
async def reset(body: ResetIn, parts: Parts) -> Response:
    await parts.recovery.reset(body.username, body.code, body.new_password)
    return Response(status_code=204)


# -- sessions ----------------------------------------------------------------------------------------
TOO_MANY = (429, "Đăng nhập sai quá nhiều lần / too many failed sign-ins (Retry-After)")
LOCKED = (403, "Tài khoản bị khóa / the account is locked")
BAD_TICKET = (401, "Phiên đăng nhập hết hạn, hoặc mã xác thực sai / the ticket expired, or a wrong code")


@router.post(
    "/login",
    response_model=TokensOut | MfaChallengeOut,
    tags=["sessions"],
    summary="Đăng nhập / sign in",
    description="A citizen gets the token pair. An officer or administrator gets no tokens for the "
    "password alone but an MFA ticket (`mfa`, `mfa_token`): on the first sign-in `enrol` (`POST "
    "/mfa/totp`, then `POST /mfa/totp/verify`), later `totp` (`POST /login/mfa`).",
    responses=problems(
        (401, "Sai tên đăng nhập hoặc mật khẩu / wrong username or password"), LOCKED, TOO_MANY
    ),
)
async def login(body: LoginIn, ip: ClientIp, request: Request, parts: Parts) -> dict[str, Any]:
    return await parts.sessions.login(body.username, body.password, ip, request.headers.get("user-agent", ""))


@router.post(
    "/login/mfa",
    response_model=TokensOut,
    tags=["sessions"],
    summary="Đăng nhập bước 2: mã xác thực / sign in, step 2: the TOTP or a recovery code",
    description="The ticket of `POST /login` (`mfa: totp`) and the code the authenticator app shows "
    "(a code works once) or one of the recovery codes (each once). A wrong code counts towards the "
    "account's lockout like a wrong password; the ticket dies after a few.",
    responses=problems(BAD_TICKET, LOCKED, TOO_MANY),
)
async def login_mfa(body: MfaLoginIn, ip: ClientIp, parts: Parts) -> dict[str, Any]:
    return await parts.mfa.login(body.mfa_token, body.code, ip)


@router.post(
    "/mfa/totp",
    response_model=TotpEnrolOut,
    tags=["sessions"],
    summary="Đăng ký xác thực hai bước: khóa bí mật và mã khôi phục / enrol: the TOTP secret and "
    "recovery codes",
    description="With the ticket of `POST /login` (`mfa: enrol`): a new secret (as an otpauth:// URI for "
    "the QR code, and as text) and ten recovery codes, shown this once. They become the account's with "
    "the first right code (`POST /mfa/totp/verify`); asking again replaces them.",
    responses=problems((401, "Phiên đăng nhập hết hạn / the ticket expired"), LOCKED),
)
async def enrol_totp(body: MfaTicketIn, parts: Parts) -> dict[str, Any]:
    return await parts.mfa.enrol(body.mfa_token)


@router.post(
    "/mfa/totp/verify",
    response_model=TokensOut,
    tags=["sessions"],
    summary="Hoàn tất đăng ký bằng mã đầu tiên / finish enrolling with a first code",
    responses=problems(
        BAD_TICKET, LOCKED, (409, "Chưa bắt đầu đăng ký / no secret made yet (POST /mfa/totp)"), TOO_MANY
    ),
)
async def verify_totp(body: MfaEnrolCodeIn, ip: ClientIp, parts: Parts) -> dict[str, Any]:
    return await parts.mfa.confirm(body.mfa_token, body.code, ip)


@router.post(
    "/refresh",
    responses=problems((401, "Phiên không còn hiệu lực / the refresh token is not valid")),
    response_model=TokensOut,
    tags=["sessions"],
    summary="Làm mới phiên đăng nhập / rotate the refresh token",
)
async def refresh(body: RefreshIn, ip: ClientIp, parts: Parts) -> dict[str, Any]:
    return await parts.sessions.refresh(body.refresh_token, ip)


@router.post("/logout", status_code=204, tags=["sessions"], summary="Đăng xuất / sign out")
async def logout(body: RefreshIn, parts: Parts) -> Response:
    await parts.sessions.logout(body.refresh_token)
    return Response(status_code=204)


@router.get(
    "/sessions",
    response_model=SessionList,
    tags=["sessions"],
    summary="Thiết bị đăng nhập: các phiên đang mở của tôi / my signed-in devices",
    description="Each sign-in is a session until it signs out, is ended here, or its refresh token "
    "expires. `device` and `place` are in the language of `Accept-Language`.",
)
async def sessions(who: Caller, request: Request, parts: Parts, paging: Paged) -> dict[str, Any]:
    listed = await parts.sessions.listed(who, lang_of(request))
    return paging.whole(listed["items"], more=listed["more"])


@router.delete(
    "/sessions/{session_id}",
    status_code=204,
    responses=problems((404, "Không có phiên này, hoặc không phải của bạn / no such session of yours")),
    tags=["sessions"],
    summary="Đăng xuất thiết bị này / end one of my sessions",
    description="Its refresh token stops at once, its access tokens within a poll of the revocation "
    "list (about 20 s) in every service. Someone else's session is not found, as one that never was.",
)
async def end_session(session_id: SessionId, who: Caller, parts: Parts) -> Response:
    await parts.sessions.end(who, session_id)
    return Response(status_code=204)


@router.delete(
    "/sessions",
    response_model=EndedOut,
    tags=["sessions"],
    summary="Đăng xuất tất cả thiết bị (khác) / end all my (other) sessions",
)
async def end_sessions(
    who: Caller,
    parts: Parts,
    keep_current: Annotated[
        bool, Query(description="true: the session of this request stays signed in")
    ] = False,
) -> dict[str, int]:
    return {"ended": await parts.sessions.end_all(who, keep_current=keep_current)}


@router.get(
    "/.well-known/revoked",
    response_model=RevokedOut,
    tags=["sessions"],
    summary="Revocation list: sessions ended and accounts locked within an access token's lifetime",
    description="Polled by every service (dvckit.auth) to refuse the access tokens they cover before "
    "those expire. Without `since`, the whole window; with it, what was listed since (the previous "
    "answer's `now`, less a margin).",
)
async def revoked(
    response: Response,
    parts: Parts,
    since: Annotated[float | None, Query(ge=0, le=1e11, description="Seconds since 1970 (UTC)")] = None,
    after: Annotated[str | None, Query(max_length=200, pattern=r"^(session|user):[0-9a-f]{1,64}$")] = None,
) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=5"
    return await parts.sessions.revoked.listing(since, after)


@router.get("/.well-known/jwks.json", tags=["sessions"], summary="Public signing keys (JWKS)")
async def jwks(response: Response, parts: Parts) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=60"
    return await parts.keys.jwks()


@router.get(
    "/.well-known/edge-keys.json",
    tags=["sessions"],
    summary="The JWKS keys as SPKI, for the gateway's token check",
)
async def edge_keys(response: Response, parts: Parts) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=60"
    return await parts.keys.spki()


# -- administration ----------------------------------------------------------------------------------
@router.post(
    "/users",
    status_code=201,
    responses=problems((409, "Tên đăng nhập, email, điện thoại đã được dùng / already in use")),
    response_model=UserOut,
    tags=["administration"],
    summary="Tạo tài khoản cán bộ, quản trị / create an officer or administrator",
    description="`roles`: any of reception (cán bộ một cửa), specialist (chuyên viên), leader (lãnh "
    "đạo), admin. The account holds them and the marker `officer` with any agency role (`agency-required` "
    "without an agency). The old `role` is still taken: `officer` is reception, specialist and leader.",
)
async def create_user(body: StaffIn, who: Admin, parts: Parts) -> dict[str, Any]:
    if not (body.username or body.email or body.phone or body.citizen_id):
        raise NO_IDENTIFIER
    if (body.role is None) == (body.roles is None):
        raise ROLE_OR_ROLES
    return await parts.accounts.create_staff(
        full_name=body.full_name,
        roles=legacy_roles(body.role) if body.role else list(body.roles or []),
        agencies=body.agencies,
        password=body.password,
        username=body.username,
        email=body.email,
        phone=body.phone,
        citizen_id=body.citizen_id,
        who=who,
    )


@router.get(
    "/users", response_model=UserPage, tags=["administration"], summary="Danh sách tài khoản / list accounts"
)
async def list_users(
    who: Admin,
    parts: Parts,
    paging: Paged,
    role: Annotated[
        str | None, Query(pattern="^(citizen|officer|reception|specialist|leader|admin)$")
    ] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    locked: bool | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    wanted = UserQuery(role=role, agency=agency, locked=locked, q=q)
    w = paging.window(page=page, size=size, max_size=100)
    return paging.finish(w, await parts.accounts.list(wanted, window=w, who=who))


@router.patch(
    "/users/{user_id}",
    responses=problems(404, (409, "Không thể tự khóa mình / an administrator cannot lock themself")),
    response_model=UserOut,
    tags=["administration"],
    summary="Khóa, mở khóa, đổi quyền / lock, unlock, change roles",
    description="`roles` are normalised as at creation (`officer` alone is reception, specialist and "
    "leader; the marker `officer` comes with any of those); an account holding an agency role keeps at "
    "least one agency (422 `agency-required`).",
)
async def update_user(user_id: str, body: UserPatch, who: Admin, parts: Parts) -> dict[str, Any]:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return await parts.accounts.update(who, user_id, changes)


@router.delete(
    "/users/{user_id}/mfa",
    status_code=204,
    responses=problems(
        404,
        (
            409,
            "Không tự đặt lại của mình; hoặc chưa có xác thực hai bước / not one's own; or none enrolled",
        ),
    ),
    tags=["administration"],
    summary="Đặt lại xác thực hai bước của cán bộ (đăng xuất mọi phiên) / reset another's second factor "
    "(ends every session)",
)
async def reset_mfa(user_id: str, who: Admin, parts: Parts) -> Response:
    await parts.mfa.reset(who, user_id)
    return Response(status_code=204)


@router.post(
    "/keys/rotate",
    response_model=RotatedOut,
    tags=["administration"],
    summary="Tạo khóa ký mới / rotate the token signing key",
)
async def rotate_keys(who: Admin, parts: Parts) -> dict[str, Any]:
    kid = await parts.keys.rotate(who=who)
    return {"kid": kid}
