"""Reporting in-process against real MongoDB and RabbitMQ (the test infrastructure): events published on
the run's exchange as the producers publish them, consumed by the service's own queue; the catalog's
agency directory and procedure summary served over real HTTP by a small server of the test's own."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from aiormq.exceptions import DeliveryError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from devstack.testing import BROKER_PAUSE_S, eventually, free_port, started_apps, trust_test_tokens
from dvckit.contracts import (
    DossierRatedV1,
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierSubmittedV1,
    PaymentSucceededV1,
    ProcedurePublishedV1,
)
from dvckit.events import Envelope, EventData
from reporting.config import Settings
from reporting.main import create_app

P = "/api/v1/reporting"
CITY_UBND = "000.00.00.H26"
SO_TC = "000.00.07.H26"
HB_UBND, HB_POLICE, HB_HCC = "000.00.A0.H26", "000.01.A0.H26", "000.02.A0.H26"
AL_UBND = "000.00.A1.H26"
HB, AL = "31001", "31002"

DIRECTORY = [
    {
        "code": CITY_UBND,
        "name": "Ủy ban nhân dân thành phố Hải Phòng",
        "level": "city",
        "kind": "people_committee",
        "version": 1,
    },
    {"code": SO_TC, "name": "Sở Tài chính", "level": "city", "kind": "department", "version": 1},
    {
        "code": HB_UBND,
        "name": "Ủy ban nhân dân phường Hồng Bàng",
        "level": "commune",
        "kind": "people_committee",
        "ward_code": HB,
        "commune": "Phường Hồng Bàng",
        "version": 1,
    },
    {
        "code": HB_POLICE,
        "name": "Công an phường Hồng Bàng",
        "level": "commune",
        "kind": "police",
        "ward_code": HB,
        "commune": "Phường Hồng Bàng",
        "version": 1,
    },
    {
        "code": HB_HCC,
        "name": "Trung tâm phục vụ hành chính công phường Hồng Bàng",
        "level": "commune",
        "kind": "service_center",
        "ward_code": HB,
        "commune": "Phường Hồng Bàng",
        "version": 1,
    },
    {
        "code": AL_UBND,
        "name": "Ủy ban nhân dân xã An Lão",
        "level": "commune",
        "kind": "people_committee",
        "ward_code": AL,
        "commune": "Xã An Lão",
        "version": 1,
    },
]
NAMES = {a["code"]: a["name"] for a in DIRECTORY}


@dataclass
class FakeCatalog:
    """The catalog's agency directory over HTTP; ``failures``: how many calls answer 503 first. Its
    procedure summary: none unless a test sets ``summary`` (and puts it back: the server is the session's)."""

    port: int = field(default_factory=free_port)
    failures: int = 0
    calls: int = 0
    summary_revision: int = 1
    summary: list[dict[str, Any]] = field(default_factory=list)
    summary_calls: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def agencies(self, request: Request) -> JSONResponse:
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            return JSONResponse({"code": "loading"}, status_code=503)
        return JSONResponse([{k: v for k, v in a.items() if k != "version"} for a in DIRECTORY])

    async def procedure_summary(self, request: Request) -> Response:
        """As the catalog answers: its ETag names the revision, a matching If-None-Match gets 304."""
        self.summary_calls += 1
        etag = f'W/"summary-{self.summary_revision}"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        body = {"revision": self.summary_revision, "items": self.summary}
        return JSONResponse(body, headers={"ETag": etag})


def summary_item(
    code: str,
    version: int,
    *,
    detailed: bool,
    online: str,
    level: str = "commune",
    body: str | None = "people_committee",
    receivers: tuple[str, ...] = (),
    field_name: str = "Hộ tịch",
) -> dict[str, Any]:
    """One procedure of the catalog's ``GET /procedures/summary``."""
    return {
        "code": code,
        "version": version,
        "status": "published",
        "field": field_name,
        "detailed": detailed,
        "online_level": online,
        "routing": {"level": level, "receivers": list(receivers), "commune_body": body},
    }


@pytest.fixture(scope="session")
async def catalog() -> AsyncIterator[FakeCatalog]:
    c = FakeCatalog()
    app = Starlette(
        routes=[
            Route("/api/v1/catalog/agencies", c.agencies),
            Route("/api/v1/catalog/procedures/summary", c.procedure_summary),
        ]
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=c.port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, 10)
    yield c
    server.should_exit = True
    await task


class Reporting:
    """One reporting service under test, and what a test does with it."""

    def __init__(self, client: Any, app: Any) -> None:
        self.http, self.app = client, app
        self.rt = app.state.runtime
        self.db = self.rt.db
        self.settings = app.state.runtime.settings

    async def publish(self, data: EventData | Envelope) -> Envelope:
        env = data if isinstance(data, Envelope) else Envelope.wrap(data, producer="test")
        # The broker may refuse a publish (a nack) while a queue bound to the exchange is being deleted,
        # which test runs do by the hundred; the outbox would send it again, as this does.
        for _ in range(4):
            try:
                await self.rt.bus.publish(env)
                return env
            except DeliveryError:
                await asyncio.sleep(1.0)
        await self.rt.bus.publish(env)  # the fifth try: its refusal fails the test
        return env

    async def publish_all(self, items: list[EventData | Envelope]) -> list[Envelope]:
        return [await self.publish(x) for x in items]

    async def settled(self, n: int, timeout: float = 30) -> None:
        """Wait until ``n`` events are kept (each kept with its effects in one transaction)."""
        await eventually(lambda: self._kept(n), timeout)

    async def _kept(self, n: int) -> bool:
        return await self.db.events.count_documents({}) >= n

    def token(self, user_id: str = "admin-1", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.state.test_token(user_id, **claims)}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.token("admin-1", roles=["admin"])

    def leader(self, *agencies: str) -> dict[str, str]:
        return self.token(f"leader-{agencies[0]}", roles=["officer", "leader"], agencies=list(agencies))

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        r = await self.http.get(
            f"{P}{path}", params=params, headers=self.admin if headers is None else headers
        )
        return r

    async def ok(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> Any:
        r = await self.get(path, headers, **params)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
async def make_reporting(infra, catalog) -> AsyncIterator[Any]:
    def build(**overrides: Any) -> Any:
        settings = infra.settings(Settings, catalog_url=catalog.url, directory_retry_seconds=0.2, **overrides)
        app = create_app(settings)
        trust_test_tokens(app, name="Lê Văn Cường")
        return app

    async with started_apps(build) as start:

        async def make(**overrides: Any) -> Reporting:
            client = await start(**overrides)
            r = Reporting(client, client.app)
            await r.rt.bus.wait_ready(BROKER_PAUSE_S)
            await eventually(lambda: r.rt.consumer._tag is not None, BROKER_PAUSE_S)
            await eventually(lambda: r.db.agencies.count_documents({}), 30)
            return r

        yield make


@pytest.fixture
async def reporting(make_reporting) -> Reporting:
    return await make_reporting()


# -- a dossier's events, as submission and payment publish them ---------------------------------------
def at(day: int, hour: int = 9) -> datetime:
    """A moment of November 2026, Hải Phòng time (UTC+7)."""
    return datetime(2026, 11, day, hour, tzinfo=UTC) - timedelta(hours=7)


@dataclass
class Dossier:
    agency: str = HB_HCC
    field: str = "Hộ tịch"
    channel: str = "online"
    id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    rev: int = 1

    @property
    def base(self) -> dict[str, Any]:
        return {
            "dossier_id": self.id,
            "code": f"{self.agency}-261102-{int(uuid.UUID(self.id)) % 10000:04d}",
            "owner_id": "citizen-1",
            "procedure_code": "1.001193",
            "procedure_name": "Thủ tục đăng ký khai sinh",
            "agency_code": self.agency,
            "agency_name": NAMES[self.agency],
        }

    def submitted(self, when: datetime, fee: int = 0, filed: int = 2, digital: int = 2) -> DossierSubmittedV1:
        return DossierSubmittedV1(
            **self.base,
            procedure_version=1,
            submitted_at=when,
            fee_total=fee,
            channel=self.channel,
            field=self.field,
            components_filed=filed,
            components_digital=digital,
        )

    def status(
        self, old: int, new: int, when: datetime, *, due: datetime | None = None, **kw: Any
    ) -> DossierStatusChangedV1:
        self.rev += 1
        names = {
            1: "submitted",
            2: "accepted",
            3: "refused",
            4: "processing",
            5: "supplement_requested",
            6: "payment_requested",
            7: "withdrawn",
            8: "stopped",
            9: "finished",
            10: "returned",
        }
        return DossierStatusChangedV1(
            **self.base,
            old_status=names[old],
            new_status=names[new],
            old_status_code=old,
            new_status_code=new,
            actor_role="reception",
            changed_at=when,
            rev=self.rev,
            channel=self.channel,
            legal_due_at=due,
            legal_days=5,
            **kw,
        )

    def assigned(self, when: datetime, who: str, name: str) -> DossierStepChangedV1:
        self.rev += 1
        return DossierStepChangedV1(
            **self.base,
            status="accepted",
            status_code=2,
            action="assign",
            step="handling",
            from_agency_code=self.agency,
            assignee_id=who,
            assignee_name=name,
            changed_at=when,
            rev=self.rev,
        )

    def rated(
        self, when: datetime, overall: int, comment: str | None = None, status_code: int = 10
    ) -> DossierRatedV1:
        scores = {"overall": overall, "reception": 4, "guidance": 5, "time": overall, "result": 4}
        return DossierRatedV1(
            **self.base, scores=scores, comment=comment, status_code=status_code, rated_at=when
        )

    def paid(self, when: datetime, amount: int) -> PaymentSucceededV1:
        return PaymentSucceededV1(
            order_id=uuid.uuid4().hex,
            dossier_id=self.id,
            dossier_code=self.base["code"],
            owner_id="citizen-1",
            purpose="filing",
            amount=amount,
            provider="vnpay",
            provider_txn="14000001",
            paid_at=when,
            receipt_no="BL-1",
        )


def procedure(
    code: str,
    *,
    detailed: bool,
    online: str,
    level: str = "commune",
    body: str | None = "people_committee",
    receivers: tuple[str, ...] = (),
    field_name: str = "Hộ tịch",
    version: int = 1,
) -> ProcedurePublishedV1:
    return ProcedurePublishedV1(
        code=code,
        version=version,
        procedure={
            "code": code,
            "version": version,
            "name": f"Thủ tục {code}",
            "field": field_name,
            "online_level": online,
            "detailed": detailed,
            "routing": {"level": level, "receivers": list(receivers), "commune_body": body},
        },
    )
