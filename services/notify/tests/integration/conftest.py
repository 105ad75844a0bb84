"""Notify in-process against real MongoDB and RabbitMQ, with a real SMTP server (aiosmtpd) whose
behaviour a test can change: accept, answer 4xx or 5xx, or be down."""

from __future__ import annotations

import email
import itertools
import uuid
from collections.abc import AsyncIterator
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from devstack.testing import BROKER_PAUSE_S, eventually, free_port, started_apps, trust_test_tokens
from dvckit.contracts import UserRegisteredV1
from dvckit.events import Envelope, EventData
from notify.config import Settings
from notify.main import create_app

_seq = itertools.count(1)


class Mailbox:
    """An SMTP server for the test: keeps what it accepts; ``mode`` decides the answer."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.mode = "accept"  # or "tempfail", "permfail"
        self.controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.mode == "tempfail":
            return "451 4.3.0 Mail server temporarily busy"
        if self.mode == "permfail":
            return "554 5.7.1 Message refused"
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=default))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox() -> Any:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


class Notify:
    def __init__(self, client: Any, app: Any) -> None:
        self.http, self.app = client, app
        self.rt = app.state.runtime
        self.db = self.rt.db

    async def publish(self, data: EventData | Envelope) -> Envelope:
        env = data if isinstance(data, Envelope) else Envelope.wrap(data, producer="test")
        await self.rt.bus.publish(env)
        return env

    async def citizen(
        self, *, email_address: str | None = "", phone: str | None = "0987654321"
    ) -> dict[str, Any]:
        n = next(_seq)
        user = {
            "user_id": str(uuid.uuid4()),
            "full_name": "Vũ Đức Thắng",
            "email": f"thang{n}@example.vn" if email_address == "" else email_address,
            "phone": phone,
        }
        await self.publish(UserRegisteredV1(**user, roles=["citizen"]))
        await eventually(lambda: self.db.contacts.find_one({"_id": user["user_id"]}), 10)
        return user

    def token_for(self, user_id: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.state.test_token(user_id, **claims)}"}

    def seal(self, code: str) -> str:
        """A code sealed as the auth service seals it (the shared DVC_SEAL_KEY)."""
        from dvckit.sealed import Sealer

        return Sealer(self.rt.settings.seal_key.get_secret_value()).seal(code)


@pytest.fixture
async def make_notify(infra, mailbox) -> AsyncIterator[Any]:
    def build(**overrides: Any) -> Any:
        settings = infra.settings(
            Settings,
            smtp_port=mailbox.port,
            delivery_delays=(0.3, 0.6, 1.2, 2.4),
            delivery_poll_seconds=0.1,
            portal_url="https://dichvucong.haiphong.gov.vn",
            **overrides,
        )
        app = create_app(settings)
        trust_test_tokens(app)
        return app

    async with started_apps(build) as start:

        async def make(**overrides: Any) -> Notify:
            client = await start(**overrides)
            n = Notify(client, client.app)
            await n.rt.bus.wait_ready(BROKER_PAUSE_S)
            await eventually(lambda: n.rt.consumer._tag is not None, BROKER_PAUSE_S)
            return n

        yield make


@pytest.fixture
async def notify(make_notify) -> Notify:
    return await make_notify()
