"""Payment in-process against real MongoDB and RabbitMQ (the test infrastructure), and a provider over
real HTTP: a small server speaking the provider's side of ``dvckit.vnpay`` (query and refund; its
notifications are sent by the test to the service's IPN endpoint, signed as the provider signs them).
The development sandbox (devstack.paysandbox) takes its place once it is on this branch."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devstack.testing import BROKER_PAUSE_S, eventually, free_port, started_apps, trust_test_tokens
from dvckit import vnpay
from dvckit.contracts import DossierSubmittedV1, FeeLine
from dvckit.events import Envelope, EventData
from payment.config import DEV_HASH_SECRET, DEV_TMN_CODE, Settings
from payment.main import create_app

P = "/api/v1/payments"
AGENCY = "000.32.02.H26"


@dataclass
class Txn:
    txn_ref: str
    amount: int  # VND
    status: str  # "00" paid, "02" failed
    no: str
    pay_date: datetime
    order_info: str = ""
    refunded: bool = False


@dataclass
class Provider:
    """The provider's side: its transactions, its query and refund API over HTTP."""

    port: int = field(default_factory=free_port)
    txns: dict[str, Txn] = field(default_factory=dict)
    down: bool = False
    queries: int = 0
    secret: str = DEV_HASH_SECRET
    tmn: str = DEV_TMN_CODE

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def record(self, txn_ref: str, amount: int, *, success: bool = True) -> Txn:
        t = Txn(txn_ref, amount, "00" if success else "02", str(uuid.uuid4().int)[:8], datetime.now(UTC))
        self.txns[txn_ref] = t
        return t

    def ipn(self, t: Txn, **override: str) -> dict[str, str]:
        """The notification the provider sends for ``t``, signed."""
        params = {
            "vnp_TmnCode": self.tmn,
            "vnp_Amount": str(t.amount * 100),
            "vnp_BankCode": "NCB",
            "vnp_OrderInfo": t.order_info or "Thanh toan ho so",
            "vnp_PayDate": vnpay.timestamp(t.pay_date),
            "vnp_ResponseCode": "00" if t.status == "00" else "24",
            "vnp_TransactionNo": t.no,
            "vnp_TransactionStatus": t.status,
            "vnp_TxnRef": t.txn_ref,
            **override,
        }
        return vnpay.sign(params, self.secret)

    async def api(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": "down"}, status_code=503)
        body = await request.json()
        command = body.get("vnp_Command")
        fields = vnpay.QUERY_FIELDS if command == "querydr" else vnpay.REFUND_FIELDS
        base = {"vnp_ResponseId": uuid.uuid4().hex, "vnp_Command": command, "vnp_TmnCode": self.tmn}
        if not vnpay.api_check(body, fields, self.secret) or body.get("vnp_TmnCode") != self.tmn:
            return JSONResponse({**base, "vnp_ResponseCode": "97", "vnp_Message": "Invalid checksum"})
        t = self.txns.get(body.get("vnp_TxnRef", ""))
        if command == "querydr":
            self.queries += 1
            if t is None:
                answer = {**base, "vnp_ResponseCode": "91", "vnp_Message": "Not found"}
            else:
                answer = {
                    **base,
                    "vnp_ResponseCode": "00",
                    "vnp_Message": "OK",
                    "vnp_TxnRef": t.txn_ref,
                    "vnp_Amount": str(t.amount * 100),
                    "vnp_BankCode": "NCB",
                    "vnp_PayDate": vnpay.timestamp(t.pay_date),
                    "vnp_TransactionNo": t.no,
                    "vnp_TransactionType": "01",
                    "vnp_TransactionStatus": t.status,
                    "vnp_OrderInfo": body.get("vnp_OrderInfo", ""),
                }
            answer["vnp_SecureHash"] = vnpay.api_hash(answer, vnpay.QUERY_ANSWER_FIELDS, self.secret)
            return JSONResponse(answer)
        if t is None or t.status != "00" or str(t.amount * 100) != body.get("vnp_Amount") or t.refunded:
            answer = {**base, "vnp_ResponseCode": "94", "vnp_Message": "Refused"}
        else:
            t.refunded = True
            answer = {
                **base,
                "vnp_ResponseCode": "00",
                "vnp_Message": "OK",
                "vnp_TxnRef": t.txn_ref,
                "vnp_Amount": body["vnp_Amount"],
                "vnp_TransactionNo": t.no,
                "vnp_TransactionType": "02",
                "vnp_TransactionStatus": "05",
            }
        answer["vnp_SecureHash"] = vnpay.api_hash(answer, vnpay.REFUND_ANSWER_FIELDS, self.secret)
        return JSONResponse(answer)


@pytest.fixture(scope="session")
async def provider() -> AsyncIterator[Provider]:
    p = Provider()
    app = Starlette(routes=[Route("/merchant_webapi/api/transaction", p.api, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=p.port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, 10)
    yield p
    server.should_exit = True
    await task


class Payment:
    def __init__(self, client: Any, app: Any, provider: Provider) -> None:
        self.http, self.app, self.provider = client, app, provider
        self.rt = app.state.runtime
        self.db = self.rt.db
        self.payments = app.state.payments

    async def publish(self, data: EventData) -> Envelope:
        env = Envelope.wrap(data, producer="test")
        await self.rt.bus.publish(env)
        return env

    def token(self, user_id: str, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.app.state.test_token(user_id, **claims)}"}

    async def dossier(self, owner: str, fees: tuple[int, ...] = (15000, 5000), **kw: Any) -> dict[str, Any]:
        """A dossier filed (its submitted event consumed): its id and code."""
        dossier_id = str(uuid.uuid4())
        code = f"{AGENCY}-260302-{uuid.uuid4().int % 10000:04d}"
        lines = [FeeLine(name=f"Lệ phí {i + 1}", amount=a) for i, a in enumerate(fees)]
        await self.publish(
            DossierSubmittedV1(
                dossier_id=dossier_id,
                code=code,
                owner_id=owner,
                procedure_code="1.004194",
                procedure_name="Đăng ký tạm trú",
                procedure_version=1,
                agency_code=AGENCY,
                agency_name="Công an Phường Ngô Quyền",
                submitted_at=datetime.now(UTC),
                fee_total=sum(fees),
                fee_lines=lines,
                **kw,
            )
        )
        await eventually(lambda: self.db.dossiers.find_one({"_id": dossier_id}), 15)
        return {"id": dossier_id, "code": code}

    async def filing_order(self, owner: str, **kw: Any) -> dict[str, Any]:
        d = await self.dossier(owner, **kw)
        r = await self.http.post(
            f"{P}/dossiers/{d['id']}/orders", json={"purpose": "filing"}, headers=self.token(owner)
        )
        assert r.status_code == 201, r.text
        return r.json()

    async def pay(self, owner: str, order_id: str) -> str:
        r = await self.http.post(f"{P}/orders/{order_id}/pay", headers=self.token(owner))
        assert r.status_code == 200, r.text
        return r.json()["url"]

    async def ipn(self, params: dict[str, str], *, as_query: bool = False) -> dict[str, str]:
        url = f"{P}/providers/vnpay/ipn"
        r = await (self.http.get(url, params=params) if as_query else self.http.post(url, data=params))
        assert r.status_code == 200, r.text
        return r.json()

    async def order(self, owner: str, order_id: str) -> dict[str, Any]:
        r = await self.http.get(f"{P}/orders/{order_id}", headers=self.token(owner))
        assert r.status_code == 200, r.text
        return r.json()

    async def outbox(self, kind: str, order_id: str) -> list[dict[str, Any]]:
        docs = await self.db.outbox.find({"routing_key": f"{kind}.v1"}).to_list(None)
        return [d["envelope"]["data"] for d in docs if d["envelope"]["data"]["order_id"] == order_id]


@pytest.fixture
async def make_payment(infra, provider) -> AsyncIterator[Any]:
    def build(**overrides: Any) -> Any:
        settings = infra.settings(
            Settings,
            provider_url="https://sandbox.example.invalid",
            provider_api_url=provider.url,
            portal_url="https://dichvucong.haiphong.gov.vn",
            reconcile_seconds=0,
            **overrides,
        )
        app = create_app(settings)
        trust_test_tokens(app, name="Nguyễn Thị Lan")
        return app

    async with started_apps(build) as start:

        async def make(**overrides: Any) -> Payment:
            client = await start(**overrides)
            p = Payment(client, client.app, provider)
            await p.rt.bus.wait_ready(BROKER_PAUSE_S)
            await eventually(lambda: p.rt.consumer._tag is not None, BROKER_PAUSE_S)
            return p

        yield make


@pytest.fixture
async def payment(make_payment) -> Payment:
    return await make_payment()
