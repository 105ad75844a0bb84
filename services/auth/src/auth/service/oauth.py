"""Our native apps sign in: OAuth 2.0 authorization code with PKCE, public clients (RFC 6749, RFC 7636
S256 only, RFC 8252; docs/auth.md "Sign-in of our apps", docs/mobile.md for app developers).

1. ``begin`` (``GET /oauth/authorize``, opened by the app in the system browser): the client and its
   exact redirect URI are checked first; a wrong one is a problem shown where the browser is, never a
   redirect (an open redirector would hand codes to anyone). Anything else wrong goes back to the app as
   ``error=…`` (RFC 6749 §4.1.2.1). A good request goes on to the portal's page (``/dang-nhap/ung-dung``)
   with the request in its query: nothing is stored yet.
2. There the person signs in as usual (password and, for staff, the second factor; or VNeID) and
   consents; the portal sends the request and the answer with the person's own access token
   (``decide``, ``POST /oauth/authorize``) and gets back where the browser goes: the app's redirect URI
   with ``code`` and ``state`` (and ``iss``, RFC 9207), or with ``error=access_denied``.
3. The app exchanges the code with its PKCE verifier (``token``, ``POST /oauth/token``): a new session
   named after the app, the same token pair as ``POST /login``. The code is random, kept only as its
   SHA-256, used once within 60 s, bound to the client, the redirect URI, the challenge and the person;
   presented again, it ends the session its first use made. Refreshing goes through the same endpoint
   (``grant_type=refresh_token``) and the same rotation and reuse detection as ``POST /refresh``.

Staff may sign an app in only from a portal session made with their second factor: the code remembers
it, and so does the session it makes (a staff session without it never refreshes, service/sessions.py).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from dvckit import logs
from dvckit.auth import Principal
from dvckit.errors import Problem, Text

from ..adapters.repos import Repositories
from ..config import Settings
from ..domain.identity import login_key
from ..domain.oauth import (
    CHALLENGE,
    CLIENT_ID,
    SCOPE,
    SCOPES,
    STATE_MAX,
    URI_MAX,
    Client,
    scope_of,
    verifier_matches,
    with_query,
)
from .errors import ACCOUNT_LOCKED
from .sessions import Sessions, origin

log = logs.get(__name__)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class AuthorizeRequest:
    """The query of ``GET /oauth/authorize``, and the body of its ``POST`` (the same names)."""

    response_type: str | None = None
    client_id: str | None = None
    redirect_uri: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    state: str | None = None
    scope: str | None = None

    def query(self) -> str:
        """The request again, as the portal page receives it."""
        return urlencode({k: v for k, v in self.__dict__.items() if v is not None})


# -- the person's side: problems shown in the browser (never sent to an unverified redirect URI) ---------
UNKNOWN_CLIENT = Problem(
    400,
    "unknown-client",
    Text("Ứng dụng không được đăng ký với Cổng", "The app is not registered with the portal"),
    Text(
        "Ứng dụng yêu cầu đăng nhập không có trong danh sách ứng dụng được phép. Đừng nhập mật khẩu vào ứng "
        "dụng này.",
        "The app asking to sign in is not among the registered apps. Do not give it your password.",
    ),
)
BAD_REDIRECT = Problem(
    400,
    "redirect-uri-mismatch",
    Text(
        "Địa chỉ trả về không được đăng ký cho ứng dụng này",
        "The redirect URI is not one registered for this app",
    ),
)
SECOND_FACTOR_NEEDED = Problem(
    403,
    "second-factor-required",
    Text(
        "Cán bộ cần đăng nhập lại bằng xác thực hai bước trước khi cho phép ứng dụng",
        "Staff must sign in again with their second factor before allowing an app",
    ),
)


# -- the app's side: RFC 6749 §5.2 errors, which are problems too (one error shape for apps) -------------
def oauth_problem(status: int, error: str, description: str, title: Text) -> Problem:
    """An RFC 6749 error (``error``, ``error_description``: ASCII, English) that is also problem+json
    (``type``, ``title``, ``status``, ``code``, ``detail`` in the asked language); never cached."""
    return Problem(
        status,
        error.replace("_", "-"),
        title,
        extra={"error": error, "error_description": description},
        headers=NO_STORE,
    )


def invalid_request(description: str) -> Problem:
    return oauth_problem(
        400, "invalid_request", description, Text("Yêu cầu không hợp lệ", "The request is invalid")
    )


def invalid_grant(description: str) -> Problem:
    return oauth_problem(
        400,
        "invalid_grant",
        description,
        Text(
            "Mã ủy quyền hoặc mã làm mới không hợp lệ, đã dùng hoặc đã hết hạn",
            "The authorization code or refresh token is invalid, used or expired",
        ),
    )


INVALID_CLIENT = oauth_problem(
    401,
    "invalid_client",
    "unknown client_id",
    Text("Ứng dụng không được đăng ký với Cổng", "The app is not registered with the portal"),
)
UNSUPPORTED_GRANT = oauth_problem(
    400,
    "unsupported_grant_type",
    "grant_type is authorization_code or refresh_token",
    Text("Loại yêu cầu cấp mã không được hỗ trợ", "The grant type is not supported"),
)
INVALID_SCOPE = oauth_problem(
    400, "invalid_scope", f"the scope is {SCOPE}", Text("Phạm vi không hợp lệ", "The scope is invalid")
)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class AppSignIn:
    def __init__(self, settings: Settings, repos: Repositories, sessions: Sessions) -> None:
        self.s = settings
        self.codes = repos.oauth_codes
        self.users = repos.users
        self.tokens = repos.tokens
        self.sessions = sessions

    # -- step 1 and the consent page ----------------------------------------------------------------------
    def client(self, client_id: str | None, redirect_uri: str | None) -> Client:
        """The registered client whose redirect URI this is; otherwise the problem the browser shows."""
        found = self.s.oauth_client(client_id) if client_id and CLIENT_ID.match(client_id) else None
        if found is None:
            raise UNKNOWN_CLIENT
        if not redirect_uri or len(redirect_uri) > URI_MAX or not found.allows(redirect_uri):
            raise BAD_REDIRECT
        return found

    def _refused(self, req: AuthorizeRequest) -> tuple[str, str] | None:
        """What is wrong with a request whose client and redirect URI are right (sent back to the app)."""
        if req.response_type != "code":
            return "unsupported_response_type", "response_type must be code"
        if not req.code_challenge:
            return "invalid_request", "code_challenge is required (PKCE, RFC 7636)"
        if req.code_challenge_method != "S256":
            return "invalid_request", "code_challenge_method must be S256 (plain is not supported)"
        if not CHALLENGE.match(req.code_challenge):
            return "invalid_request", "code_challenge must be BASE64URL(SHA256(code_verifier)), 43 characters"
        if req.state is not None and len(req.state) > STATE_MAX:
            return "invalid_request", f"state is at most {STATE_MAX} characters"
        if scope_of(req.scope) is None:
            return "invalid_scope", f"the scope is {SCOPE}"
        return None

    def _back(self, req: AuthorizeRequest, params: dict[str, str]) -> str:
        """The app's redirect URI with ``params``, its ``state`` and this issuer (RFC 9207)."""
        assert req.redirect_uri is not None
        if req.state is not None:
            params["state"] = req.state
        params["iss"] = self.s.oauth_issuer
        return with_query(req.redirect_uri, params)

    def begin(self, req: AuthorizeRequest) -> str:
        """Where the browser goes: the portal's page with the request, or back to the app with an error."""
        self.client(req.client_id, req.redirect_uri)
        refused = self._refused(req)
        if refused:
            return self._back(req, {"error": refused[0], "error_description": refused[1]})
        return f"{self.s.oauth_consent_url}?{req.query()}"

    async def decide(self, who: Principal, req: AuthorizeRequest, approve: bool) -> str:
        """The person's answer to the app, signed in on the portal: where the browser goes back to."""
        client = self.client(req.client_id, req.redirect_uri)
        refused = self._refused(req)
        if refused:
            return self._back(req, {"error": refused[0], "error_description": refused[1]})
        user = await self.users.get(who.sub)
        if user is None or user.get("locked"):
            raise ACCOUNT_LOCKED
        mfa = await self.tokens.made_with_second_factor(who.sub, who.sid)
        if self.sessions.second_factor_needed(user) and not mfa:
            raise SECOND_FACTOR_NEEDED
        if not approve:
            log.info("app sign-in refused by its holder", client_id=client.client_id)
            return self._back(req, {"error": "access_denied", "error_description": "the person said no"})
        code = secrets.token_urlsafe(32)
        assert req.code_challenge is not None and req.redirect_uri is not None
        await self.codes.add(
            digest(code),
            {
                "client_id": client.client_id,
                "redirect_uri": req.redirect_uri,
                "challenge": req.code_challenge,
                "scope": scope_of(req.scope),
                "user_id": user["_id"],
                "mfa": mfa,
                "consented_in": who.sid,  # the portal session the person consented from
            },
            self.s.oauth_code_ttl_seconds,
        )
        log.info("app sign-in allowed by its holder", client_id=client.client_id)
        return self._back(req, {"code": code})

    # -- step 3: the token endpoint ------------------------------------------------------------------------
    async def token(self, form: dict[str, str], ip: str, user_agent: str) -> dict[str, Any]:
        grant = form.get("grant_type")
        if not grant:
            raise invalid_request("grant_type is required")
        client_id = form.get("client_id")
        if not client_id:
            raise invalid_request("client_id is required (a public client names itself)")
        client = self.s.oauth_client(client_id) if CLIENT_ID.match(client_id) else None
        if client is None:
            raise INVALID_CLIENT
        if grant == "authorization_code":
            return await self._code(client, form, ip, user_agent)
        if grant == "refresh_token":
            return await self._refresh(client, form, ip)
        raise UNSUPPORTED_GRANT

    async def _code(self, client: Client, form: dict[str, str], ip: str, user_agent: str) -> dict[str, Any]:
        code, redirect_uri, verifier = form.get("code"), form.get("redirect_uri"), form.get("code_verifier")
        if not code or not redirect_uri or not verifier:
            raise invalid_request("code, redirect_uri and code_verifier are required")
        h = digest(code)
        family = uuid.uuid4().hex
        doc = await self.codes.take(h, family)
        if doc is None:
            seen = await self.codes.reused(h)
            if seen is not None and seen.get("family"):
                # RFC 6749 §4.1.2: someone else holds the code too; what its first use made ends.
                await self.sessions.end_family(seen["user_id"], seen["family"], "refresh_reuse")
                log.warning("authorization code reused: its session ended", client_id=client.client_id)
            raise invalid_grant("the code is unknown or was used")
        # Whatever is wrong below, the code is spent: a guessed verifier gets one try.
        if doc["expires_at"].replace(tzinfo=UTC) <= datetime.now(UTC):
            raise invalid_grant("the code has expired")
        if doc["client_id"] != client.client_id:
            raise invalid_grant("the code was issued to another client")
        if doc["redirect_uri"] != redirect_uri:
            raise invalid_grant("redirect_uri is not the one of the authorization request")
        if not verifier_matches(verifier, doc["challenge"]):
            raise invalid_grant("code_verifier does not match the code_challenge")
        user = await self.users.get(doc["user_id"])
        if user is None or user.get("locked"):
            raise invalid_grant("the account cannot sign in")
        if self.sessions.second_factor_needed(user) and not doc["mfa"]:
            raise invalid_grant("staff sign in with their second factor")
        app = {"client_id": client.client_id, "name": client.name, "name_en": client.name_en}
        began = {**origin(ip, user_agent), "app": app}
        await self.sessions.log_attempt(
            ok=True,
            reason="ok-app",
            account=login_key("client_id", client.client_id),
            ip=ip,
            user_id=user["_id"],
        )
        pair = await self.sessions.start(
            user,
            mfa=bool(doc["mfa"]),
            began=began,
            how="app",
            family=family,
            audited={"client_id": client.client_id},
        )
        again = await self.codes.get(h)
        if again is not None and again.get("reused_at"):
            # Used twice while this session was being made: it does not live on.
            await self.sessions.end_family(user["_id"], family, "refresh_reuse")
            raise invalid_grant("the code is unknown or was used")
        log.info("app signed in", client_id=client.client_id, user_id=user["_id"])
        return {**pair, "scope": doc["scope"]}

    async def _refresh(self, client: Client, form: dict[str, str], ip: str) -> dict[str, Any]:
        token = form.get("refresh_token")
        if not token:
            raise invalid_request("refresh_token is required")
        if form.get("scope") is not None and scope_of(form["scope"]) is None:
            raise INVALID_SCOPE
        stored = await self.tokens.get(digest(token))
        if stored is None or (stored.get("app") or {}).get("client_id") != client.client_id:
            # Not this app's (the portal's own, or another app's): refused before it is used.
            raise invalid_grant("the refresh token is unknown or not this client's")
        try:
            pair = await self.sessions.refresh(token, ip)
        except Problem as e:
            if e.code == "invalid-refresh-token":
                raise invalid_grant("the refresh token is invalid, used or expired") from None
            raise
        return {**pair, "scope": SCOPE}

    # -- discovery -----------------------------------------------------------------------------------------
    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorization server metadata."""
        iss = self.s.oauth_issuer
        return {
            "issuer": iss,
            "authorization_endpoint": f"{iss}/oauth/authorize",
            "token_endpoint": f"{iss}/oauth/token",
            "jwks_uri": f"{iss}/.well-known/jwks.json",
            "scopes_supported": list(SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none"],
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": ["vi", "en"],
        }
