from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from typing import Any

import pytest

from auth.config import Settings
from auth.main import create_app
from devstack import client as dev
from devstack.config import DEV_ADMIN_TOTP_SECRET
from devstack.testing import register_in_process, sent_code, started_apps

_seq = itertools.count(1)
PASSWORD = "Bach-Dang-Giang-1288"
ADMIN_PASSWORD = "Admin-Test-Pass-42"


def fast_settings(infra: Any, **overrides: Any) -> Settings:
    """Real servers; argon2 made cheap (correctness does not depend on its cost; bench/ measures it)."""
    return infra.settings(
        Settings,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,
        key_bits=2048,
        admin_password=ADMIN_PASSWORD,
        **overrides,
    )


@pytest.fixture
async def make_auth(infra) -> AsyncIterator[Any]:
    """Start an auth service in-process with settings overrides; returns its client (``.app`` too)."""
    async with started_apps(lambda **overrides: create_app(fast_settings(infra, **overrides))) as make:
        yield make


@pytest.fixture
async def auth(make_auth) -> Any:
    return await make_auth()


@pytest.fixture
def person():
    """A new citizen's registration each time (unique ID, phone and email)."""

    def make(**over: Any) -> dict[str, Any]:
        n = next(_seq) + 10_000 * (id(over) % 1000)
        return {
            "full_name": "Vũ Thị Thu",
            "citizen_id": f"0311{n:08d}",
            "phone": f"098{n:07d}",
            "email": f"thu{n}@example.vn",
            "password": PASSWORD,
            **over,
        }

    return make


class Helpers:
    """Small helpers for the auth tests (a fixture: test modules cannot import conftest)."""

    ADMIN_TOTP = DEV_ADMIN_TOTP_SECRET  # the first administrator's second factor (devstack.testing)

    @staticmethod
    async def login(client, username: str, password: str, **kw) -> Any:
        """The password step alone: a citizen's tokens, or a staff member's MFA ticket."""
        return await client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}, **kw
        )

    @staticmethod
    async def sign_in(client, username: str, password: str, totp: str = "") -> tuple[dict[str, Any], Any]:
        """The whole sign-in as the portal makes it: the token pair (a staff member's after the second
        factor, enrolled at the first sign-in) and the second factor (``.secret``, ``.recovery_codes``)."""
        return await dev.sign_in(client, username, password, totp)

    @staticmethod
    def totp(secret: str, client) -> str:
        """The next TOTP code of ``secret`` no sign-in of this app has used (devstack.client)."""
        return dev.totp_code(secret, dev.scope_of(client))

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    @staticmethod
    async def outbox_events(app, routing_key: str) -> list[dict[str, Any]]:
        rt = app.state.runtime
        docs = await rt.db.outbox.find({"routing_key": routing_key}).sort("created_at", 1).to_list()
        return [d["envelope"] for d in docs]

    @staticmethod
    async def code(app, purpose: str, **match: str) -> str:
        return await sent_code(app, purpose, **match)

    @staticmethod
    async def register(client, p: dict[str, Any]) -> dict[str, Any]:
        """A citizen account the way a person makes one: ask, read the SMS code, confirm (and confirm
        the email with its own code)."""
        return await register_in_process(client, p)

    @staticmethod
    async def admin_token(client) -> str:
        tokens, _ = await Helpers.sign_in(client, "admin", ADMIN_PASSWORD, DEV_ADMIN_TOTP_SECRET)
        return tokens["access_token"]


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers
