"""The payment provider sandbox (devstack.paysandbox), spoken to over HTTP only, as the payment service will:
a signed pay request, the page and its choices, the notification (IPN) a merchant server here receives and
checks with dvckit.vnpay, retries, a resent duplicate, querydr, refund, the provider down, and the refusal
in production. The sandbox runs as `make up` runs it (devstack.infra.PaySandbox), on a free port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from devstack.config import PAYMENT_IPN_PATH, StackConfig
from devstack.infra import PaySandbox
from devstack.procs import port_open
from devstack.stack import Stack
from devstack.testing import free_port
from dvckit import vnpay

TMN = "DVCTEST1"
SECRET = "a-test-merchant-secret"
RETURN_URL = "http://127.0.0.1:9/thanh-toan/ket-qua"


class Merchant:
    """A merchant's IPN endpoint: checks each notification with dvckit.vnpay and answers as the payment
    service will (97 forged, 02 already confirmed, 00 otherwise), unless told to answer otherwise."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.script: dict[str, list[tuple[int, str]]] = {}  # txn_ref → (HTTP status, RspCode) to answer next
        self.confirmed: set[str] = set()
        merchant = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, params: dict[str, str]) -> None:
                merchant.received.append(params)
                ref = params.get("vnp_TxnRef", "")
                if merchant.script.get(ref):
                    status, code = merchant.script[ref].pop(0)
                elif not vnpay.check(params, SECRET) or params.get("vnp_TmnCode") != TMN:
                    status, code = 200, "97"
                elif ref in merchant.confirmed:
                    status, code = 200, "02"
                else:
                    merchant.confirmed.add(ref)
                    status, code = 200, "00"
                body = json.dumps({"RspCode": code, "Message": "test"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)))

            def do_GET(self) -> None:
                self._answer(dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def of(self, txn_ref: str) -> list[dict[str, str]]:
        return [p for p in self.received if p.get("vnp_TxnRef") == txn_ref]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def merchant() -> Iterator[Merchant]:
    m = Merchant()
    yield m
    m.close()


@pytest.fixture(scope="module")
def sandbox(merchant: Merchant, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The sandbox as the stack starts it: its merchant the stack's (here the test's), notified at the
    stack's gateway (here the test merchant's server), retrying quickly."""
    cfg = StackConfig(
        data_dir=tmp_path_factory.mktemp("paysandbox"),
        paysandbox_port=free_port(),
        gateway_port=merchant.port,
        payment_tmn_code=TMN,
        payment_hash_secret=SECRET,
    )
    part = PaySandbox(cfg, retry_delays=(0.05, 0.1, 0.1, 0.1, 0.1))
    assert part.ensure() == "started"
    try:
        with httpx.Client(base_url=cfg.paysandbox_url, timeout=10) as client:
            yield client
    finally:
        part.proc.stop()
    assert not port_open(cfg.host, cfg.paysandbox_port)


def pay_params(txn_ref: str, amount: int = 150_000, expires_in: int = 900, **more: str) -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": TMN,
        "vnp_Amount": str(amount * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": "Thanh toan ho so H31.29-260105-0007",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": RETURN_URL,
        "vnp_IpAddr": "127.0.0.1",
        "vnp_CreateDate": vnpay.timestamp(now),
        "vnp_ExpireDate": vnpay.timestamp(now + timedelta(seconds=expires_in)),
        **more,
    }


def pay_query(txn_ref: str, secret: str = SECRET, **kw: Any) -> str:
    return vnpay.signed_query(pay_params(txn_ref, **kw), secret)


def new_ref() -> str:
    return uuid.uuid4().hex


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {last!r}")
        time.sleep(0.05)


def ipn_log(sandbox: httpx.Client, txn_ref: str, deliveries: int = 1) -> dict[str, Any]:
    """The sandbox's record of what it sent, once ``deliveries`` are answered or given up."""

    def settled() -> dict[str, Any] | None:
        log = sandbox.get(f"/sandbox/ipn/{txn_ref}").json()
        done = [d for d in log["deliveries"] if d["state"] != "sending"]
        return log if len(done) >= deliveries else None

    return eventually(settled)


def returned(url: str) -> dict[str, str]:
    assert url.startswith(RETURN_URL + "?"), url
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert vnpay.check(params, SECRET), "the return URL's result is signed with the merchant's secret"
    return params


def api(command: str, txn_ref: str, secret: str = SECRET, **more: str) -> dict[str, str]:
    now = vnpay.timestamp(datetime.now(UTC))
    body = {
        "vnp_RequestId": uuid.uuid4().hex,
        "vnp_Version": "2.1.0",
        "vnp_Command": command,
        "vnp_TmnCode": TMN,
        "vnp_TxnRef": txn_ref,
        "vnp_OrderInfo": f"{command} {txn_ref}",
        "vnp_TransactionDate": now,
        "vnp_CreateDate": now,
        "vnp_IpAddr": "127.0.0.1",
        **more,
    }
    fields = vnpay.QUERY_FIELDS if command == "querydr" else vnpay.REFUND_FIELDS
    return {**body, vnpay.HASH: vnpay.api_hash(body, fields, secret)}


def transaction(sandbox: httpx.Client, body: dict[str, str]) -> dict[str, str]:
    r = sandbox.post("/merchant_webapi/api/transaction", json=body)
    assert r.status_code == 200, r.text
    answer = r.json()
    fields = vnpay.QUERY_ANSWER_FIELDS if body["vnp_Command"] == "querydr" else vnpay.REFUND_ANSWER_FIELDS
    assert vnpay.api_check(answer, fields, SECRET), "the provider's answer is signed"
    return answer


def test_the_page_shows_the_order_and_a_success_notifies_then_returns(sandbox, merchant):
    ref = new_ref()
    r = sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref, amount=1_250_000)}")
    assert r.status_code == 200, r.text
    page = r.text
    assert '<html lang="vi">' in page
    assert "1.250.000 đồng" in page and "Thanh toan ho so H31.29-260105-0007" in page and TMN in page
    for label in ("Thanh toán thành công", "Thanh toán thất bại", "Hủy giao dịch"):
        assert f">{label}</button>" in page
    assert '<button type="submit"' in page and "<legend>" in page  # a form: keyboard and screen readers

    r = sandbox.post(f"/paymentv2/pay/{ref}", data={"result": "success"}, follow_redirects=False)
    assert r.status_code == 303
    back = returned(r.headers["location"])
    assert back["vnp_ResponseCode"] == "00" and back["vnp_TransactionStatus"] == "00"
    assert back["vnp_Amount"] == "125000000" and back["vnp_BankCode"] == "NCB"
    # With no delay the merchant has its notification before the browser comes back.
    (ipn,) = merchant.of(ref)
    assert vnpay.check(ipn, SECRET)
    assert ipn == back  # the same signed result, both ways
    assert ipn["vnp_TransactionNo"].isdigit() and len(ipn["vnp_PayDate"]) == 14
    log = ipn_log(sandbox, ref)
    assert log["state"] == "paid" and log["deliveries"][0]["state"] == "done"
    assert log["deliveries"][0]["attempts"][0]["answer"] == {"RspCode": "00", "Message": "test"}

    # The choice is made once: the page (or a second tab) cannot pay it again.
    again = sandbox.post(f"/paymentv2/pay/{ref}", data={"result": "success"}, follow_redirects=False)
    assert again.status_code == 409
    assert sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref)}").status_code == 409
    assert len(merchant.of(ref)) == 1


@pytest.mark.parametrize(("result", "code"), [("failure", "51"), ("cancel", "24")])
def test_failure_and_cancel_through_the_test_api(sandbox, merchant, result, code):
    ref = new_ref()
    r = sandbox.post(f"/sandbox/pay/{ref}", json={"result": result, "query": pay_query(ref)})
    assert r.status_code == 200, r.text
    back = returned(r.json()["return_url"])
    assert (back["vnp_ResponseCode"], back["vnp_TransactionStatus"]) == (code, "02")
    (ipn,) = merchant.of(ref)
    assert ipn == back
    assert ipn_log(sandbox, ref)["state"] == {"failure": "failed", "cancel": "cancelled"}[result]


def test_the_test_api_pays_an_order_the_page_opened_and_can_hold_the_notification(sandbox, merchant):
    ref = new_ref()
    assert sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success"}).status_code == 404  # never opened
    assert sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref)}").status_code == 200
    r = sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "ipn": False})
    assert r.status_code == 200
    assert returned(r.json()["return_url"])["vnp_ResponseCode"] == "00"
    time.sleep(0.3)
    assert merchant.of(ref) == [] and sandbox.get(f"/sandbox/ipn/{ref}").json()["deliveries"] == []
    # Sent later on demand (the notification that was lost): the merchant confirms it.
    assert sandbox.post(f"/sandbox/ipn/{ref}/resend").status_code == 202
    assert ipn_log(sandbox, ref)["deliveries"][0]["rsp_code"] == "00"


def test_a_delayed_notification_arrives_after_the_browser_returns(sandbox, merchant):
    ref = new_ref()
    r = sandbox.post(
        f"/sandbox/pay/{ref}", json={"result": "success", "delay_ms": 400, "query": pay_query(ref)}
    )
    assert r.status_code == 200
    assert merchant.of(ref) == []
    eventually(lambda: merchant.of(ref))


def test_a_request_not_signed_with_the_merchants_secret_is_refused_and_recorded_nowhere(sandbox, merchant):
    ref = new_ref()
    r = sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref, secret='not-the-secret')}")
    assert r.status_code == 400 and "chữ ký" in r.text and 'lang="vi"' in r.text
    # A signed query whose amount was changed afterwards.
    tampered = pay_query(ref).replace("vnp_Amount=15000000", "vnp_Amount=100")
    assert sandbox.get(f"/paymentv2/vpcpay.html?{tampered}").status_code == 400
    r = sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": tampered})
    assert r.status_code == 400
    assert sandbox.get(f"/sandbox/ipn/{ref}").status_code == 404
    assert sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success"}).status_code == 404
    assert merchant.of(ref) == []


@pytest.mark.parametrize(
    "change",
    [
        {"expires_in": -60},
        {"amount": 0},
        {"vnp_TmnCode": "UNKNOWN1"},
        {"vnp_Version": "2.0.0"},
        {"vnp_Command": "refund"},
        {"vnp_ReturnUrl": "javascript:alert(1)"},
    ],
)
def test_invalid_pay_requests_are_refused(sandbox, change):
    ref = new_ref()
    assert sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref, **change)}").status_code == 400
    assert sandbox.get(f"/sandbox/ipn/{ref}").status_code == 404


def test_the_notification_is_retried_while_the_merchant_answers_99_or_fails(sandbox, merchant):
    ref = new_ref()
    merchant.script[ref] = [(200, "99"), (500, "99")]
    r = sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": pay_query(ref)})
    assert r.status_code == 200
    log = ipn_log(sandbox, ref)
    (delivery,) = log["deliveries"]
    assert [a["status"] for a in delivery["attempts"]] == [200, 500, 200]
    assert [a["answer"]["RspCode"] for a in delivery["attempts"]] == ["99", "99", "00"]
    assert delivery["state"] == "done"
    sent = merchant.of(ref)
    assert len(sent) == 3 and all(p == sent[0] for p in sent)  # the same notification each time


def test_the_sandbox_gives_up_after_five_retries(sandbox, merchant):
    ref = new_ref()
    merchant.script[ref] = [(200, "99")] * 10
    sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": pay_query(ref)})
    (delivery,) = ipn_log(sandbox, ref)["deliveries"]
    assert delivery["state"] == "gave_up" and len(delivery["attempts"]) == 6
    assert len(merchant.of(ref)) == 6


def test_a_resent_notification_is_a_duplicate_the_merchant_already_confirmed(sandbox, merchant):
    ref = new_ref()
    sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": pay_query(ref)})
    ipn_log(sandbox, ref)
    assert sandbox.post(f"/sandbox/ipn/{ref}/resend").status_code == 202
    log = ipn_log(sandbox, ref, deliveries=2)
    assert [d["reason"] for d in log["deliveries"]] == ["pay", "resend"]
    assert [d["rsp_code"] for d in log["deliveries"]] == ["00", "02"]
    first, second = merchant.of(ref)
    assert first == second  # byte for byte the same signed parameters


def test_resend_needs_a_completed_transaction(sandbox):
    ref = new_ref()
    assert sandbox.post(f"/sandbox/ipn/{ref}/resend").status_code == 404
    sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref)}")
    assert sandbox.post(f"/sandbox/ipn/{ref}/resend").status_code == 409


def test_query_finds_the_transaction_and_its_status(sandbox):
    paid, opened, failed = new_ref(), new_ref(), new_ref()
    r = sandbox.post(f"/sandbox/pay/{paid}", json={"result": "success", "query": pay_query(paid)})
    number = dict(parse_qsl(urlsplit(r.json()["return_url"]).query))["vnp_TransactionNo"]
    sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(opened)}")
    sandbox.post(f"/sandbox/pay/{failed}", json={"result": "failure", "query": pay_query(failed)})

    found = transaction(sandbox, api("querydr", paid))
    assert found["vnp_ResponseCode"] == "00" and found["vnp_TransactionStatus"] == "00"
    assert found["vnp_TxnRef"] == paid and found["vnp_Amount"] == "15000000"
    assert found["vnp_TransactionNo"] == number and found["vnp_BankCode"] == "NCB"
    assert found["vnp_TransactionType"] == "01"
    assert transaction(sandbox, api("querydr", opened))["vnp_TransactionStatus"] == "01"  # not completed
    assert transaction(sandbox, api("querydr", failed))["vnp_TransactionStatus"] == "02"
    assert transaction(sandbox, api("querydr", new_ref()))["vnp_ResponseCode"] == "91"
    forged = api("querydr", paid, secret="not-the-secret")
    assert transaction(sandbox, forged)["vnp_ResponseCode"] == "97"


def test_a_paid_transaction_is_refunded_once(sandbox):
    ref, failed = new_ref(), new_ref()
    r = sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": pay_query(ref)})
    number = dict(parse_qsl(urlsplit(r.json()["return_url"]).query))["vnp_TransactionNo"]

    def refund(txn_ref: str, **more: str) -> dict[str, str]:
        fields = {"vnp_TransactionType": "02", "vnp_Amount": "15000000", "vnp_TransactionNo": number}
        body = api("refund", txn_ref, vnp_CreateBy="admin", **(fields | more))
        return transaction(sandbox, body)

    assert refund(ref, vnp_Amount="100")["vnp_ResponseCode"] == "03"  # a full refund only
    assert refund(ref)["vnp_ResponseCode"] == "00"
    assert refund(ref)["vnp_ResponseCode"] == "94"  # once
    assert transaction(sandbox, api("querydr", ref))["vnp_TransactionType"] == "02"
    sandbox.post(f"/sandbox/pay/{failed}", json={"result": "failure", "query": pay_query(failed)})
    assert refund(failed)["vnp_ResponseCode"] == "95"  # nothing was paid
    assert refund(new_ref())["vnp_ResponseCode"] == "91"
    forged = api("refund", ref, secret="x", vnp_TransactionType="02", vnp_Amount="15000000")
    assert transaction(sandbox, forged)["vnp_ResponseCode"] == "97"


def test_the_provider_down_answers_503_until_it_is_up_again(sandbox, merchant):
    ref = new_ref()
    assert sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref)}").status_code == 200
    assert sandbox.post("/sandbox/down").json() == {"up": False}
    try:
        r = sandbox.get(f"/paymentv2/vpcpay.html?{pay_query(ref)}")
        assert r.status_code == 503 and 'lang="vi"' in r.text
        assert sandbox.post(f"/paymentv2/pay/{ref}", data={"result": "success"}).status_code == 503
        assert sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success"}).status_code == 503
        r = sandbox.post("/merchant_webapi/api/transaction", json=api("querydr", ref))
        assert r.status_code == 503
    finally:
        assert sandbox.post("/sandbox/up").json() == {"up": True}
    assert merchant.of(ref) == []
    assert sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success"}).status_code == 200
    assert transaction(sandbox, api("querydr", ref))["vnp_TransactionStatus"] == "00"


def test_a_merchant_registered_at_run_time_notified_by_get(sandbox, merchant):
    """How a test stack gets a merchant of its own; this one is notified VNPAY's other way (a GET)."""
    r = sandbox.put(
        "/sandbox/merchants/DVCTEST2",
        json={
            "hash_secret": SECRET,
            "ipn_url": f"http://127.0.0.1:{merchant.port}/ipn",
            "ipn_method": "GET",
        },
    )
    assert r.status_code == 200 and "hash_secret" not in r.json()
    ref = new_ref()
    query = pay_query(ref, vnp_TmnCode="DVCTEST2")
    assert sandbox.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": query}).status_code == 200
    (ipn,) = merchant.of(ref)
    assert ipn["vnp_TmnCode"] == "DVCTEST2" and vnpay.check(ipn, SECRET)
    assert ipn_log(sandbox, ref)["deliveries"][0]["rsp_code"] == "97"  # not the test merchant's code


def test_refused_in_production():
    port = free_port()
    env = {**os.environ, "DVC_ENV": "production"}
    run = subprocess.run(
        [sys.executable, "-m", "devstack.paysandbox", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "refused with DVC_ENV=production" in run.stderr
    assert not port_open("127.0.0.1", port)


def test_the_stack_starts_it_and_points_the_payment_service_at_it():
    cfg = StackConfig(gateway_port=8080, paysandbox_port=9500)
    assert "PaySandbox" in [part.key for part in Stack(cfg).infra()]
    env = cfg.payment_env()  # what service_env gives the payment service
    assert env["PAYMENT_PROVIDER_URL"] == env["PAYMENT_PROVIDER_API_URL"] == "http://127.0.0.1:9500"
    assert env["PAYMENT_TMN_CODE"] == "DVCHP001"
    assert env["PAYMENT_HASH_SECRET"] == "dvc-paysandbox-dev-hash-secret-2026"
    assert env["PAYMENT_RETURN_URL"] == "http://127.0.0.1:8080/thanh-toan/ket-qua"
    assert env["PAYMENT_IPN_URL"] == f"http://127.0.0.1:8080{PAYMENT_IPN_PATH}"
    # Production: neither the sandbox nor a service pointed at it (the real provider, by settings).
    prod = cfg.with_(env="production")
    assert "PaySandbox" not in [part.key for part in Stack(prod).infra()]
    assert prod.payment_env() == {}


def test_the_test_infrastructure_runs_a_sandbox_a_test_gets_a_merchant_on(infra, merchant):
    """What the payment service's tests build on: the run's sandbox (``infra.paysandbox_url``) and a
    merchant of the test's own on it, notified at the test's server."""
    assert infra.how["paysandbox"] == "started"
    own = infra.paysandbox_merchant(f"http://127.0.0.1:{merchant.port}{PAYMENT_IPN_PATH}", hash_secret=SECRET)
    ref = new_ref()
    with httpx.Client(base_url=infra.paysandbox_url, timeout=10) as client:
        query = pay_query(ref, vnp_TmnCode=own["tmn_code"])
        r = client.post(f"/sandbox/pay/{ref}", json={"result": "success", "query": query})
        assert r.status_code == 200, r.text
    (ipn,) = merchant.of(ref)
    assert ipn["vnp_TmnCode"] == own["tmn_code"] and vnpay.check(ipn, SECRET)


def test_a_test_stack_is_a_merchant_of_its_own_notified_at_its_gateway(infra, monkeypatch):
    from devstack import testing

    monkeypatch.setattr(testing.Stack, "up", lambda self, with_infra=True: None)  # its configuration only
    one, two = testing.start_stack(infra, name="pay-a"), testing.start_stack(infra, name="pay-b")
    assert one.cfg.payment_tmn_code != two.cfg.payment_tmn_code
    env = one.cfg.payment_env()
    assert env["PAYMENT_PROVIDER_URL"] == infra.paysandbox_url
    known = {m["tmn_code"]: m for m in httpx.get(f"{infra.paysandbox_url}/sandbox/merchants").json()}
    assert known[one.cfg.payment_tmn_code]["ipn_url"] == env["PAYMENT_IPN_URL"] == one.cfg.payment_ipn_url
    assert one.cfg.payment_ipn_url.startswith(one.url)
