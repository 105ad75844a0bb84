"""The public scorecard in-process against real MongoDB and RabbitMQ (the test infrastructure)."""

from __future__ import annotations

from devstack.testing import started_apps
from reporting.config import Settings
from reporting.main import create_app

R = "/api/v1/reporting"


async def test_the_scorecard_is_public_and_cacheable(infra):
    async with started_apps(lambda: create_app(infra.settings(Settings))) as start:
        client = await start()
        r = await client.get(f"{R}/public/scorecard", params={"months": 3})
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "public, max-age=300"
        body = r.json()
        assert len(body["months"]) == 3 and body["months"] == sorted(body["months"])
        assert body["city"]["unit"]["key"] == "city"
        assert [m["month"] for m in body["city"]["months"]] == body["months"]
        assert (await client.get(f"{R}/public/scorecard", params={"months": 0})).status_code == 422
