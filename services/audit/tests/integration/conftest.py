"""The audit service in-process against real MongoDB and RabbitMQ (the test infrastructure): audit entries
published to its queue as the producers' outbox relays publish them (one envelope an entry, the
producer naming the stream)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from audit.config import Settings
from audit.main import create_app
from devstack.testing import BROKER_PAUSE_S, eventually, started_apps, trust_test_tokens
from dvckit.contracts import AuditRecordedV1
from dvckit.events import Envelope

P = "/api/v1/audit"


def entry(n: int = 0, **kw: Any) -> AuditRecordedV1:
    values: dict[str, Any] = {
        "at": datetime.now(UTC),
        "kind": "read",
        "action": "dossier.viewed",
        "actor": "officer-1",
        "actor_roles": ["officer", "specialist"],
        "actor_agencies": ["000.00.A0.H26"],
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "request_id": f"req-{n}",
        "target_type": "dossier",
        "target_id": f"dossier-{n}",
        "subject": "citizen-1",
        "fields": ["applicant.name", "applicant.id_number"],
    }
    values.update(kw)
    return AuditRecordedV1(**values)


class Audit:
    """One audit service under test, and what a test does with it."""

    def __init__(self, client: Any, app: Any) -> None:
        self.http, self.app = client, app
        self.rt = app.state.runtime
        self.db = self.rt.db
        self.settings: Settings = self.rt.settings

    async def publish(self, data: AuditRecordedV1, producer: str = "submission") -> Envelope:
        env = Envelope.wrap(data, producer=producer, correlation_id=str(uuid.uuid4()))
        await self.rt.bus.publish_to_queue(self.rt.consumer.queue_name, env.to_message())
        return env

    async def kept(self, n: int, timeout: float = 30, **query: Any) -> None:
        async def enough() -> bool:
            return await self.db.entries.count_documents(query) >= n

        await eventually(enough, timeout)

    def token(self, user_id: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.state.test_token(user_id, **claims)}"}

    @property
    def auditor(self) -> dict[str, str]:
        return self.token("auditor-1", roles=["auditor"])

    @property
    def admin(self) -> dict[str, str]:
        return self.token("admin-1", roles=["admin"])

    def citizen(self, sub: str = "citizen-1") -> dict[str, str]:
        return self.token(sub, roles=["citizen"])


@pytest.fixture
async def make_audit(infra) -> AsyncIterator[Any]:
    def build(**overrides: Any) -> Any:
        app = create_app(infra.settings(Settings, **overrides))
        trust_test_tokens(app, name="Trần Thị Kiểm")
        return app

    async with started_apps(build) as start:

        async def make(**overrides: Any) -> Audit:
            client = await start(**overrides)
            a = Audit(client, client.app)
            await a.rt.bus.wait_ready(BROKER_PAUSE_S)
            await eventually(lambda: a.rt.consumer._tag is not None, BROKER_PAUSE_S)
            return a

        yield make


@pytest.fixture
async def audit(make_audit) -> Audit:
    return await make_audit()
