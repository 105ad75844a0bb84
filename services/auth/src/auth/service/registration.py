"""A citizen's registration, in two steps: ask (``start``), then confirm with the code sent by SMS to
the phone number given (``confirm``), which creates the account.

Asking answers the same, at once, whatever happens next: the work that depends on whether the citizen
ID or phone already has an account (and the password hash) runs after the answer, detached from the
request, so neither the answer nor its timing tells anyone which IDs and numbers are registered. What
happens next goes to the phone, which only its holder reads: a code; or, when the phone already has an
account, a message saying so; or, when the citizen ID has one, a message to that phone and a warning to
the account's holder.

A citizen ID in use is therefore revealed only to someone holding a phone no account has, one SMS at a
time (``codes_per_hour`` a number, the gateway's per-address limit on registration): the price of
telling a real person why their registration did not go through. An email given at registration is not
claimed until it is confirmed by a code of its own (sent when the account is made), so registering
reveals nothing about emails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dvckit import logs
from dvckit.contracts import UserRegistrationBlockedV1
from dvckit.errors import Invalid
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters.passwords import Passwords
from ..adapters.users import Users
from ..config import Settings
from ..domain.identity import login_key
from ..domain.policy import check_password
from .accounts import ACCOUNT_EXISTS, Accounts, weak_password
from .codes import BAD_CODE, Codes, destination

log = logs.get(__name__)


def _key(citizen_id: str, phone: str) -> str:
    # One pending registration per (citizen ID, phone): asking again replaces the code.
    return "register:" + login_key("registration", f"{citizen_id}|{phone}")


@dataclass(eq=False)
class Registration:
    rt: Runtime
    s: Settings
    users: Users
    passwords: Passwords
    codes: Codes
    accounts: Accounts

    def start(self, *, full_name: str, citizen_id: str, phone: str, email: str | None, password: str) -> None:
        """Check what can be checked without looking at accounts (answered now, 422), then hand the
        rest to the background."""
        try:
            check_password(password, citizen_id=citizen_id, phone=phone)
        except Invalid as e:
            raise weak_password(e) from None
        person = {"full_name": full_name, "citizen_id": citizen_id, "phone": phone, "email": email}
        self.rt.background(self._ask(person, password), "registration")

    async def _ask(self, person: dict[str, Any], password: str) -> None:
        citizen_id, phone = person["citizen_id"], person["phone"]
        dest = destination("phone", phone)
        if not await self.codes.take(dest, "registration"):
            return  # no more messages to this number this hour (no SMS bombing)
        existing = await self.users.holder(citizen_id, phone)
        password_hash = await self.passwords.hash(password)

        async def txn(session: Session) -> None:
            if existing is None:
                await self.codes.send(
                    session,
                    _key(citizen_id, phone),
                    {**person, "password_hash": password_hash},
                    purpose="registration",
                    full_name=person["full_name"],
                    phone=phone,
                )
            else:
                blocked = UserRegistrationBlockedV1(
                    reason="phone_in_use" if existing.get("phone") == phone else "citizen_id_in_use",
                    phone=phone,
                    existing_user_id=existing["_id"],
                )
                await self.rt.outbox.add(session, blocked)

        await self.rt.transaction(txn)

    async def confirm(self, *, citizen_id: str, phone: str, code: str) -> dict[str, Any]:
        """The code from the SMS: the account is made, with the phone confirmed; an email given at
        registration gets a code of its own."""
        key = _key(citizen_id, phone)
        pending = await self.codes.redeem(key, code)
        doc = {
            "_id": str(uuid.uuid4()),
            "full_name": pending["full_name"],
            "citizen_id": citizen_id,
            "phone": phone,
            "password_hash": pending["password_hash"],
            "roles": ["citizen"],
            "agencies": [],
            "locked": False,
            "created_at": datetime.now(UTC),
        }

        async def txn(session: Session) -> bool:
            if not await self.codes.spend(key, pending, session):
                return False  # a concurrent confirmation made the account
            await self.accounts.create(doc, session)
            return True

        try:
            made = await self.rt.transaction(txn)
        except AlreadyExists:
            # Registered meanwhile (the code's holder has the phone: telling them is no leak).
            raise ACCOUNT_EXISTS from None
        if not made:
            raise BAD_CODE
        log.info("account created", user_id=doc["_id"], roles=doc["roles"])
        if pending.get("email"):
            try:
                await self.accounts.request_contact(doc, "email", pending["email"])
            except Exception as e:  # the account stands; the email can be added again from the account
                log.warning("could not send the email's code", error=repr(e)[:200])
        return await self.accounts.me(doc["_id"])
