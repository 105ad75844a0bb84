"""Account use cases: one function a command; each writes its state and its events in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import anyio
from argon2 import PasswordHasher
from pymongo.errors import DuplicateKeyError

from dvckit import logs
from dvckit.contracts import UserRegisteredV1
from dvckit.errors import Problem, Text
from dvckit.runtime import Runtime

from ..adapters.users import USERS, public
from ..config import Settings

log = logs.get(__name__)

ACCOUNT_EXISTS = Problem(
    409,
    "account-exists",
    Text("Tài khoản đã tồn tại", "Account already exists"),
    Text(
        "Số định danh, số điện thoại hoặc email này đã được dùng để đăng ký.",
        "This citizen ID, phone number or email is already registered.",
    ),
)


class Passwords:
    """argon2id through argon2-cffi, in a bounded pool of worker threads (never on the event loop)."""

    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self.limiter = anyio.CapacityLimiter(settings.hash_threads)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password, limiter=self.limiter)


class Accounts:
    def __init__(self, rt: Runtime, settings: Settings) -> None:
        self.rt = rt
        self.settings = settings
        self.users = rt.db[USERS]
        self.passwords = Passwords(settings)

    async def register(self, *, full_name: str, citizen_id: str, phone: str, email: str | None,
                       password: str) -> dict[str, Any]:
        doc = {
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

        async def txn(session: Any) -> None:
            await self.users.insert_one(doc, session=session)
            await self.rt.outbox.add(
                session,
                UserRegisteredV1(user_id=doc["_id"], full_name=full_name, email=email, phone=phone,
                                 roles=doc["roles"]),
            )

        try:
            await self.rt.transaction(txn)
        except DuplicateKeyError:
            raise ACCOUNT_EXISTS from None
        log.info("account registered", user_id=doc["_id"])
        return public(doc)

    async def ensure_first_admin(self) -> None:
        """Create the first administrator from DVC_ADMIN_USERNAME / DVC_ADMIN_PASSWORD when absent."""
        username = self.settings.admin_username
        if await self.users.find_one({"username": username}, {"_id": 1}):
            return
        doc = {
            "_id": str(uuid.uuid4()),
            "username": username,
            "full_name": "Quản trị hệ thống",
            "password_hash": await self.passwords.hash(self.settings.admin_password.get_secret_value()),
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
