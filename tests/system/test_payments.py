"""Money through the whole stack and the provider's sandbox (devstack.paysandbox) speaking its real
protocol: the sandbox's notifications reach the payment service through the gateway, as the provider's
would. Paid once whatever happens: a notification sent twice, two tabs paying one order, the provider down
while paying, a notification that never came (the reconciliation finds the payment), the payment service
restarted in the middle."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from pymongo import AsyncMongoClient

from devstack import client
from devstack.testing import CAPTCHA_TEST_ANSWER, eventually

P = "/api/v1/payments"
WARD = "000.01.H1.H26"  # Công an phường Kiến An: receives temporary residence registrations


async def filed(http: httpx.AsyncClient, stack) -> tuple[client.Person, dict]:
    p = client.new_person("Đinh Thị Thanh Toán", email=False)
    async with stack.inbox() as inbox:
        person = await client.register(http, inbox, p)
    d = await client.file_dossier(
        http, person, captcha_answer=CAPTCHA_TEST_ANSWER, procedure_code="1.004194", agency_code=WARD
    )
    return person, d


async def filing_order(http: httpx.AsyncClient, person, dossier_id: str) -> dict:
    async def made() -> dict | None:
        r = await http.post(
            f"{P}/dossiers/{dossier_id}/orders", json={"purpose": "filing"}, headers=person.auth
        )
        return r.json() if r.status_code in (200, 201) else None  # 404 until payment heard of the dossier

    return await eventually(made, timeout=30)


async def pay_url(http: httpx.AsyncClient, person, order_id: str) -> str:
    r = await http.post(f"{P}/orders/{order_id}/pay", headers=person.auth)
    assert r.status_code == 200, r.text
    return r.json()["url"]


async def choose(stack, order_id: str, url: str, result: str = "success", ipn: bool = True) -> httpx.Response:
    """The citizen's choice on the sandbox's page (its non-interactive twin)."""
    async with httpx.AsyncClient(timeout=30) as sandbox:
        return await sandbox.post(
            f"{stack.infra.paysandbox_url}/sandbox/pay/{order_id}",
            json={"query": url.split("?", 1)[1], "result": result, "ipn": ipn},
        )


async def state(http, person, order_id: str) -> dict:
    return (await http.get(f"{P}/orders/{order_id}", headers=person.auth)).json()


async def test_paid_once_with_a_repeated_notification_and_two_tabs(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        person, d = await filed(http, stack)
        order = await filing_order(http, person, d["id"])
        assert order["amount"] > 0 and order["state"] == "created"
        # Two tabs: the same order and the same reference, whatever the number of clicks.
        first, second = await asyncio.gather(
            pay_url(http, person, order["id"]), pay_url(http, person, order["id"])
        )
        assert f"vnp_TxnRef={order['id']}" in first and f"vnp_TxnRef={order['id']}" in second
        assert (await filing_order(http, person, d["id"]))["id"] == order["id"]
        r = await choose(stack, order["id"], first)
        assert r.status_code == 200, r.text
        paid = await eventually(lambda: _in(http, person, order["id"], "paid"), timeout=30)
        assert paid["provider_txn"] and paid["receipt_no"]
        # The provider sends its notification again: answered "already confirmed", nothing changes.
        async with httpx.AsyncClient(timeout=30) as sandbox:
            r = await sandbox.post(f"{stack.infra.paysandbox_url}/sandbox/ipn/{order['id']}/resend")
            assert r.status_code == 202 and r.json()["rsp_code"] == "02", r.text
            sent = await eventually(lambda: _answers(sandbox, stack, order["id"], 2), timeout=30)
        assert [a["RspCode"] for a in sent][:2] == ["00", "02"]
        again = await state(http, person, order["id"])
        assert again == paid
        # The second tab's payment is refused by the provider's merchant: the order is final.
        r = await http.post(f"{P}/orders/{order['id']}/pay", headers=person.auth)
        assert r.status_code == 409
        # The dossier shows it paid, once; the e-receipt is there.
        listing = (await http.get(f"{P}/dossiers/{d['id']}", headers=person.auth)).json()
        assert [o["state"] for o in listing["orders"]] == ["paid"]
        receipt = await http.get(f"{P}/orders/{order['id']}/receipt", headers=person.auth)
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")


async def test_a_notification_that_never_came_is_found_by_the_reconciliation(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        admin = await client.admin(http, stack.cfg.admin_username, stack.cfg.admin_password)
        person, d = await filed(http, stack)
        order = await filing_order(http, person, d["id"])
        url = await pay_url(http, person, order["id"])
        # The provider is down while the citizen pays: its page answers 503; nothing is paid.
        async with httpx.AsyncClient(timeout=30) as sandbox:
            assert (await sandbox.post(f"{stack.infra.paysandbox_url}/sandbox/down")).status_code == 200
            try:
                page = await sandbox.get(url)
                assert page.status_code == 503
            finally:
                assert (await sandbox.post(f"{stack.infra.paysandbox_url}/sandbox/up")).status_code == 200
        assert (await state(http, person, order["id"]))["state"] == "pending"
        # Paid, and the notification lost on the way: the order waits, until the reconciliation asks.
        r = await choose(stack, order["id"], url, ipn=False)
        assert r.status_code == 200, r.text
        assert (await state(http, person, order["id"]))["state"] == "pending"
        # Minutes pass (the reconciliation asks about orders left pending a while): moved back in time.
        mongo = AsyncMongoClient(stack.mongo_url_for("payment"))
        try:
            past = datetime.now(UTC) - timedelta(minutes=10)
            await mongo[stack.db_name("payment")].orders.update_one(
                {"_id": order["id"]}, {"$set": {"created_at": past}}
            )
        finally:
            await mongo.close()

        async def reconciled() -> dict | None:
            r = await http.post(f"{P}/reconcile", headers=admin.auth)
            assert r.status_code == 200, r.text
            got = await state(http, person, order["id"])
            return got if got["state"] == "paid" else None

        paid = await eventually(reconciled, timeout=60, interval=1.0)
        assert paid["provider_txn"]


async def test_a_declined_payment_fails_and_a_new_order_may_be_paid(stack):
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        person, d = await filed(http, stack)
        order = await filing_order(http, person, d["id"])
        r = await choose(stack, order["id"], await pay_url(http, person, order["id"]), result="failure")
        assert r.status_code == 200, r.text
        await eventually(lambda: _in(http, person, order["id"], "failed"), timeout=30)
        retry = await filing_order(http, person, d["id"])
        assert retry["id"] != order["id"] and retry["state"] == "created"


async def _in(http, person, order_id: str, wanted: str) -> dict | None:
    got = await state(http, person, order_id)
    return got if got.get("state") == wanted else None


async def _answers(sandbox: httpx.AsyncClient, stack, order_id: str, n: int) -> list | None:
    """The merchant's answers to the sandbox's notifications of the order, once there are ``n``."""
    r = await sandbox.get(f"{stack.infra.paysandbox_url}/sandbox/ipn/{order_id}")
    if r.status_code != 200:
        return None
    answers = [d["attempts"][-1]["answer"] for d in r.json()["deliveries"] if d["state"] == "done"]
    return answers if len(answers) >= n else None


async def test_the_service_restarted_mid_payment_loses_nothing(stack):
    """The payment service goes down after sending the citizen to the provider: the provider's
    notification meets a closed door and is retried; whatever the restart's timing (a retry gets through,
    or the reconciliation asks afterwards), the order ends paid, once."""
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        admin = await client.admin(http, stack.cfg.admin_username, stack.cfg.admin_password)
        person, d = await filed(http, stack)
        order = await filing_order(http, person, d["id"])
        url = await pay_url(http, person, order["id"])
        replicas = [p for spec, _, _, p in stack.stack.replicas() if spec.name == "payment"]
        try:
            for p in replicas:
                await asyncio.to_thread(p.stop)
            r = await choose(stack, order["id"], url)
            assert r.status_code == 200, r.text
        finally:
            await asyncio.to_thread(stack.stack.up_services)  # the payment replicas come back
        async with httpx.AsyncClient(timeout=30) as sandbox:
            log = (await sandbox.get(f"{stack.infra.paysandbox_url}/sandbox/ipn/{order['id']}")).json()
        first = log["deliveries"][0]["attempts"][0]
        assert first["status"] != 200 or first.get("error"), first  # the door was closed

        async def paid() -> dict | None:
            got = await _in(http, person, order["id"], "paid")
            if got is None:  # the retries gave up before the restart: the reconciliation asks
                mongo = AsyncMongoClient(stack.mongo_url_for("payment"))
                try:
                    past = datetime.now(UTC) - timedelta(minutes=10)
                    await mongo[stack.db_name("payment")].orders.update_one(
                        {"_id": order["id"], "state": "pending"}, {"$set": {"created_at": past}}
                    )
                finally:
                    await mongo.close()
                await http.post(f"{P}/reconcile", headers=admin.auth)
            return got

        done = await eventually(paid, timeout=90, interval=1.0)
        listing = (await http.get(f"{P}/dossiers/{d['id']}", headers=person.auth)).json()
        assert [o["state"] for o in listing["orders"]] == ["paid"] and done["provider_txn"]
