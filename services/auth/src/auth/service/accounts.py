"""Account use cases: one method a command; each writes its state and its events in one transaction."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import UserContactChangedV1, UserRegisteredV1
from dvckit.errors import Invalid, Problem, Text
from dvckit.runtime import Runtime

from ..adapters.passwords import Passwords
from ..adapters.store import USERS, public
from ..config import Settings
from ..domain.policy import check_password
from .sessions import Sessions

log = logs.get(__name__)

ACCOUNT_EXISTS = Problem(
    409,
    "account-exists",
    Text("Tài khoản đã tồn tại", "Account already exists"),
    Text(
        "Số định danh, số điện thoại, email hoặc tên đăng nhập này đã được dùng.",
        "This citizen ID, phone number, email or username is already in use.",
    ),
)
NOT_FOUND = Problem(404, "user-not-found", Text("Không tìm thấy tài khoản", "No such account"))
WRONG_PASSWORD = Problem(
    400, "wrong-password", Text("Mật khẩu hiện tại không đúng", "The current password is wrong")
)
SELF_LOCKOUT = Problem(
    409,
    "self-lockout",
    Text(
        "Không thể tự khóa hoặc tự bỏ quyền quản trị của chính mình",
        "You cannot lock yourself or remove your own administrator role",
    ),
)


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


class Accounts:
    def __init__(self, rt: Runtime, settings: Settings, passwords: Passwords, sessions: Sessions) -> None:
        self.rt = rt
        self.s = settings
        self.users = rt.db[USERS]
        self.passwords = passwords
        self.sessions = sessions

    async def _create(self, doc: dict[str, Any]) -> dict[str, Any]:
        async def txn(session: Any) -> None:
            await self.users.insert_one(doc, session=session)
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

        try:
            await self.rt.transaction(txn)
        except DuplicateKeyError:
            raise ACCOUNT_EXISTS from None
        log.info("account created", user_id=doc["_id"], roles=doc["roles"])
        return public(doc)

    async def register(
        self, *, full_name: str, citizen_id: str, phone: str, email: str | None, password: str
    ) -> dict[str, Any]:
        try:
            check_password(password, citizen_id=citizen_id, phone=phone)
        except Invalid as e:
            raise weak_password(e) from None
        return await self._create(
            {
                "_id": str(uuid.uuid4()),
                "full_name": full_name,
                "citizen_id": citizen_id,
                "phone": phone,
                "email": email,
                "password_hash": await self.passwords.hash(password),
                "roles": ["citizen"],
                "agencies": [],
                "locked": False,
                "created_at": datetime.now(UTC),
            }
        )

    async def get(self, user_id: str) -> dict[str, Any]:
        doc = await self.users.find_one({"_id": user_id})
        if doc is None:
            raise NOT_FOUND
        return doc

    async def update_contact(
        self, user_id: str, *, phone: str | None, email: str | None, fields: set[str]
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if "phone" in fields:
            changes["phone"] = phone
        if "email" in fields:
            changes["email"] = email
        if not changes:
            return public(await self.get(user_id))

        async def txn(session: Any) -> dict[str, Any] | None:
            res = await self.users.find_one_and_update(
                {"_id": user_id}, {"$set": changes}, session=session, return_document=True
            )
            if res is None:
                return None
            await self.rt.outbox.add(
                session, UserContactChangedV1(user_id=user_id, email=res.get("email"), phone=res.get("phone"))
            )
            return res

        try:
            doc = await self.rt.transaction(txn)
        except DuplicateKeyError:
            raise ACCOUNT_EXISTS from None
        if doc is None:
            raise NOT_FOUND
        return public(doc)

    async def change_password(self, user_id: str, current: str, new: str) -> None:
        user = await self.get(user_id)
        if not await self.passwords.verify(user.get("password_hash"), current):
            raise WRONG_PASSWORD
        try:
            check_password(new, citizen_id=user.get("citizen_id"), phone=user.get("phone"))
        except Invalid as e:
            raise weak_password(e, "new_password") from None
        new_hash = await self.passwords.hash(new)

        async def txn(session: Any) -> None:
            await self.users.update_one(
                {"_id": user_id},
                {"$set": {"password_hash": new_hash, "password_changed_at": datetime.now(UTC)}},
                session=session,
            )
            await self.sessions.revoke_all(user_id, session=session)

        await self.rt.transaction(txn)

    # -- administration ----------------------------------------------------------------------------
    async def create_staff(
        self,
        *,
        full_name: str,
        role: str,
        agencies: list[str],
        password: str,
        username: str | None,
        email: str | None,
        phone: str | None,
        citizen_id: str | None,
    ) -> dict[str, Any]:
        try:
            check_password(password, citizen_id=citizen_id, phone=phone)
        except Invalid as e:
            raise weak_password(e) from None
        return await self._create(
            {
                "_id": str(uuid.uuid4()),
                "full_name": full_name,
                "username": username,
                "citizen_id": citizen_id,
                "phone": phone,
                "email": email,
                "password_hash": await self.passwords.hash(password),
                "roles": [role],
                "agencies": sorted(set(agencies)) if role == "officer" else [],
                "locked": False,
                "created_at": datetime.now(UTC),
            }
        )

    async def list(
        self,
        *,
        role: str | None,
        agency: str | None,
        locked: bool | None,
        q: str | None,
        page: int,
        size: int,
    ) -> dict[str, Any]:
        query: dict[str, Any] = {}
        if role:
            query["roles"] = role
        if agency:
            query["agencies"] = agency
        if locked is not None:
            query["locked"] = locked
        if q:
            pattern = {"$regex": "^" + re.escape(q.strip()), "$options": "i"}
            query["$or"] = [
                {"full_name": pattern},
                {"username": pattern},
                {"email": pattern},
                {"phone": pattern},
                {"citizen_id": pattern},
            ]
        total = await self.users.count_documents(query)
        docs = await (
            self.users.find(query)
            .sort([("created_at", -1), ("_id", 1)])
            .skip((page - 1) * size)
            .limit(size)
            .to_list()
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

        async def txn(session: Any) -> dict[str, Any] | None:
            doc = await self.users.find_one_and_update(
                {"_id": user_id}, {"$set": update}, session=session, return_document=True
            )
            if doc is not None and (update.get("locked") or "roles" in update or "agencies" in update):
                # New rights take effect at the next refresh; a lock ends every session now.
                await self.sessions.revoke_all(user_id, session=session)
            return doc

        doc = await self.rt.transaction(txn)
        if doc is None:
            raise NOT_FOUND
        log.info("account changed by administrator", target=user_id, fields=sorted(update))
        return public(doc)

    async def ensure_first_admin(self) -> None:
        """Create the first administrator from DVC_ADMIN_USERNAME / DVC_ADMIN_PASSWORD when absent."""
        username = self.s.admin_username.lower()
        if await self.users.find_one({"username": username}, {"_id": 1}):
            return
        doc = {
            "_id": str(uuid.uuid4()),
            "username": username,
            "full_name": "Quản trị hệ thống",
            "password_hash": await self.passwords.hash(self.s.admin_password.get_secret_value()),
            "roles": ["admin"],
            "agencies": [],
            "locked": False,
            "created_at": datetime.now(UTC),
        }
        try:
            await self.users.insert_one(doc)
            log.info("first administrator created", username=username)
        except DuplicateKeyError:
            pass  # another replica created it at the same moment
