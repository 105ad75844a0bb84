"""Routes of the sign-in with VNeID (service/vneid.py), under /api/v1/auth/oidc/vneid."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import Field

from dvckit.apidoc import problems

from ..parts import Parts
from ..service.sessions import origin
from .routes import PASSWORD_ASKED, ClientIp
from .schemas import Password, Strict, TokensOut

router = APIRouter(prefix="/oidc/vneid", tags=["vneid"])
Ticket = Annotated[str, Field(min_length=20, max_length=100, description="Vé một lần từ địa chỉ trả về")]
NOT_OFFERED = (404, "Chưa cấu hình đăng nhập bằng VNeID / VNeID sign-in is not configured")
BAD_TICKET = (400, "Vé không hợp lệ hoặc đã hết hạn / the ticket is invalid or has expired")
# The gateway counts these routes in the sign-in zone (gateway/policy.toml).
TOO_FAST = (429, "Quá nhiều yêu cầu / too many requests (Retry-After)")


class TicketIn(Strict):
    ticket: Ticket


class LinkIn(Strict):
    ticket: Ticket
    password: Password = Field(description="Mật khẩu của tài khoản đã đăng ký / the account's password")


@router.get(
    "/authorize",
    status_code=302,
    response_class=RedirectResponse,
    summary="Đăng nhập bằng tài khoản định danh điện tử VNeID / sign in with VNeID",
    description="302 đến VNeID (mã ủy quyền, PKCE S256, state, nonce). / "
    "302 to the provider (authorization code flow with PKCE S256, state and nonce).",
    responses=problems(NOT_OFFERED, TOO_FAST, (503, "VNeID không phản hồi / the provider is not answering")),
)
async def authorize(parts: Parts) -> RedirectResponse:
    return RedirectResponse(await parts.vneid.begin(), status_code=302, headers={"Cache-Control": "no-store"})


@router.get(
    "/callback",
    status_code=302,
    response_class=RedirectResponse,
    summary="VNeID trả về / the provider's answer",
    description="302 về cổng dịch vụ công với vé một lần (#vneid=…), vé liên kết tài khoản (#vneid_link=…) "
    "hoặc lý do lỗi (#vneid_error=…). / 302 back to the portal with a one-time ticket, a ticket to link "
    "a self-registered account, or why the sign-in failed, in the URL's fragment.",
    responses=problems(NOT_OFFERED, TOO_FAST),
)
async def callback(
    parts: Parts,
    state: Annotated[str | None, Query(max_length=200)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    target = await parts.vneid.finish(state=state, code=code, error=error)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


@router.post(
    "/token",
    response_model=TokensOut,
    summary="Đổi vé lấy phiên đăng nhập / the ticket's tokens",
    responses=problems(NOT_OFFERED, BAD_TICKET, TOO_FAST),
)
async def token(body: TicketIn, ip: ClientIp, request: Request, parts: Parts) -> dict[str, Any]:
    return await parts.vneid.tokens(body.ticket, origin(ip, request.headers.get("user-agent", "")))


@router.post(
    "/link",
    response_model=TokensOut,
    summary="Gắn VNeID vào tài khoản đã đăng ký / link the VNeID identity to a registered account",
    description="Tài khoản tự đăng ký có cùng số định danh: cần mật khẩu của tài khoản đó. / "
    "A self-registered account holds the identity's citizen ID: its password proves its holder.",
    responses=problems(
        NOT_OFFERED, BAD_TICKET, TOO_FAST, *PASSWORD_ASKED, (409, "VNeID đã gắn với tài khoản khác")
    ),
)
async def link(body: LinkIn, ip: ClientIp, request: Request, parts: Parts) -> dict[str, Any]:
    began = origin(ip, request.headers.get("user-agent", ""))
    return await parts.vneid.link(body.ticket, body.password, ip, began)
