"""Routes of our native apps' sign-in (service/oauth.py): OAuth 2.0 authorization code + PKCE for public
clients, under /api/v1/auth. For app developers: docs/mobile.md."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from dvckit.apidoc import problems

from ..domain.oauth import CLIENT_ID, SCOPE, STATE_MAX, URI_MAX
from ..parts import Parts
from ..service.oauth import NO_STORE, UNKNOWN_CLIENT, AuthorizeRequest, invalid_request
from .routes import Caller, ClientIp
from .schemas import Strict

router = APIRouter(tags=["apps"])
# The gateway counts these routes in the sign-in zone (gateway/policy.toml).
TOO_FAST = (429, "Quá nhiều yêu cầu / too many requests (Retry-After)")
WRONG_CLIENT = (
    400,
    "Ứng dụng không được đăng ký, hoặc địa chỉ trả về không phải của nó (`unknown-client`, "
    "`redirect-uri-mismatch`): không chuyển hướng / an unregistered app or a redirect URI not its own: "
    "no redirect",
)
FORM = "application/x-www-form-urlencoded"
FORM_MAX = 8192  # bytes: a token request is a few hundred
# The authorize URL's parameters, each capped so the whole query fits the gateway's request line (8 KiB,
# even with every character percent-encoded): a longer one is 422 here rather than nginx's 414.
ResponseType = Annotated[str | None, Query(max_length=20)]
ClientId = Annotated[str | None, Query(max_length=64)]
RedirectUri = Annotated[str | None, Query(max_length=URI_MAX)]
Challenge = Annotated[str | None, Query(max_length=128)]
Method = Annotated[str | None, Query(max_length=10)]
State = Annotated[str | None, Query(max_length=STATE_MAX)]
Scope = Annotated[str | None, Query(max_length=50)]


class AuthorizeIn(Strict):
    """The authorization request the portal page received, and the person's answer."""

    response_type: str | None = Field(default=None, max_length=20)
    client_id: str | None = Field(default=None, max_length=64)
    redirect_uri: str | None = Field(default=None, max_length=URI_MAX)
    code_challenge: str | None = Field(default=None, max_length=128)
    code_challenge_method: str | None = Field(default=None, max_length=10)
    state: str | None = Field(default=None, max_length=STATE_MAX)
    scope: str | None = Field(default=None, max_length=50)
    approve: bool = Field(description="true: the person allows the app to sign in as them; false: refuses")


class RedirectOut(BaseModel):
    redirect_to: str = Field(
        description="Where the browser goes: the app's redirect URI with `code`, `state` and `iss`, or with "
        "`error=access_denied` (or another RFC 6749 §4.1.2.1 error)"
    )


class ClientOut(BaseModel):
    client_id: str
    name: str = Field(description="Tên ứng dụng / the app's name (Vietnamese)")
    name_en: str = Field(description="The app's name in English (empty: the Vietnamese one)")


class OAuthTokensOut(BaseModel):
    """RFC 6749 §5.1, and what `POST /login` gives."""

    access_token: str
    token_type: str = Field(description="Bearer")
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    scope: str


TOKEN_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type", "client_id"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["authorization_code", "refresh_token"]},
                        "client_id": {"type": "string"},
                        "code": {"type": "string", "description": "authorization_code: the code"},
                        "redirect_uri": {
                            "type": "string",
                            "description": "authorization_code: the redirect URI of the request",
                        },
                        "code_verifier": {
                            "type": "string",
                            "description": "authorization_code: the PKCE verifier (43-128 characters)",
                        },
                        "refresh_token": {"type": "string", "description": "refresh_token: the token"},
                        "scope": {"type": "string", "description": f"refresh_token: at most `{SCOPE}`"},
                    },
                }
            }
        },
    }
}


@router.get(
    "/oauth/authorize",
    status_code=302,
    response_class=RedirectResponse,
    summary="Ứng dụng đăng nhập: bắt đầu (OAuth 2.0 + PKCE) / an app's sign-in begins",
    description="Opened by the app in the system browser (RFC 8252). A registered `client_id` and one of "
    "its redirect URIs (loopback ones at any port): 302 to the portal page `/dang-nhap/ung-dung` where the "
    "person signs in and consents; other errors go back to the app (`error=…`). `response_type=code`, "
    "`code_challenge_method=S256` (plain is refused), `scope` " + SCOPE + " (or none). docs/mobile.md",
    responses=problems(WRONG_CLIENT, TOO_FAST),
)
async def app_authorize(
    parts: Parts,
    response_type: ResponseType = None,
    client_id: ClientId = None,
    redirect_uri: RedirectUri = None,
    code_challenge: Challenge = None,
    code_challenge_method: Method = None,
    state: State = None,
    scope: Scope = None,
) -> RedirectResponse:
    req = AuthorizeRequest(
        response_type, client_id, redirect_uri, code_challenge, code_challenge_method, state, scope
    )
    return RedirectResponse(parts.oauth.begin(req), status_code=302, headers=NO_STORE)


@router.post(
    "/oauth/authorize",
    response_model=RedirectOut,
    summary="Cho phép hoặc từ chối ứng dụng đăng nhập / allow or refuse an app's sign-in",
    description="Called by the portal page with the person's own access token and the request it "
    "received. A staff member's session must have been signed in with the second factor "
    "(`second-factor-required`). The answer says where the browser goes next.",
    responses=problems(
        WRONG_CLIENT,
        (403, "Cán bộ chưa xác thực hai bước, hoặc tài khoản bị khóa / staff without the second factor"),
        TOO_FAST,
    ),
)
async def decide(body: AuthorizeIn, who: Caller, response: Response, parts: Parts) -> dict[str, str]:
    req = AuthorizeRequest(**body.model_dump(exclude={"approve"}))
    response.headers.update(NO_STORE)
    return {"redirect_to": await parts.oauth.decide(who, req, body.approve)}


@router.get(
    "/oauth/clients/{client_id}",
    response_model=ClientOut,
    summary="Ứng dụng đã đăng ký: tên hiển thị / a registered app's name",
    description="The consent page shows the app's name from here (never from its own address). With "
    "`redirect_uri`, that it is one of the app's.",
    responses=problems(WRONG_CLIENT),
)
async def client(
    parts: Parts,
    client_id: Annotated[str, Path(max_length=64)],
    redirect_uri: RedirectUri = None,
) -> dict[str, str]:
    if redirect_uri is not None:
        found = parts.oauth.client(client_id, redirect_uri)
    else:
        found = parts.settings.oauth_client(client_id) if CLIENT_ID.match(client_id) else None
        if found is None:
            raise UNKNOWN_CLIENT
    return {"client_id": found.client_id, "name": found.name, "name_en": found.name_en}


@router.post(
    "/oauth/token",
    response_model=OAuthTokensOut,
    summary="Ứng dụng đổi mã lấy phiên đăng nhập, làm mới / an app's tokens: the code, or a refresh",
    description="Form-encoded (RFC 6749 §4.1.3, §6), public client (`client_id`, no secret). "
    "`authorization_code`: `code`, `redirect_uri`, `code_verifier`; `refresh_token`: `refresh_token` "
    "(rotated: the old one is spent; a spent one presented again ends the session). Errors are RFC 6749 "
    "§5.2 (`error`, `error_description`) and problem+json (`code`: `invalid-request`, `invalid-grant`, "
    "`invalid-client`, `unsupported-grant-type`, `invalid-scope`).",
    responses=problems(
        (400, "invalid_request, invalid_grant, unsupported_grant_type, invalid_scope"),
        (401, "invalid_client: no such app"),
        TOO_FAST,
    ),
    openapi_extra=TOKEN_FORM,
)
async def app_token(request: Request, ip: ClientIp, parts: Parts) -> JSONResponse:
    form = await _form(request)
    tokens = await parts.oauth.token(form, ip, request.headers.get("user-agent", ""))
    return JSONResponse(tokens, headers=NO_STORE)


async def _form(request: Request) -> dict[str, str]:
    """The token request's parameters: form-encoded, each at most once (RFC 6749 §3.2)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != FORM:
        raise invalid_request(f"the body is {FORM}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX:
            raise invalid_request("the body is too large")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        raise invalid_request("the body is not form-encoded") from None
    form: dict[str, str] = {}
    for k, v in pairs:
        if k in form:
            raise invalid_request(f"{k} is given more than once")
        if v:  # an empty parameter is as if omitted (RFC 6749 §3.1)
            form[k] = v
    return form


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="OAuth 2.0 authorization server metadata (RFC 8414) for our apps",
)
async def metadata(response: Response, parts: Parts) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return parts.oauth.metadata()
