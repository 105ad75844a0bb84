"""The second factor of officers and administrators (docs/auth.md, "Two-step sign-in for staff").

After the right password a staff member holds an MFA ticket (``Sessions.login``), never tokens. With it:

- first sign-in (``enrol``): :meth:`SecondFactor.enrol` makes a TOTP secret and ten recovery codes, kept
  on the ticket (sealed, digests) until :meth:`SecondFactor.confirm` gets a first right code; only then
  are they the account's, and the tokens given;
- later ones (``totp``): :meth:`SecondFactor.login` takes a TOTP code (a step either side of now, never a
  step the account already used) or a recovery code (each once).

Every guess spends one of the ticket's tries before it is compared, and a wrong code counts towards the
account's and the address's lockout exactly like a wrong password; the ticket dies with its last try.
The TOTP secret rests sealed under ``AUTH_MFA_KEY`` (``dvckit.sealed``); recovery codes only as keyed
digests. An administrator resets another's second factor (:meth:`SecondFactor.reset`): the next sign-in
enrols again, every session ends, and ``user.mfa_reset.v1`` records who did it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import UserMfaResetV1
from dvckit.errors import Problem
from dvckit.mongo import Session
from dvckit.sealed import Sealer

from ..domain import mfa as rules
from ..domain.identity import login_name
from .accounts import UserCases
from .errors import (
    ACCOUNT_LOCKED,
    BAD_TICKET,
    ENROLMENT_NOT_STARTED,
    MFA_NOT_ENROLLED,
    NOT_FOUND,
    SELF_MFA_RESET,
    bad_mfa_code,
)
from .sessions import digest, too_many

log = logs.get(__name__)


class SecondFactor(UserCases):
    @cached_property
    def sealer(self) -> Sealer:
        return Sealer(self.s.mfa_key.get_secret_value())

    def _recovery_digest(self, user_id: str, key: str) -> str:
        # Keyed (AUTH_CODE_SECRET) and bound to the account: a copy of the database alone cannot try
        # the 49-bit codes offline, nor move one to another account.
        secret = self.s.code_secret.get_secret_value().encode()
        return hmac.new(secret, f"recovery:{user_id}:{key}".encode(), hashlib.sha256).hexdigest()

    # -- the ticket ----------------------------------------------------------------------------------
    async def _ticket(self, token: str, kind: str) -> dict[str, Any]:
        ticket = await self.repos.tickets.live(digest(token))
        if ticket is None or ticket["kind"] != kind:
            raise BAD_TICKET
        return ticket

    async def _holder(self, ticket: dict[str, Any]) -> dict[str, Any]:
        """The ticket's account, still one that signs in this way; the ticket dies otherwise."""
        user = await self.users.get(ticket["user_id"])
        enrolled = bool(user and user.get("mfa"))
        if (
            user is None
            or enrolled != (ticket["kind"] == "totp")
            or not self.sessions.second_factor_needed(user)
        ):
            await self.repos.tickets.take(ticket["_id"])
            raise BAD_TICKET
        if user.get("locked"):
            await self.repos.tickets.take(ticket["_id"])
            await self.sessions.audit_sign_in(user, ok=False, reason="account-locked")
            raise ACCOUNT_LOCKED
        return user

    async def _guess(self, token: str, kind: str, ip: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Spend one try of a live ticket of ``kind`` (after the lockout check); the ticket and its
        account."""
        ticket = await self._ticket(token, kind)
        wait = await self.throttle.blocked_for(f"user:{ticket['user_id']}", ip)
        if wait:
            raise too_many(wait)
        spent = await self.repos.tickets.spend_try(ticket["_id"])
        if spent is None:
            raise BAD_TICKET
        return spent, await self._holder(spent)

    async def _wrong(self, ticket: dict[str, Any], ip: str) -> Problem:
        """A wrong code: counted like a wrong password; the ticket dies with its last try."""
        user_id = ticket["user_id"]
        locked_now = await self.throttle.failed(f"user:{user_id}", ip)
        await self.sessions.log_attempt(
            ok=False, reason="bad-mfa-code", account=ticket["login"], ip=ip, user_id=user_id
        )
        await self.sessions.audit_sign_in(await self.users.get(user_id), ok=False, reason="bad-mfa-code")
        if locked_now or ticket["tries_left"] <= 0:
            await self.repos.tickets.take(ticket["_id"])
        if locked_now:
            return too_many(self.s.lockout_seconds)
        return bad_mfa_code(max(0, ticket["tries_left"]))

    async def _signed_in(
        self, ticket: dict[str, Any], user: dict[str, Any], ip: str, reason: str
    ) -> dict[str, Any]:
        if not await self.repos.tickets.take(ticket["_id"]):
            raise BAD_TICKET  # single use: a parallel request with the same ticket got the tokens
        await self.throttle.succeeded(f"user:{user['_id']}")
        await self.sessions.log_attempt(
            ok=True, reason=reason, account=ticket["login"], ip=ip, user_id=user["_id"]
        )
        how = {"ok-enrolled": "totp-enrolled", "ok-recovery-code": "recovery-code"}.get(reason, "totp")
        return await self.sessions.start(user, mfa=True, began=ticket.get("began"), how=how)

    # -- enrolment on the first sign-in -----------------------------------------------------------------
    async def enrol(self, token: str) -> dict[str, Any]:
        """A new TOTP secret and recovery codes for the ticket's account, shown once; the account's only
        when a first code proves the app holds the secret (:meth:`confirm`). Asking again replaces them."""
        ticket = await self._ticket(token, "enrol")
        user = await self._holder(ticket)
        secret = rules.new_secret()
        codes = rules.new_recovery_codes()
        pending = {
            "totp": self.sealer.seal(secret),
            "recovery": [self._recovery_digest(user["_id"], rules.recovery_key(c) or "") for c in codes],
        }
        if await self.repos.tickets.pending(ticket["_id"], pending) is None:
            raise BAD_TICKET
        account = user.get("username") or user.get("email") or user.get("phone") or user.get("citizen_id")
        return {
            "secret": secret,
            "otpauth_uri": rules.otpauth_uri(secret, account or user["_id"]),
            "issuer": rules.ISSUER,
            "account": account,
            "digits": 6,
            "period": 30,
            "recovery_codes": codes,
            "expires_in": max(0, int((ticket["expires_at"] - datetime.now(UTC)).total_seconds())),
        }

    async def confirm(self, token: str, code: str, ip: str) -> dict[str, Any]:
        """The first code from the app: the secret and recovery codes become the account's; tokens."""
        live = await self._ticket(token, "enrol")
        if not live.get("pending"):
            raise ENROLMENT_NOT_STARTED  # nothing to check the code against: no try spent
        ticket, user = await self._guess(token, "enrol", ip)
        pending = ticket["pending"]
        step = rules.matching_step(self.sealer.open(pending["totp"]), code, time.time(), None)
        if step is None:
            raise await self._wrong(ticket, ip)
        mfa = {
            "totp": pending["totp"],
            "recovery": pending["recovery"],
            "enrolled_at": datetime.now(UTC),
            "last_step": step,
        }
        if not await self.users.enrol(user["_id"], mfa):
            await self.repos.tickets.take(ticket["_id"])
            raise BAD_TICKET  # enrolled meanwhile by another sign-in
        log.info("second factor enrolled", user_id=user["_id"])
        return await self._signed_in(ticket, user, ip, "ok-enrolled")

    # -- sign-in with the second factor -----------------------------------------------------------------
    async def login(self, token: str, code: str, ip: str) -> dict[str, Any]:
        """A TOTP code (never one of a step the account already used) or a recovery code (each once)."""
        ticket, user = await self._guess(token, "totp", ip)
        mfa = user["mfa"]
        reason = "ok"
        if rules.is_totp_code(code):
            step = rules.matching_step(self.sealer.open(mfa["totp"]), code, time.time(), mfa.get("last_step"))
            # Atomic: two requests with the same code at the same moment, one is refused.
            ok = step is not None and await self.users.use_step(user["_id"], step)
        else:
            key = rules.recovery_key(code)
            ok = key is not None and await self.users.use_recovery(
                user["_id"], self._recovery_digest(user["_id"], key)
            )
            reason = "ok-recovery-code"
        if not ok:
            raise await self._wrong(ticket, ip)
        if reason == "ok-recovery-code":
            log.warning(
                "signed in with a recovery code", user_id=user["_id"], left=len(mfa.get("recovery", [])) - 1
            )
        return await self._signed_in(ticket, user, ip, reason)

    # -- administration -----------------------------------------------------------------------------------
    async def ensure_first_admin_secret(self) -> None:
        """Development and tests: the first administrator's TOTP secret is DVC_ADMIN_TOTP_SECRET (refused
        in production), so test tooling computes its codes; set at every start in case it changed."""
        if self.s.admin_totp_secret is None:
            return
        secret = self.s.admin_totp_secret.get_secret_value().upper()
        user = await self.users.by_login([login_name(self.s.admin_username)])
        if user is None:
            return
        held = user.get("mfa") or {}
        if held.get("totp") and self.sealer.open(held["totp"]) == secret:
            return
        mfa = {
            "totp": self.sealer.seal(secret),
            "recovery": [],
            "enrolled_at": datetime.now(UTC),
            "last_step": None,
        }
        await self.users.enrol(user["_id"], mfa, replace=True)
        log.warning("first administrator's TOTP secret set from DVC_ADMIN_TOTP_SECRET (development only)")

    async def reset(self, actor: Principal, user_id: str) -> None:
        """Clear another account's second factor: it enrols again at its next sign-in; every session and
        half-done sign-in ends; ``user.mfa_reset.v1`` records who did it and when."""
        if actor.sub == user_id:
            raise SELF_MFA_RESET  # an administrator who lost theirs uses a recovery code, or asks another
        user = await self.users.get(user_id)
        if user is None:
            raise NOT_FOUND
        if not user.get("mfa"):
            raise MFA_NOT_ENROLLED

        async def txn(session: Session) -> bool:
            if not await self.users.clear_mfa(user_id, session):
                return False  # reset meanwhile by another administrator
            # "rights_changed": the event's reasons are a contract; user.mfa_reset.v1 says the rest.
            await self.sessions.revoke_all(user_id, reason="rights_changed", session=session)
            await self.rt.outbox.add(
                session, UserMfaResetV1(user_id=user_id, reset_by=actor.sub, reset_at=datetime.now(UTC))
            )
            await self.rt.audit.add(
                session,
                actor,
                kind="change",
                action="user.mfa_reset",
                target_type="user",
                target_id=user_id,
                subject=user_id,
                before={"mfa_enrolled": True},
                after={"mfa_enrolled": False},
            )
            return True

        if not await self.rt.transaction(txn):
            raise MFA_NOT_ENROLLED
        log.info("second factor reset by administrator", target=user_id, by=actor.sub)
