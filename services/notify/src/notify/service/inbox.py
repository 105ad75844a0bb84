"""In-app notifications."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from dvckit.contracts import UserRegisteredV1
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.store import NOTIFICATIONS


class Inbox:
    def __init__(self, rt: Runtime) -> None:
        self.coll = rt.db[NOTIFICATIONS]

    async def welcome(self, env: Envelope, event: UserRegisteredV1, session: Session) -> None:
        await self.coll.insert_one(
            {
                "_id": str(uuid.uuid4()),
                "user_id": event.user_id,
                "event_id": str(env.id),
                "channel": "in_app",
                "kind": "welcome",
                "title": {
                    "vi": "Chào mừng đến Cổng dịch vụ công Hải Phòng",
                    "en": "Welcome to the Hai Phong public service portal",
                },
                "body": {
                    "vi": f"Xin chào {event.full_name}, tài khoản của bạn đã được tạo thành công.",
                    "en": f"Hello {event.full_name}, your account has been created.",
                },
                "read": False,
                "created_at": datetime.now(UTC),
            },
            session=session,
        )

    async def page(
        self, user_id: str, *, unread: bool | None, page: int, size: int, lang: str
    ) -> dict[str, Any]:
        query: dict[str, Any] = {"user_id": user_id, "channel": "in_app"}
        if unread is not None:
            query["read"] = not unread
        total = await self.coll.count_documents(query)
        docs = await (
            self.coll.find(query)
            .sort([("created_at", -1), ("_id", 1)])
            .skip((page - 1) * size)
            .limit(size)
            .to_list()
        )
        items = [
            {
                "id": d["_id"],
                "kind": d["kind"],
                "title": d["title"][lang],
                "body": d["body"][lang],
                "read": d["read"],
                "created_at": d["created_at"],
            }
            for d in docs
        ]
        return {"items": items, "total": total, "page": page, "size": size}

    async def unread(self, user_id: str) -> int:
        return await self.coll.count_documents({"user_id": user_id, "channel": "in_app", "read": False})
