"""Signing in with VNeID ("Đăng nhập bằng tài khoản định danh điện tử VNeID") over OpenID Connect.

1. ``begin``: a flow is stored under a random ``state`` (the PKCE verifier, a nonce) and the browser is
   sent to the provider (``GET /oidc/vneid/authorize``, 302).
2. ``finish``: the provider sends the browser back with a code (``GET /oidc/vneid/callback``); the flow
   is taken (once), the code exchanged, the ID token checked (adapters/oidc.py) and read into a verified
   identity (domain/vneid.py). The browser goes back to the portal with a one-time ticket in the URL's
   fragment, or with the reason it failed (``#vneid_error=…``): a person never lands on raw JSON.
3. The portal exchanges the ticket for tokens (``POST /oidc/vneid/token``), or, when a self-registered
   account holds the identity's citizen ID, asks for that account's password first
   (``POST /oidc/vneid/link``): whoever has the citizen's VNeID is the citizen, but the account and what
   it filed are its holder's, who proves it with the password. Two accounts never hold one citizen ID
   (a unique index), so a verified identity is never given a second account.

Staff accounts are not signed in this way (they sign in with their password and second factor).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

from dvckit import logs
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters.oidc import OidcProvider, Pkce, ProviderDown, Refused
from ..adapters.passwords import Passwords
from ..adapters.repos import Repositories
from ..config import Settings
from ..domain.vneid import LEVELS, NotAnIdentity, VerifiedIdentity, read_identity
from .accounts import Accounts
from .sessions import Sessions

log = logs.get(__name__)
PROVIDER = "vneid"

VNEID_OFF = Problem(
    404,
    "vneid-not-configured",
    Text("Chưa cấu hình đăng nhập bằng VNeID", "Sign-in with VNeID is not configured"),
)
PROVIDER_DOWN = Problem(
    503,
    "identity-provider-unavailable",
    Text(
        "Hệ thống định danh điện tử VNeID tạm thời không phản hồi, vui lòng thử lại sau",
        "The VNeID identity provider is not answering; please try again later",
    ),
    headers={"Retry-After": "30"},
)
BAD_TICKET = Problem(
    400,
    "invalid-ticket",
    Text(
        "Phiên đăng nhập VNeID không hợp lệ hoặc đã hết hạn, vui lòng đăng nhập lại",
        "The VNeID sign-in is invalid or has expired; please sign in again",
    ),
)

IDENTITY_CONFLICT = Problem(
    409,
    "identity-conflict",
    Text(
        "Danh tính VNeID này đã gắn với một tài khoản khác",
        "This VNeID identity belongs to another account",
    ),
)


class VneidSignIn:
    def __init__(
        self,
        rt: Runtime,
        settings: Settings,
        repos: Repositories,
        passwords: Passwords,
        sessions: Sessions,
        accounts: Accounts,
        provider: OidcProvider | None,
    ) -> None:
        self.rt = rt
        self.s = settings
        self.users = repos.users
        self.flows = repos.flows
        self.tickets = repos.login_tickets
        self.passwords = passwords
        self.sessions = sessions
        self.accounts = accounts
        self.provider = provider

    def _provider(self) -> OidcProvider:
        if self.provider is None:
            raise VNEID_OFF
        return self.provider

    async def begin(self) -> str:
        """The provider's authorization URL for a new flow."""
        provider = self._provider()
        pkce, nonce = Pkce.new(), secrets.token_urlsafe(24)
        state = await self.flows.put(
            {"verifier": pkce.verifier, "nonce": nonce}, self.s.vneid_flow_ttl_seconds
        )
        try:
            return await provider.authorize_url(state=state, nonce=nonce, challenge=pkce.challenge)
        except ProviderDown as e:
            log.warning("VNeID discovery failed", error=str(e))
            raise PROVIDER_DOWN from None

    async def finish(self, *, state: str | None, code: str | None, error: str | None) -> str:
        """Where the browser goes back to in the portal: a ticket, or why there is none."""
        try:
            fragment = await self._finish(state, code, error)
        except _Failed as e:
            log.warning("VNeID sign-in failed", reason=e.reason, detail=e.detail)
            fragment = f"vneid_error={e.reason}"
        return f"{self.s.vneid_portal_url}#{fragment}"

    async def _finish(self, state: str | None, code: str | None, error: str | None) -> str:
        provider = self._provider()
        flow = await self.flows.take(state) if state else None
        if flow is None:
            raise _Failed("invalid-state")  # forged, replayed, expired, or another browser's
        if error or not code:
            raise _Failed("denied" if error == "access_denied" else "provider-error", str(error)[:100])
        try:
            id_token = await provider.exchange(code, flow["verifier"])
            claims = await provider.verify(id_token, flow["nonce"])
            identity = read_identity(claims, self.s.vneid_claims, self.s.vneid_levels)
        except ProviderDown as e:
            raise _Failed("provider-down", str(e)) from None
        except Refused as e:
            raise _Failed("rejected", e.reason) from None
        except NotAnIdentity as e:
            raise _Failed("no-identity", str(e)) from None
        user = await self.users.by_external(PROVIDER, identity.subject)
        if user is None:
            user = await self.users.by_login([("citizen_id", identity.citizen_id)])
            if user is not None:
                if set(user.get("roles", [])) != {"citizen"}:
                    raise _Failed("staff-account")  # staff sign in with their password and second factor
                if _linked(user):
                    raise _Failed("identity-conflict", "the citizen ID's account has another VNeID")
                ticket = await self.tickets.put(
                    {"purpose": "link", "user_id": user["_id"], "identity": _identity_doc(identity)},
                    self.s.vneid_ticket_ttl_seconds,
                )
                return f"vneid_link={ticket}"
            user = await self._create(identity)
        else:
            if user.get("locked"):
                raise _Failed("account-locked")
            user = await self._verified(user, identity)
        ticket = await self.tickets.put(
            {"purpose": "sign_in", "user_id": user["_id"]}, self.s.vneid_ticket_ttl_seconds
        )
        return f"vneid={ticket}"

    async def tokens(self, ticket: str, began: dict[str, Any] | None = None) -> dict[str, Any]:
        """The token pair a sign-in ticket stands for (once); ``began``: the device taking it."""
        _t, user = await self._redeem(ticket, "sign_in")
        return await self.sessions.start(user, began=began, how="vneid")

    async def link(
        self, ticket: str, password: str, ip: str, began: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The self-registered account holding the identity's citizen ID, verified once its holder gives
        its password (wrong answers count towards the account's lockout); its token pair."""
        t, user = await self._redeem(ticket, "link")
        await self.accounts.prove(user, password, ip)
        try:
            user = await self._verified(user, _identity_of(t["identity"]))
        except _Failed:
            raise IDENTITY_CONFLICT from None
        log.info("VNeID identity linked", user_id=user["_id"], level=user["identity_level"])
        return await self.sessions.start(user, began=began, how="vneid")

    async def _redeem(self, ticket: str, purpose: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ticket (taken: once) and its account, when it is a live ticket for ``purpose`` of an
        unlocked account; otherwise BAD_TICKET."""
        self._provider()
        t = await self.tickets.take(ticket)
        if t is None or t.get("purpose") != purpose:
            raise BAD_TICKET
        user = await self.users.get(t["user_id"])
        if user is None or user.get("locked"):
            raise BAD_TICKET
        return t, user

    async def _verified(self, user: dict[str, Any], identity: VerifiedIdentity) -> dict[str, Any]:
        """``user`` as VNeID says: the name and details it vouches for, the level (never lowered by a
        sign-in at a lower level: the person proved the higher one before)."""
        level = max(identity.level, int(user.get("identity_level", 0)))
        values = {
            "full_name": identity.full_name,
            "identity_level": level,
            "identity": {**_identity_doc(identity), "level": level},
            "external_ids": [{"provider": PROVIDER, "subject": identity.subject}],
        }
        try:
            doc = await self.users.change(user["_id"], values)
        except AlreadyExists:
            raise _Failed("identity-conflict", "another account holds this VNeID") from None
        assert doc is not None
        return doc

    async def _create(self, identity: VerifiedIdentity) -> dict[str, Any]:
        """A new citizen account for a verified identity: no password (it signs in through VNeID; one can
        be set by recovery later), the phone only if no other account holds it."""
        phone = (
            identity.phone
            if identity.phone and not await self.users.exists("phone", identity.phone)
            else None
        )
        doc = {
            "_id": str(uuid.uuid4()),
            "full_name": identity.full_name,
            "citizen_id": identity.citizen_id,
            "phone": phone,
            "password_hash": None,
            "roles": ["citizen"],
            "agencies": [],
            "locked": False,
            "created_at": datetime.now(UTC),
            "identity_level": identity.level,
            "identity": _identity_doc(identity),
            "external_ids": [{"provider": PROVIDER, "subject": identity.subject}],
        }

        async def txn(session: Session) -> None:
            await self.accounts.create(doc, session)

        try:
            await self.rt.transaction(txn)
        except AlreadyExists:
            # The same person finishing two sign-ins at once: the other made the account.
            found = await self.users.by_external(PROVIDER, identity.subject)
            if found is None:
                raise _Failed("identity-conflict", "citizen ID taken meanwhile") from None
            return found
        log.info("account created from VNeID", user_id=doc["_id"], level=identity.level)
        return doc


class _Failed(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = quote(reason)
        self.detail = detail


def _linked(user: dict[str, Any]) -> bool:
    return any(x.get("provider") == PROVIDER for x in user.get("external_ids", []))


def _identity_doc(i: VerifiedIdentity) -> dict[str, Any]:
    return {
        "source": PROVIDER,
        "subject": i.subject,
        "level": i.level,
        "level_name": LEVELS[i.level],
        "citizen_id": i.citizen_id,
        "full_name": i.full_name,
        "birth_date": i.birth_date.isoformat() if i.birth_date else None,
        "address": i.address,
        "phone": i.phone,
        "verified_at": datetime.now(UTC),
    }


def _identity_of(doc: dict[str, Any]) -> VerifiedIdentity:
    return VerifiedIdentity(
        subject=doc["subject"],
        citizen_id=doc["citizen_id"],
        full_name=doc["full_name"],
        level=int(doc["level"]),
        birth_date=date.fromisoformat(doc["birth_date"]) if doc.get("birth_date") else None,
        address=doc.get("address"),
        phone=doc.get("phone"),
    )
