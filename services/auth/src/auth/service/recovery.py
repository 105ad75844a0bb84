"""Forgotten passwords: a one-time code sent through the notification service, short-lived, few tries.

The answer to "send me a code" is the same whether or not the account exists, and both paths write
one record, so neither the answer nor its timing tells an enumerator anything.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit.contracts import UserPasswordResetRequestedV1
from dvckit.errors import Invalid, Problem, Text
from dvckit.runtime import Runtime

from ..adapters.passwords import Passwords
from ..adapters.store import RESET_CODES, RESET_REQUESTS, USERS
from ..config import Settings
from ..domain.identity import classify_login
from ..domain.policy import check_password
from .accounts import weak_password
from .sessions import Sessions
from .throttle import Throttle, login_key

BAD_CODE = Problem(
    400,
    "invalid-reset-code",
    Text("Mã xác nhận không đúng hoặc đã hết hạn", "The code is wrong or has expired"),
)


class Recovery:
    def __init__(self, rt: Runtime, settings: Settings, passwords: Passwords, sessions: Sessions) -> None:
        self.rt = rt
        self.s = settings
        self.users = rt.db[USERS]
        self.codes = rt.db[RESET_CODES]
        self.requests = rt.db[RESET_REQUESTS]
        self.passwords = passwords
        self.sessions = sessions
        self.throttle = Throttle(rt, settings)
        self.secret = settings.code_secret.get_secret_value().encode()

    def _digest(self, user_id: str, code: str) -> str:
        return hmac.new(self.secret, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()

    async def forgot(self, username: str, ip: str) -> None:
        field, value = classify_login(username)
        user = await self.users.find_one({field: value, "locked": {"$ne": True}})
        now = datetime.now(UTC)
        request = {"at": now, "login": login_key(field, value), "ip": ip}
        hour_ago = now - timedelta(hours=1)
        if user is None or not (user.get("email") or user.get("phone")):
            await self.requests.insert_one(request)
            return
        recent = await self.requests.count_documents({"user_id": user["_id"], "at": {"$gt": hour_ago}})
        if recent >= self.s.reset_requests_per_hour:
            await self.requests.insert_one({**request, "user_id": user["_id"], "sent": False})
            return  # no more messages to this person this hour (no SMS bombing); same answer
        code = f"{secrets.randbelow(10**6):06d}"
        expires = now + timedelta(seconds=self.s.reset_code_ttl_seconds)

        async def txn(session: Any) -> None:
            await self.requests.insert_one({**request, "user_id": user["_id"], "sent": True}, session=session)
            await self.codes.replace_one(
                {"_id": user["_id"]},
                {
                    "digest": self._digest(user["_id"], code),
                    "expires_at": expires,
                    "tries_left": self.s.reset_code_tries,
                },
                upsert=True,
                session=session,
            )
            await self.rt.outbox.add(
                session,
                UserPasswordResetRequestedV1(
                    user_id=user["_id"],
                    code=code,
                    expires_at=expires,
                    email=user.get("email"),
                    phone=user.get("phone"),
                ),
            )

        await self.rt.transaction(txn)

    async def reset(self, username: str, code: str, new_password: str) -> None:
        field, value = classify_login(username)
        user = await self.users.find_one({field: value})
        now = datetime.now(UTC)
        record = await self.codes.find_one({"_id": user["_id"]}) if user else None
        if user is None or record is None or record["expires_at"] <= now or record["tries_left"] <= 0:
            raise BAD_CODE
        if not hmac.compare_digest(record["digest"], self._digest(user["_id"], code.strip())):
            await self.codes.update_one({"_id": user["_id"]}, {"$inc": {"tries_left": -1}})
            raise BAD_CODE
        try:
            check_password(new_password, citizen_id=user.get("citizen_id"), phone=user.get("phone"))
        except Invalid as e:
            raise weak_password(e, "new_password") from None
        new_hash = await self.passwords.hash(new_password)

        async def txn(session: Any) -> bool:
            # Single use: only the request that deletes the code may set the password.
            gone = await self.codes.delete_one(
                {"_id": user["_id"], "digest": record["digest"]}, session=session
            )
            if gone.deleted_count != 1:
                return False
            await self.users.update_one(
                {"_id": user["_id"]},
                {"$set": {"password_hash": new_hash, "password_changed_at": now}},
                session=session,
            )
            await self.sessions.revoke_all(user["_id"], session=session)
            return True

        if not await self.rt.transaction(txn):
            raise BAD_CODE
        await self.throttle.succeeded(login_key(field, value))
