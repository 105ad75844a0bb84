"""Logging in, refreshing and logging out: access tokens (JWT) and rotating refresh tokens.

Refresh tokens are random, stored only as SHA-256 digests, and belong to a family (one login). Each use
rotates the token; presenting a token that was already rotated means it was copied, so the whole family
is revoked (reuse detection).

Officers and administrators prove a second factor after their password (``service/mfa.py``): the right
password gets them an MFA ticket, not tokens; a login made without the second factor (before it was
required, or as a citizen since promoted) refreshes no staff member's session.

A family is what its holder sees as a session ("Thiết bị đăng nhập"): listed with the device and address
it signed in from, ended one by one or all at once. Whatever ends a session also lists it as revoked
(``Revoked``), so its access tokens stop everywhere within a poll of the list, not at their expiry.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter

from dvckit import logs
from dvckit.audit import is_staff
from dvckit.auth import Principal
from dvckit.contracts import SessionEndReason, UserSessionsEndedV1
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.keys import KeyStore
from ..adapters.passwords import Passwords
from ..adapters.repos import Repositories
from ..config import Settings
from ..domain.devices import app_device, clean_ua, device, place
from ..domain.identity import account_key, login_fields, login_key
from ..domain.mfa import needs_second_factor
from ..domain.organisations import TOKEN_ORGS, role_of
from ..domain.roles import held_roles
from .audit import principal_of
from .errors import ACCOUNT_LOCKED, BAD_CREDENTIALS, BAD_REFRESH, SESSION_NOT_FOUND
from .revocation import Revoked

log = logs.get(__name__)
# Failed sign-ins by reason (bad-credentials, throttled, account-locked, bad-mfa-code); docs/operations.md.
login_failures = Counter("auth_login_failures_total", "Failed sign-ins, by reason", ["reason"])
MFA_REQUIRED = "mfa-required"


def too_many(seconds: int) -> Problem:
    return Problem(
        429,
        "too-many-attempts",
        Text(
            "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
            "Too many failed sign-in attempts. Please try again later.",
        ),
        headers={"Retry-After": str(max(1, seconds))},
        extra={"retry_after": max(1, seconds)},
    )


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# A person's sessions listed at most (most recently used first); "end all others" ends them all.
LISTED = 100


def origin(ip: str, user_agent: str) -> dict[str, Any]:
    """Where a session began, carried from each refresh token of its family to the next."""
    return {"started_at": datetime.now(UTC), "ua": clean_ua(user_agent), "ip": ip, "last_ip": ip}


def carried(used: dict[str, Any], ip: str) -> dict[str, Any]:
    """The origin of the token a refresh used, with the address it was used from. Tokens issued before
    sessions were listed have none: their family is dated from that token."""
    kept = {
        "started_at": used.get("started_at") or used["created_at"],
        "ua": used.get("ua", ""),
        "ip": used.get("ip", ""),
        "last_ip": ip or used.get("last_ip", ""),
    }
    if used.get("app"):
        kept["app"] = used["app"]  # a session of one of our apps (service/oauth.py) stays named after it
    return kept


class Sessions:
    def __init__(
        self,
        rt: Runtime,
        settings: Settings,
        keys: KeyStore,
        passwords: Passwords,
        repos: Repositories,
        revoked: Revoked,
    ) -> None:
        self.rt = rt
        self.revoked = revoked
        self.s = settings
        self.keys = keys
        self.passwords = passwords
        self.users = repos.users
        self.tokens = repos.tokens
        self.attempts = repos.attempts
        self.throttle = repos.throttle
        self.tickets = repos.tickets
        self.orgs = repos.organisations

    async def _access_token(self, user: dict[str, Any], family: str) -> str:
        now = datetime.now(UTC)
        return await self.keys.sign(
            {
                "iss": self.s.jwt_issuer,
                "aud": self.s.jwt_audience,
                "sub": user["_id"],
                "iat": int(now.timestamp()),
                "exp": int((now + timedelta(seconds=self.s.access_ttl_seconds)).timestamp()),
                "jti": uuid.uuid4().hex,
                "sid": family,
                # Stored roles as held: an account of the old "officer" alone holds every agency role.
                "roles": held_roles(user.get("roles", [])),
                "agencies": user.get("agencies", []),
                "name": user.get("full_name", ""),
                # How the holder's identity was established (domain/vneid.py): 0 typed, 1-2 VNeID levels.
                "ial": int(user.get("identity_level", 0)),
                # The holder's organisations and role in each, so services need not ask auth a request;
                # a change of membership shows at the next refresh (docs/auth.md, "Organisations").
                "orgs": await self._orgs(user["_id"]),
            }
        )

    async def _orgs(self, user_id: str) -> list[dict[str, str]]:
        found = await self.orgs.of_member(user_id, limit=TOKEN_ORGS)
        return [{"id": o["_id"], "role": role_of(o, user_id) or "viewer"} for o in found]

    async def _new_refresh(
        self, user_id: str, family: str, began: dict[str, Any], mfa: bool
    ) -> tuple[str, datetime]:
        token = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(days=self.s.refresh_ttl_days)
        await self.tokens.add(
            digest(token), user_id=user_id, family=family, expires_at=expires, mfa=mfa, origin=began
        )
        return token, expires

    async def _pair(
        self, user: dict[str, Any], family: str, began: dict[str, Any] | None = None, mfa: bool = False
    ) -> dict[str, Any]:
        """A new access token and refresh token of ``family``; ``began``: where the session began (a
        session started without saying is listed as an unknown device); ``mfa``: made with the second
        factor (a staff member's login refreshes only then)."""
        began = began or origin("", "")
        refresh, _expires = await self._new_refresh(user["_id"], family, began, mfa)
        return {
            "access_token": await self._access_token(user, family),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.s.access_ttl_seconds,
            "refresh_expires_in": self.s.refresh_ttl_days * 86400,
        }

    async def log_attempt(self, *, ok: bool, reason: str, account: str, ip: str, user_id: str | None) -> None:
        await self.attempts.add(ok=ok, reason=reason, login=account, ip=ip, user_id=user_id)
        if not ok and reason != MFA_REQUIRED:  # a right password waiting for its code is no failure
            login_failures.labels(reason).inc()

    def second_factor_needed(self, user: dict[str, Any]) -> bool:
        return self.s.staff_mfa == "required" and needs_second_factor(user.get("roles", []))

    async def start(
        self,
        user: dict[str, Any],
        mfa: bool = False,
        began: dict[str, Any] | None = None,
        how: str = "password",
        family: str | None = None,
        audited: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new login of ``user`` (a refresh-token family); ``mfa``: made with the second factor (a staff
        member's login refreshes only then); ``began``: where (an unknown device when not given); ``how``:
        the way they proved who they are, for the audit trail (``audited``: more for its entry). A staff
        member's sign-in is recorded there before the tokens exist: no staff sign-in without its entry.
        ``family``: the session's id when the caller named it beforehand (an app's code: service/oauth.py)."""
        logs.bind(user_id=user["_id"])
        await self.audit_sign_in(user, ok=True, reason=how, extra=audited)
        return await self._pair(user, family=family or uuid.uuid4().hex, began=began, mfa=mfa)

    async def audit_sign_in(
        self, user: dict[str, Any] | None, *, ok: bool, reason: str, extra: dict[str, Any] | None = None
    ) -> None:
        """A staff account's sign-in, or its failure, in the audit trail (its own transaction); nothing for
        a citizen's, or for a name that is no account."""
        if user is None:
            return
        who = principal_of(user)
        if not is_staff(who):
            return
        outcome = "ok" if ok else ("denied" if reason in ("account-locked", "throttled") else "failed")

        async def txn(session: Session) -> None:
            await self.rt.audit.add(
                session,
                who,
                kind="login",
                action="staff.signed_in" if ok else "staff.sign_in_failed",
                outcome=outcome,
                target_type="user",
                target_id=user["_id"],
                subject=user["_id"],
                after={"reason": reason, **(extra or {})},
            )

        await self.rt.transaction(txn)

    async def _challenge(self, user: dict[str, Any], logged: str, began: dict[str, Any]) -> dict[str, Any]:
        """The MFA ticket a staff member gets for the right password: random, kept only as its digest,
        short-lived, a few wrong codes at most; enrolment on the first sign-in. Where the sign-in began
        goes with it, for the session the second factor starts."""
        kind = "totp" if user.get("mfa") else "enrol"
        ttl = self.s.mfa_ticket_seconds if kind == "totp" else self.s.mfa_enrol_seconds
        ticket = secrets.token_urlsafe(32)
        await self.tickets.add(
            digest(ticket),
            {
                "user_id": user["_id"],
                "kind": kind,
                "login": logged,  # the name typed, as digested in the attempt log
                "expires_at": datetime.now(UTC) + timedelta(seconds=ttl),
                "tries_left": self.s.mfa_ticket_tries,
                "began": began,
            },
        )
        return {"mfa": kind, "mfa_token": ticket, "expires_in": ttl}

    async def login(self, username: str, password: str, ip: str, user_agent: str = "") -> dict[str, Any]:
        fields = login_fields(username)
        field, value = fields[0]
        user = await self.users.by_login(fields)
        account = account_key(user, field, value)
        logged = login_key(field, value)
        wait = await self.throttle.blocked_for(account, ip)
        if wait:
            await self.log_attempt(ok=False, reason="throttled", account=logged, ip=ip, user_id=None)
            await self.audit_sign_in(user, ok=False, reason="throttled")
            raise too_many(wait)
        ok = await self.passwords.verify(user["password_hash"] if user else None, password)
        if not ok:
            locked_now = await self.throttle.failed(account, ip)
            await self.log_attempt(
                ok=False,
                reason="bad-credentials",
                account=logged,
                ip=ip,
                user_id=user["_id"] if user else None,
            )
            await self.audit_sign_in(user, ok=False, reason="bad-credentials")
            if locked_now:
                raise too_many(self.s.lockout_seconds)
            raise BAD_CREDENTIALS
        assert user is not None
        if user.get("locked"):
            # Said only after the right password, so it reveals nothing to someone guessing.
            await self.log_attempt(
                ok=False, reason="account-locked", account=logged, ip=ip, user_id=user["_id"]
            )
            await self.audit_sign_in(user, ok=False, reason="account-locked")
            raise ACCOUNT_LOCKED
        if self.passwords.needs_rehash(user["password_hash"]):
            await self.users.rehash(user["_id"], await self.passwords.hash(password))
        began = origin(ip, user_agent)
        if self.second_factor_needed(user):
            # The account's failures are not cleared yet: a stolen password must not wipe the count of
            # wrong codes before it (service/mfa.py clears it once the second factor is right).
            await self.log_attempt(
                ok=False, reason="mfa-required", account=logged, ip=ip, user_id=user["_id"]
            )
            return await self._challenge(user, logged, began)
        await self.throttle.succeeded(account)
        await self.log_attempt(ok=True, reason="ok", account=logged, ip=ip, user_id=user["_id"])
        return await self.start(user, mfa=False, began=began)

    async def refresh(self, token: str, ip: str = "") -> dict[str, Any]:
        h = digest(token)
        doc = await self.tokens.use(h)
        if doc is None:
            seen = await self.tokens.get(h)
            if seen is not None and seen.get("used_at") is not None and not seen.get("revoked"):
                # A rotated token came back: someone holds a copy. End the whole login.
                await self._end_family(seen, "refresh_reuse")
                log.warning("refresh token reuse: family revoked", user_id=seen["user_id"])
            raise BAD_REFRESH
        user = await self.users.get(doc["user_id"])
        if user is None or user.get("locked"):
            raise BAD_REFRESH
        mfa = bool(doc.get("mfa"))
        if not mfa and self.second_factor_needed(user):
            # Signed in with a password alone (before the second factor was required, or as a citizen
            # since made an officer): staff rights only come with a new sign-in and its second factor.
            await self._end_family(doc, "rights_changed")
            raise BAD_REFRESH
        pair = await self._pair(user, family=doc["family"], began=carried(doc, ip), mfa=mfa)
        if await self.tokens.ended(doc["family"]):
            # Ended while this refresh ran (signed out from another device, a password reset): the new
            # token was revoked with the family, or came after it; either way it must not live on once
            # the session leaves the revocation list.
            await self.tokens.revoke_family(doc["family"])
            raise BAD_REFRESH
        return pair

    async def logout(self, token: str) -> None:
        doc = await self.tokens.get(digest(token))
        if doc is not None:
            await self._end_family(doc, "logout")

    async def end_family(self, user_id: str, family: str, reason: SessionEndReason) -> None:
        """End one session of ``user_id`` (its refresh tokens, its access tokens through the revocation
        list), as a reused refresh token does."""
        await self._end_family({"user_id": user_id, "family": family}, reason)

    async def _end_family(self, doc: dict[str, Any], reason: SessionEndReason) -> None:
        async def txn(session: Session) -> bool:
            if not await self.tokens.revoke_family(doc["family"], session):
                return False  # already ended: nothing new to tell
            await self._ended(doc["user_id"], doc["family"], reason, session)
            await self.revoked.sessions([doc["family"]], session)
            return True

        if await self.rt.transaction(txn):
            self.revoked.known(sessions=[doc["family"]])

    async def _ended(
        self, user_id: str, family: str | None, reason: SessionEndReason, session: Session
    ) -> None:
        await self.rt.outbox.add(
            session,
            UserSessionsEndedV1(
                user_id=user_id, session_id=family, reason=reason, ended_at=datetime.now(UTC)
            ),
        )

    async def revoke_all(
        self, user_id: str, *, reason: SessionEndReason, session: Session, keep: str | None = None
    ) -> list[str]:
        """End every login of the user but ``keep`` (the caller's own, when given), inside the caller's
        transaction (with the change that caused it); the sessions ended, for :meth:`Revoked.known` once
        committed. The sign-ins still waiting for their second factor end too."""
        families = [f for f in await self.tokens.live_families(user_id, session) if f != keep]
        await self.tickets.drop_user(user_id, session)
        if keep is None:
            await self.tokens.revoke_user(user_id, session)
            # Said even when no refresh token was live: access tokens and live streams may still be.
            await self._ended(user_id, None, reason, session)
        else:
            # One event a session ended: the one kept keeps its live notification stream.
            await self.tokens.revoke_families(user_id, families, session)
            for family in families:
                await self._ended(user_id, family, reason, session)
        await self.revoked.sessions(families, session)
        return families

    # -- the sessions a person sees ("Thiết bị đăng nhập") ------------------------------------------------
    async def listed(self, who: Principal, lang: str) -> dict[str, Any]:
        """The caller's sessions: the current one first, then the most recently used."""
        docs = await self.tokens.live(who.sub, LISTED + 1)
        items = []
        for d in docs[:LISTED]:
            ip = d.get("last_ip") or d.get("ip") or ""
            app = d.get("app")
            items.append(
                {
                    "id": d["family"],
                    "device": app_device(app, d.get("ua", ""), lang)
                    if app
                    else device(d.get("ua", "")).text(lang),
                    "app": app,
                    "ip": ip or None,
                    "place": place(ip, lang) if ip else None,
                    "started_at": d.get("started_at") or d["created_at"],
                    "last_used_at": d["created_at"],
                    "current": d["family"] == who.sid,
                }
            )
        items.sort(key=lambda i: not i["current"])  # stable: the rest stay most recent first
        return {"items": items, "more": len(docs) > LISTED}

    async def end(self, who: Principal, session_id: str) -> None:
        """End one of the caller's sessions; anyone else's (or one already ended) is not found."""

        async def txn(session: Session) -> bool:
            if not await self.tokens.live_families(who.sub, session, family=session_id):
                return False
            await self.tokens.revoke_families(who.sub, [session_id], session)
            await self._ended(who.sub, session_id, "logout", session)
            await self.revoked.sessions([session_id], session)
            return True

        if not await self.rt.transaction(txn):
            raise SESSION_NOT_FOUND
        self.revoked.known(sessions=[session_id])
        log.info("session ended by its holder", current=session_id == who.sid)

    async def end_all(self, who: Principal, *, keep_current: bool) -> int:
        """End every session of the caller's (but the one calling, when ``keep_current``); how many."""
        keep = who.sid if keep_current else None

        async def txn(session: Session) -> list[str]:
            return await self.revoke_all(who.sub, reason="logout", session=session, keep=keep)

        ended = await self.rt.transaction(txn)
        self.revoked.known(sessions=ended)
        log.info("sessions ended by their holder", ended=len(ended), kept_current=keep is not None)
        return len(ended)
