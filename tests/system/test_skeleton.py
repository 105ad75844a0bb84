"""The walking skeleton: every service behind the gateway, and one real event crossing services."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
from pymongo import AsyncMongoClient

from devstack.config import SERVICES
from devstack.testing import eventually


def citizen(n: int) -> dict:
    return {
        "full_name": "Lê Thị Hồng",
        "citizen_id": f"031{n:09d}",
        "phone": f"09{n:08d}",
        "email": f"hong{n}@example.vn",
        "password": "Hai-Phong-2026!",
    }


async def test_every_service_is_ready_through_the_gateway(stack):
    async with httpx.AsyncClient(base_url=stack.url) as http:
        for spec in SERVICES:
            r = await http.get(f"{spec.prefix}/readyz")
            assert r.status_code == 200, (spec.name, r.text)
            assert r.json()["status"] == "ready"
            assert set(r.json()["checks"]) >= {"mongodb", "rabbitmq"}


async def test_registration_event_travels_from_auth_outbox_to_notify(stack):
    rid = f"sys-{uuid.uuid4().hex[:12]}"
    body = citizen(int(uuid.uuid4().int % 10**8))
    since = datetime.now(UTC)
    async with stack.inbox() as phone, httpx.AsyncClient(base_url=stack.url) as http:
        r = await http.post("/api/v1/auth/register", json=body, headers={"X-Request-ID": rid})
        assert r.status_code == 202, r.text
        # The code crossed services already: auth's outbox, the broker, notify, the SMS provider.
        code = await phone.code(body["phone"], since)
        confirm = {"citizen_id": body["citizen_id"], "phone": body["phone"], "code": code}
        r = await http.post("/api/v1/auth/register/confirm", json=confirm, headers={"X-Request-ID": rid})
    assert r.status_code == 201, r.text
    assert r.headers["x-request-id"] == rid
    user_id = r.json()["id"]

    # Each service's database is on its own server (one MongoDB a service, as `make up` runs them).
    auth_mongo = AsyncMongoClient(stack.mongo_url_for("auth"), tz_aware=True)
    mongo = AsyncMongoClient(stack.mongo_url_for("notify"), tz_aware=True)
    try:
        auth_db, notify_db = auth_mongo[stack.db_name("auth")], mongo[stack.db_name("notify")]
        note = await eventually(lambda: notify_db.notifications.find_one({"user_id": user_id}), 10)
        assert note["kind"] == "welcome" and "Lê Thị Hồng" in note["body"]["vi"]
        # The producer's outbox record was confirmed and carries the request id as correlation id.
        # Marked sent once the broker confirmed it (which may come after notify already has it).
        sent = await eventually(
            lambda: auth_db.outbox.find_one({"_id": note["event_id"], "status": "sent"}), 10
        )
        assert sent["routing_key"] == "user.registered.v1"
        assert sent["envelope"]["correlation_id"] == rid
        assert await notify_db.processed_events.find_one({"_id": note["event_id"]})
        # Nothing of one service lands on another's server.
        assert stack.db_name("notify") not in await auth_mongo.list_database_names()
        assert stack.db_name("auth") not in await mongo.list_database_names()
    finally:
        await mongo.close()
        await auth_mongo.close()

    # The citizen logs in through the gateway and reads it from notify, which checks auth's token itself.
    async with httpx.AsyncClient(base_url=stack.url) as http:
        tokens = (
            await http.post(
                "/api/v1/auth/login", json={"username": body["phone"], "password": body["password"]}
            )
        ).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        inbox = await http.get("/api/v1/notifications", headers=auth)
        assert inbox.status_code == 200, inbox.text
        assert [n["kind"] for n in inbox.json()["items"]] == ["welcome"]
        assert (await http.get("/api/v1/notifications/unread-count", headers=auth)).json() == {"unread": 1}
        forged = tokens["access_token"][:-4] + (
            "AAAA" if not tokens["access_token"].endswith("AAAA") else "BBBB"
        )
        assert (
            await http.get("/api/v1/notifications", headers={"Authorization": f"Bearer {forged}"})
        ).status_code == 401


async def test_gateway_answers_problem_json_for_unknown_api_paths(stack):
    async with httpx.AsyncClient(base_url=stack.url) as http:
        r = await http.get("/api/v1/nothing-here")
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "not-found"
        assert r.headers["x-content-type-options"] == "nosniff"
        # A method nginx refuses before any route (TRACE): the same error shape (issue 23).
        r = await http.request("TRACE", "/api/v1/auth/login")
        assert r.status_code == 405 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "method-not-allowed" and r.json()["status"] == 405


async def test_bad_input_through_the_gateway_is_a_problem_and_changes_nothing(stack):
    async with httpx.AsyncClient(base_url=stack.url) as http:
        r = await http.post("/api/v1/auth/register", json={"full_name": {"$ne": None}, "citizen_id": "1"})
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"body.full_name", "body.citizen_id", "body.phone"}
