"""Text messages through a provider. ``dev`` records them (MongoDB ``sms_dev_outbox``, and the log);
``http`` posts them to an SMS gateway's HTTP API (configure NOTIFY_SMS_URL and NOTIFY_SMS_TOKEN; the
request and the answers it expects are in docs/notify.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from dvckit import logs
from dvckit.mongo import Repository

from ..config import Settings
from .mailer import Permanent, Temporary
from .store import SMS_LOG

log = logs.get(__name__)


class SmsProvider(Protocol):
    async def send(self, *, to: str, text: str, message_id: str) -> str: ...


class DevSms(Repository):
    collection = SMS_LOG

    async def send(self, *, to: str, text: str, message_id: str) -> str:
        await self.coll.update_one(
            {"_id": message_id},
            {"$setOnInsert": {"to": to, "text": text, "at": datetime.now(UTC)}},
            upsert=True,
        )
        log.info("sms recorded (development provider)", to=to[:4] + "…")
        return "recorded"


class HttpSms:
    """POST {"to", "text", "id"} with a bearer token; 2xx sent, 4xx permanent, 5xx or no answer temporary."""

    def __init__(self, settings: Settings) -> None:
        if not settings.sms_url:
            raise ValueError("NOTIFY_SMS_URL is required for the http SMS provider")
        token = settings.sms_token.get_secret_value() if settings.sms_token else ""
        self.client = httpx.AsyncClient(
            base_url=settings.sms_url, timeout=10.0, headers={"Authorization": f"Bearer {token}"}
        )

    async def send(self, *, to: str, text: str, message_id: str) -> str:
        try:
            r = await self.client.post("", json={"to": to, "text": text, "id": message_id})
        except httpx.HTTPError as e:
            raise Temporary(repr(e)) from e
        if r.status_code >= 500 or r.status_code == 429:
            raise Temporary(f"{r.status_code} {r.text[:200]}")
        if r.status_code >= 400:
            raise Permanent(f"{r.status_code} {r.text[:200]}")
        return r.text[:200]


def provider(settings: Settings, db: AsyncDatabase[Any]) -> SmsProvider:
    return HttpSms(settings) if settings.sms_provider == "http" else DevSms(db)
