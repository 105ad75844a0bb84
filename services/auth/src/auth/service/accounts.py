"""Account use cases: one method a command; each writes its state and its events in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import SessionEndReason, UserContactChangedV1, UserRegisteredV1
from dvckit.errors import Invalid, Problem, Text
from dvckit.mongo import Session
from dvckit.paging import Window
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters.passwords import Passwords
from ..adapters.repos import Repositories
from ..adapters.store import public
from ..adapters.throttle import Throttle
from ..adapters.users import Users
from ..config import Settings
from ..domain.identity import UserQuery, login_name
from ..domain.policy import check_password
from ..domain.roles import held_roles, holds_agency_role, needs_agency, normalise_roles
from . import audit
from .codes import BAD_CODE, Codes, destination
from .errors import (
    ACCOUNT_EXISTS,
    AGENCY_REQUIRED,
    CONTACT_IN_USE,
    NOT_FOUND,
    SELF_LOCKOUT,
    TOO_MANY_CODES,
    WRONG_PASSWORD,
)
from .sessions import Sessions, too_many

log = logs.get(__name__)


def weak_password(e: Invalid, field: str = "password") -> Problem:
    return Problem(
        422,
        "weak-password",
        Text("Mật khẩu không đạt yêu cầu", "Password refused"),
        e.text,
        extra={
            "errors": [
                {
                    "field": f"body.{field}",
                    "type": "weak_password",
                    "message": e.text.vi,
                    "message_en": e.text.en,
                }
            ]
        },
    )


@dataclass(eq=False)
class UserCases:
    """What the account use cases (Accounts, Recovery) work with."""

    rt: Runtime
    s: Settings
    repos: Repositories
    passwords: Passwords
    sessions: Sessions
    codes: Codes

    @property
    def users(self) -> Users:
        return self.repos.users

    @property
    def throttle(self) -> Throttle:
        return self.repos.throttle


class Accounts(UserCases):
    async def create(self, doc: dict[str, Any], session: Session) -> None:
        """Insert a new account and announce it, inside the caller's transaction. Only confirmed contacts
        go in ``email`` and ``phone``: messages and password recovery use nothing else."""
        await self.users.insert(doc, session)
        await self.rt.outbox.add(
            session,
            UserRegisteredV1(
                user_id=doc["_id"],
                full_name=doc["full_name"],
                email=doc.get("email"),
                phone=doc.get("phone"),
                roles=doc["roles"],
            ),
        )

    async def get(self, user_id: str) -> dict[str, Any]:
        doc = await self.users.get(user_id)
        if doc is None:
            raise NOT_FOUND
        return doc

    async def me(self, user_id: str) -> dict[str, Any]:
        """The account as its holder sees it, with the new email or phone still awaiting its code."""
        return await self._with_pending(await self.get(user_id))

    async def _with_pending(self, doc: dict[str, Any], *, asked: bool = False) -> dict[str, Any]:
        """``doc`` with its new email or phone awaiting a code: looked up only when a code was sent that
        may still be live (or ``asked``: one was sent after ``doc`` was read), so most reads of an
        account cost one query."""
        until = self.users.pending_until(doc)
        live = asked or (until is not None and until > datetime.now(UTC))
        waiting = await self.codes.pending(doc["_id"]) if live else []
        pending = [
            {"channel": c["channel"], "value": c["value"], "expires_at": c["expires_at"]} for c in waiting
        ]
        return {**public(doc), "pending": sorted(pending, key=lambda p: p["channel"])}

    async def prove(self, user: dict[str, Any], password: str, ip: str) -> None:
        """The current password, asked again before a change that could take the account over. Wrong
        answers count towards the account's lockout like failed sign-ins."""
        account = f"user:{user['_id']}"
        wait = await self.throttle.blocked_for(account, ip)
        if wait:
            raise too_many(wait)
        if not await self.passwords.verify(user.get("password_hash"), password):
            if await self.throttle.failed(account, ip):
                raise too_many(self.s.lockout_seconds)
            raise WRONG_PASSWORD

    async def update_contact(
        self,
        user_id: str,
        *,
        current_password: str,
        phone: str | None,
        email: str | None,
        fields: set[str],
        ip: str,
    ) -> dict[str, Any]:
        """Change the email or phone: only with the current password; a new address takes effect when
        the code sent to it comes back (:meth:`confirm_contact`), so nobody can point an account's
        recovery at an address they do not hold. Removing the email takes effect at once."""
        user = await self.get(user_id)
        await self.prove(user, current_password, ip)
        if "email" in fields and email is None and user.get("email"):
            user = await self._set_contact(user, "email", None)
        wanted = {"phone": phone, "email": email}
        asked = False
        for channel in sorted(fields):
            value = wanted[channel]
            if value is not None and value != user.get(channel):
                await self.request_contact(user, channel, value)
                asked = True
        return await self._with_pending(user, asked=asked)

    async def request_contact(self, user: dict[str, Any], channel: str, value: str) -> None:
        """Send a code to a new email or phone of ``user``; it replaces the old one once confirmed."""
        dest = destination(channel, value)
        if not await self.codes.take(dest, "contact_change"):
            raise TOO_MANY_CODES

        async def txn(session: Session) -> None:
            expires = await self.codes.send(
                session,
                f"contact:{user['_id']}:{channel}",
                {"user_id": user["_id"], "channel": channel, "value": value},
                purpose="contact_change",
                user_id=user["_id"],
                full_name=user.get("full_name"),
                **{channel: value},
            )
            await self.users.contact_pending(user["_id"], expires, session)

        await self.rt.transaction(txn)

    async def confirm_contact(self, user_id: str, channel: str, code: str) -> dict[str, Any]:
        key = f"contact:{user_id}:{channel}"
        doc = await self.codes.redeem(key, code)
        user = await self.get(user_id)
        return await self._with_pending(await self._set_contact(user, channel, doc["value"], key, doc))

    async def _set_contact(
        self,
        user: dict[str, Any],
        channel: str,
        value: str | None,
        key: str | None = None,
        code: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        # A staff username shaped like an email is signed in with as one: an email that is someone's
        # username would lock them out (sign-in looks for the email first).
        if channel == "email" and value and await self.users.exists("username", value):
            raise CONTACT_IN_USE

        async def txn(session: Session) -> dict[str, Any] | None:
            if key is not None and code is not None and not await self.codes.spend(key, code, session):
                return None  # used by a concurrent request
            doc = await self.users.change(user["_id"], {channel: value}, session)
            if doc is None:
                raise NOT_FOUND
            await self.rt.outbox.add(
                session,
                UserContactChangedV1(
                    user_id=doc["_id"],
                    email=doc.get("email"),
                    phone=doc.get("phone"),
                    changed=channel,
                    old_email=user.get("email") if channel == "email" else None,
                    old_phone=user.get("phone") if channel == "phone" else None,
                ),
            )
            return doc

        try:
            doc = await self.rt.transaction(txn)
        except AlreadyExists:
            raise CONTACT_IN_USE from None
        if doc is None:
            raise BAD_CODE
        log.info("contact changed", user_id=user["_id"], channel=channel)
        return doc

    async def change_password(self, user_id: str, current: str, new: str, ip: str, keep: str = "") -> None:
        """Set a new password; every other session ends (``keep``, the caller's, stays signed in: the
        person just proved the password)."""
        user = await self.get(user_id)
        await self.prove(user, current, ip)
        try:
            check_password(new, citizen_id=user.get("citizen_id"), phone=user.get("phone"))
        except Invalid as e:
            raise weak_password(e, "new_password") from None
        new_hash = await self.passwords.hash(new)

        async def txn(session: Session) -> list[str]:
            await self.users.set_password(user_id, new_hash, session)
            return await self.sessions.revoke_all(
                user_id, reason="password_changed", session=session, keep=keep or None
            )

        self.sessions.revoked.known(sessions=await self.rt.transaction(txn))

    # -- administration ----------------------------------------------------------------------------
    async def create_staff(
        self,
        *,
        full_name: str,
        roles: list[str],
        agencies: list[str],
        password: str,
        username: str | None,
        email: str | None,
        phone: str | None,
        citizen_id: str | None,
        who: Principal | None = None,
    ) -> dict[str, Any]:
        """A staff account with ``roles`` (normalised: the marker ``officer`` with any agency role),
        bound to ``agencies`` when it holds an agency role (422 ``agency-required`` without one); made by
        the administrator ``who``, in the audit trail with the account's creation."""
        roles = normalise_roles(roles)
        if needs_agency(roles, agencies):
            raise AGENCY_REQUIRED
        try:
            check_password(password, citizen_id=citizen_id, phone=phone)
        except Invalid as e:
            raise weak_password(e) from None
        if username and "@" in username and await self.users.exists("email", username):
            raise ACCOUNT_EXISTS  # sign-in would find the email's holder first
        # Contacts an administrator enters are taken as confirmed (they come from the staff register).
        doc = {
            "_id": str(uuid.uuid4()),
            "full_name": full_name,
            "username": username,
            "citizen_id": citizen_id,
            "phone": phone,
            "email": email,
            "password_hash": await self.passwords.hash(password),
            "roles": roles,
            "agencies": sorted(set(agencies)) if holds_agency_role(roles) else [],
            "locked": False,
            "created_at": datetime.now(UTC),
        }

        async def txn(session: Session) -> None:
            await self.create(doc, session)
            await self.rt.audit.add(session, who, **audit.account_change(None, doc))

        try:
            await self.rt.transaction(txn)
        except AlreadyExists:
            raise ACCOUNT_EXISTS from None
        log.info("account created", user_id=doc["_id"], roles=doc["roles"])
        return public(doc)

    async def list(
        self, wanted: UserQuery, *, window: Window, who: Principal | None = None
    ) -> dict[str, Any]:
        page, size = window.page, window.size
        docs, total = await self.users.page(wanted, window=window)
        if docs:  # the page shows people's names and contacts: the administrator's read is recorded
            query = {"role": wanted.role, "agency": wanted.agency, "locked": wanted.locked, "q": wanted.q}
            query |= {"page": page, "size": size}
            await self.rt.audit.read(
                who, **audit.listed("user", [d["_id"] for d in docs], query, audit.LISTED_FIELDS)
            )
        return {"items": [public(d) for d in docs], "total": total, "page": page, "size": size}

    async def update(self, actor: Principal, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        if actor.sub == user_id and (
            changes.get("locked") or ("roles" in changes and "admin" not in changes["roles"])
        ):
            raise SELF_LOCKOUT
        update = dict(changes)
        if "agencies" in update:
            update["agencies"] = sorted(set(update["agencies"]))
        if "roles" in update:
            update["roles"] = normalise_roles(update["roles"])
        if "roles" in update or "agencies" in update:
            # The account as it will be: agency roles need an agency (the old "officer" alone is every one).
            current = await self.get(user_id)
            roles = update.get("roles", held_roles(current.get("roles", [])))
            if needs_agency(roles, update.get("agencies", current.get("agencies", []))):
                raise AGENCY_REQUIRED

        ended: list[str] = []

        async def txn(session: Session) -> dict[str, Any] | None:
            before = await self.users.get(user_id, session)
            doc = await self.users.change(user_id, update, session)
            if doc is not None:
                await self.rt.audit.add(session, actor, **audit.account_change(before, doc))
            if doc is not None and (update.get("locked") or "roles" in update or "agencies" in update):
                # A lock ends every session now; new rights take effect when the person signs in again
                # (their live streams close too, and their access tokens stop within the minute).
                reason: SessionEndReason = "locked" if update.get("locked") else "rights_changed"
                ended[:] = await self.sessions.revoke_all(user_id, reason=reason, session=session)
                if update.get("locked"):
                    await self.sessions.revoked.user(user_id, session)
            return doc

        doc = await self.rt.transaction(txn)
        if doc is None:
            raise NOT_FOUND
        self.sessions.revoked.known(sessions=ended, user_id=user_id if update.get("locked") else None)
        log.info("account changed by administrator", target=user_id, fields=sorted(update))
        return public(doc)

    async def ensure_first_admin(self) -> None:
        """Create the first administrator from DVC_ADMIN_USERNAME / DVC_ADMIN_PASSWORD when absent. The
        name goes in the field sign-in looks in for it (``admin@example.vn`` is an email)."""
        field, value = login_name(self.s.admin_username)
        if await self.users.exists(field, value):
            return
        doc = {
            "_id": str(uuid.uuid4()),
            field: value,
            "full_name": "Quản trị hệ thống",
            "password_hash": await self.passwords.hash(self.s.admin_password.get_secret_value()),
            "roles": ["admin"],
            "agencies": [],
            "locked": False,
            "created_at": datetime.now(UTC),
        }
        try:
            await self.users.insert(doc)
            log.info("first administrator created", login_field=field)
        except AlreadyExists:
            pass  # another replica created it at the same moment
