"""Forgotten passwords: a one-time code to the account's confirmed email (or phone), then a new password.

The answer to "send me a code" is given before anything depends on whether the account exists: the
lookup and the message run after it, detached from the request, so neither the answer nor its timing
tells an enumerator anything. Using a code costs the same database work for a name no account has.
"""

from __future__ import annotations

from dvckit.errors import Invalid, Problem, Text
from dvckit.mongo import Session

from ..domain.identity import account_key, login_fields, login_key
from ..domain.policy import check_password
from .accounts import UserCases, weak_password
from .codes import destination

BAD_CODE = Problem(
    400,
    "invalid-reset-code",
    Text("Mã xác nhận không đúng hoặc đã hết hạn", "The code is wrong or has expired"),
)


class Recovery(UserCases):
    def forgot(self, username: str) -> None:
        self.rt.background(self._forgot(username), "password-forgot")

    async def _forgot(self, username: str) -> None:
        user = await self.users.by_login(login_fields(username), unlocked=True)
        to = user and (("email", user["email"]) if user.get("email") else ("phone", user.get("phone")))
        if user is None or not to or not to[1]:
            return
        if not await self.codes.take(destination(*to), "password_reset"):
            return  # no more messages to this person this hour (no SMS bombing)

        async def txn(session: Session) -> None:
            await self.codes.send(
                session,
                f"reset:{user['_id']}",
                {},
                purpose="password_reset",
                user_id=user["_id"],
                full_name=user.get("full_name"),
                email=user.get("email"),
                phone=user.get("phone"),
            )

        await self.rt.transaction(txn)

    async def reset(self, username: str, code: str, new_password: str) -> None:
        fields = login_fields(username)
        field, value = fields[0]
        user = await self.users.by_login(fields)
        # A name without an account spends a try on a code that cannot exist: the same work either way.
        key = f"reset:{user['_id']}" if user else f"reset:none:{login_key(field, value)}"
        # The new password is judged before the code, so a refused password does not spend a try.
        try:
            check_password(
                new_password, citizen_id=(user or {}).get("citizen_id"), phone=(user or {}).get("phone")
            )
        except Invalid as e:
            raise weak_password(e, "new_password") from None
        record = await self.codes.redeem(key, code, BAD_CODE)
        assert user is not None  # only an account's key can hold a code
        new_hash = await self.passwords.hash(new_password)

        ended: list[str] = []

        async def txn(session: Session) -> bool:
            # Single use: only the request that spends the code may set the password.
            if not await self.codes.spend(key, record, session):
                return False
            await self.users.set_password(user["_id"], new_hash, session)
            # Every session, for whoever asked for the code may not be the one signed in everywhere.
            ended[:] = await self.sessions.revoke_all(user["_id"], reason="password_reset", session=session)
            return True

        if not await self.rt.transaction(txn):
            raise BAD_CODE
        self.sessions.revoked.known(sessions=ended)
        await self.throttle.succeeded(account_key(user, field, value))
