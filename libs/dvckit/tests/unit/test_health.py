"""/readyz: a failing check that gates makes it 503; one that does not is reported and leaves it ready."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from dvckit import errors
from dvckit.health import Health, router


async def ok() -> None:
    pass


async def down() -> None:
    raise ConnectionError("away")


async def readyz(health: Health) -> httpx.Response:
    app = FastAPI()
    errors.install(app)
    app.include_router(router(health))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as c:
        return await c.get("/readyz")


async def test_a_check_that_does_not_gate_is_reported_and_leaves_the_process_ready():
    consumes = False
    health = Health()
    health.add("mongodb", ok)
    health.add("rabbitmq", down, gates=lambda: consumes)  # as the runtime adds the broker

    r = await readyz(health)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ready",
        "checks": {"mongodb": "ok", "rabbitmq": "fail: ConnectionError"},
        "informational": ["rabbitmq"],
    }

    consumes = True  # asked at each probe: a worker needs the broker
    r = await readyz(health)
    assert r.status_code == 503 and r.json()["checks"]["rabbitmq"] == "fail: ConnectionError", r.text
    assert "informational" not in r.json()


async def test_a_gating_check_that_fails_makes_the_process_unready():
    health = Health()
    health.add("mongodb", down)
    health.add("rabbitmq", ok, gates=False)
    r = await readyz(health)
    assert r.status_code == 503 and r.headers["retry-after"] == "2", r.text
    assert r.json()["checks"] == {"mongodb": "fail: ConnectionError", "rabbitmq": "ok"}
