"""Money is never lost or doubled: each case of the provider's notification, the return, two tabs, the
reconciliation and refunds, against real MongoDB and RabbitMQ and a provider over HTTP."""

from __future__ import annotations

import asyncio
import io
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from pypdf import PdfReader

from devstack.testing import eventually
from dvckit import vnpay
from dvckit.contracts import DOSSIER_STATUS, DossierStatusChangedV1, FeeLine

from .conftest import AGENCY, P


def user() -> str:
    return str(uuid.uuid4())


async def test_filing_order_pay_url_and_success(payment):
    owner = user()
    order = await payment.filing_order(owner)
    assert order["amount"] == 20000 and order["state"] == "created" and order["purpose"] == "filing"
    # asking again answers the open order
    again = await payment.http.post(
        f"{P}/dossiers/{order['dossier_id']}/orders", json={"purpose": "filing"}, headers=payment.token(owner)
    )
    assert again.status_code == 200 and again.json()["id"] == order["id"]
    url = await payment.pay(owner, order["id"])
    parts = urlsplit(url)
    assert parts.path == "/paymentv2/vpcpay.html"
    query = dict(parse_qsl(parts.query))
    assert vnpay.check(query, payment.provider.secret)
    assert query["vnp_Amount"] == "2000000" and query["vnp_TxnRef"] == order["id"]
    assert query["vnp_ReturnUrl"] == "https://dichvucong.haiphong.gov.vn/thanh-toan/ket-qua"
    assert (await payment.order(owner, order["id"]))["state"] == "pending"

    t = payment.provider.record(order["id"], 20000)
    assert await payment.ipn(payment.provider.ipn(t)) == {"RspCode": "00", "Message": "Confirm Success"}
    paid = await payment.order(owner, order["id"])
    assert paid["state"] == "paid" and paid["provider_txn"] == t.no and paid["receipt_no"]
    [event] = await payment.outbox("payment.succeeded", order["id"])
    assert event["amount"] == 20000 and event["receipt_no"] == paid["receipt_no"]
    assert len(await payment.outbox("payment.requested", order["id"])) == 1

    listing = await payment.http.get(f"{P}/dossiers/{order['dossier_id']}", headers=payment.token(owner))
    assert listing.json()["filing_paid"] and listing.json()["orders"][0]["id"] == order["id"]
    r = await payment.http.get(f"{P}/orders/{order['id']}/receipt", headers=payment.token(owner))
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(r.content)).pages[0].extract_text()
    assert "BIÊN LAI" in text and "20.000 đ" in text and paid["receipt_no"] in text
    assert "Số tiền bằng chữ: Hai mươi nghìn đồng" in " ".join(text.split())
    officer = payment.token("officer-1", roles=["officer"], agencies=[AGENCY])
    assert (await payment.http.get(f"{P}/orders/{order['id']}/receipt", headers=officer)).status_code == 200
    # paid: no second filing order
    r = await payment.http.post(
        f"{P}/dossiers/{order['dossier_id']}/orders", json={"purpose": "filing"}, headers=payment.token(owner)
    )
    assert r.status_code == 409 and r.json()["code"] == "already-paid"
    # and paying the paid order is refused
    r = await payment.http.post(f"{P}/orders/{order['id']}/pay", headers=payment.token(owner))
    assert r.status_code == 409


async def test_failure(payment):
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000, success=False)
    assert (await payment.ipn(payment.provider.ipn(t)))["RspCode"] == "00"
    got = await payment.order(owner, order["id"])
    assert got["state"] == "failed" and "24" in got["failure"]
    assert len(await payment.outbox("payment.failed", order["id"])) == 1
    r = await payment.http.get(f"{P}/orders/{order['id']}/receipt", headers=payment.token(owner))
    assert r.status_code == 409
    # a new order may be made after a failure
    r = await payment.http.post(
        f"{P}/dossiers/{order['dossier_id']}/orders", json={"purpose": "filing"}, headers=payment.token(owner)
    )
    assert r.status_code == 201 and r.json()["id"] != order["id"]


async def test_duplicate_ipn_changes_nothing(payment):
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000)
    params = payment.provider.ipn(t)
    assert (await payment.ipn(params))["RspCode"] == "00"
    before = await payment.db.orders.find_one({"_id": order["id"]})
    for as_query in (False, True):  # the real provider's GET style too
        assert (await payment.ipn(params, as_query=as_query))["RspCode"] == "02"
    assert await payment.db.orders.find_one({"_id": order["id"]}) == before
    assert len(await payment.outbox("payment.succeeded", order["id"])) == 1


async def test_forged_wrong_amount_and_unknown_order(payment):
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000)
    forged = {**payment.provider.ipn(t), "vnp_Amount": "100"}  # changed after signing
    assert (await payment.ipn(forged))["RspCode"] == "97"
    wrong_key = payment.provider.ipn(t)
    wrong_key["vnp_SecureHash"] = vnpay.sign({k: v for k, v in wrong_key.items()}, "not-the-secret")[
        vnpay.HASH
    ]
    assert (await payment.ipn(wrong_key))["RspCode"] == "97"
    other_merchant = payment.provider.ipn(t, vnp_TmnCode="OTHER001")
    assert (await payment.ipn(other_merchant))["RspCode"] == "97"
    assert (await payment.ipn(payment.provider.ipn(t, vnp_Amount="100")))["RspCode"] == "04"
    assert (await payment.ipn(payment.provider.ipn(t, vnp_TxnRef=uuid.uuid4().hex)))["RspCode"] == "01"
    assert (await payment.ipn({}))["RspCode"] == "97"
    assert (await payment.order(owner, order["id"]))["state"] == "pending"
    assert await payment.outbox("payment.succeeded", order["id"]) == []


async def test_expired_then_paid_late(payment):
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    past = datetime.now(UTC) - timedelta(minutes=1)
    await payment.db.orders.update_one({"_id": order["id"]}, {"$set": {"expires_at": past}})
    # the reconciliation finds nothing at the provider: expired
    got = await payment.payments.reconcile()
    assert got.get("expired", 0) >= 1
    assert (await payment.order(owner, order["id"]))["state"] == "expired"
    assert len(await payment.outbox("payment.expired", order["id"])) == 1
    r = await payment.http.post(f"{P}/orders/{order['id']}/pay", headers=payment.token(owner))
    assert r.status_code == 410
    # then the provider's notification of the money comes: accepted, flagged late
    t = payment.provider.record(order["id"], 20000)
    assert (await payment.ipn(payment.provider.ipn(t)))["RspCode"] == "00"
    got = await payment.order(owner, order["id"])
    assert got["state"] == "paid" and got["late"] and "late" in got["flags"]
    [event] = await payment.outbox("payment.succeeded", order["id"])
    assert event["late"] is True


async def test_two_tabs_one_order_one_payment(payment):
    owner = user()
    d = await payment.dossier(owner)
    h = payment.token(owner)
    made = await asyncio.gather(
        *(
            payment.http.post(f"{P}/dossiers/{d['id']}/orders", json={"purpose": "filing"}, headers=h)
            for _ in range(4)
        )
    )
    ids = {r.json()["id"] for r in made}
    assert len(ids) == 1, [r.text for r in made]
    [order_id] = ids
    urls = await asyncio.gather(payment.pay(owner, order_id), payment.pay(owner, order_id))
    refs = {dict(parse_qsl(urlsplit(u).query))["vnp_TxnRef"] for u in urls}
    assert refs == {order_id}
    # the provider notifies the same payment several times at once: exactly one applies
    t = payment.provider.record(order_id, 20000)
    answers = await asyncio.gather(*(payment.ipn(payment.provider.ipn(t)) for _ in range(6)))
    codes = sorted(a["RspCode"] for a in answers)
    assert codes == ["00", "02", "02", "02", "02", "02"], codes
    assert len(await payment.outbox("payment.succeeded", order_id)) == 1
    # a second payment under another transaction number (a second tab at the provider): flagged, not applied
    second = payment.provider.record(order_id, 20000)
    assert (await payment.ipn(payment.provider.ipn(second)))["RspCode"] == "02"
    got = await payment.order(owner, order_id)
    assert got["provider_txn"] == t.no and f"second-payment:{second.no}" in got["flags"]
    assert len(await payment.outbox("payment.succeeded", order_id)) == 1


async def test_ipn_before_the_return(payment):
    """The provider's notification arrives first; the browser's return only reads the state."""
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000)
    assert (await payment.ipn(payment.provider.ipn(t)))["RspCode"] == "00"
    assert (await payment.order(owner, order["id"]))["state"] == "paid"


async def test_reconciliation_fixes_an_order_whose_notification_never_came(payment):
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000)  # paid at the provider; the IPN was lost
    old = datetime.now(UTC) - timedelta(minutes=10)
    await payment.db.orders.update_one({"_id": order["id"]}, {"$set": {"created_at": old}})
    payment.provider.down = True
    try:
        assert (await payment.payments.reconcile()).get("unreachable", 0) >= 1
        assert (await payment.order(owner, order["id"]))["state"] == "pending"
    finally:
        payment.provider.down = False
    admin = payment.token("admin-1", roles=["admin"])
    r = await payment.http.post(f"{P}/reconcile", headers=admin)
    assert r.status_code == 200 and r.json()["checked"] >= 1
    got = await payment.order(owner, order["id"])
    assert got["state"] == "paid" and got["provider_txn"] == t.no and not got["late"]
    assert len(await payment.outbox("payment.succeeded", order["id"])) == 1
    # the notification that finally comes changes nothing
    assert (await payment.ipn(payment.provider.ipn(t)))["RspCode"] == "02"
    assert (await payment.http.post(f"{P}/reconcile", headers=payment.token(owner))).status_code == 403


async def test_refund_by_an_administrator(payment):
    owner = user()
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000)
    await payment.ipn(payment.provider.ipn(t))
    admin = payment.token("admin-1", roles=["admin"])
    assert (
        await payment.http.post(f"{P}/orders/{order['id']}/refund", headers=payment.token(owner))
    ).status_code == 403
    r = await payment.http.post(f"{P}/orders/{order['id']}/refund", headers=admin)
    assert r.status_code == 200 and r.json()["state"] == "refunded", r.text
    assert t.refunded and len(await payment.outbox("payment.refunded", order["id"])) == 1
    r = await payment.http.post(f"{P}/orders/{order['id']}/refund", headers=admin)
    assert r.status_code == 409


async def test_a_payment_request_opens_a_requested_order(payment):
    owner = user()
    d = await payment.dossier(owner)
    lines = [FeeLine(name="Phí thẩm định hồ sơ", amount=150000)]
    await payment.publish(
        DossierStatusChangedV1(
            dossier_id=d["id"],
            code=d["code"],
            owner_id=owner,
            procedure_code="1.004194",
            procedure_name="Đăng ký tạm trú",
            agency_code=AGENCY,
            agency_name="Công an Phường Ngô Quyền",
            old_status="processing",
            new_status="payment_requested",
            old_status_code=DOSSIER_STATUS["processing"][0],
            new_status_code=DOSSIER_STATUS["payment_requested"][0],
            actor_role="officer",
            payment_lines=lines,
            payment_amount=150000,
            changed_at=datetime.now(UTC),
            rev=5,
        )
    )

    async def requested():
        got = (await payment.http.get(f"{P}/dossiers/{d['id']}", headers=payment.token(owner))).json()
        return [o for o in got["orders"] if o["purpose"] == "requested"]

    [order] = await eventually(requested, 15)
    assert order["amount"] == 150000 and order["lines"] == [{"name": "Phí thẩm định hồ sơ", "amount": 150000}]
    [event] = await payment.outbox("payment.requested", order["id"])
    assert event["purpose"] == "requested" and event["agency_code"] == AGENCY


async def test_who_may_see_and_pay(payment):
    owner = user()
    order = await payment.filing_order(owner)
    other = payment.token(user())
    assert (await payment.http.get(f"{P}/orders/{order['id']}", headers=other)).status_code == 404
    assert (await payment.http.get(f"{P}/dossiers/{order['dossier_id']}", headers=other)).status_code == 404
    assert (await payment.http.post(f"{P}/orders/{order['id']}/pay", headers=other)).status_code == 404
    wrong_agency = payment.token("o2", roles=["officer"], agencies=["000.00.00.H26"])
    assert (await payment.http.get(f"{P}/orders/{order['id']}", headers=wrong_agency)).status_code == 404
    officer = payment.token("o1", roles=["officer"], agencies=[AGENCY])
    assert (await payment.http.get(f"{P}/orders/{order['id']}", headers=officer)).status_code == 200
    assert (await payment.http.post(f"{P}/orders/{order['id']}/pay", headers=officer)).status_code == 403
    assert (await payment.http.get(f"{P}/orders/{order['id']}")).status_code == 401
    r = await payment.http.post(
        f"{P}/dossiers/{order['dossier_id']}/orders", json={"purpose": "other"}, headers=payment.token(owner)
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


async def test_an_organisation_member_pays_its_dossier(payment):
    rep = user()
    org = uuid.uuid4().hex
    d = await payment.dossier(rep, organisation_id=org)
    staff = payment.token(user(), orgs=[{"id": org, "role": "staff"}])
    viewer = payment.token(user(), orgs=[{"id": org, "role": "viewer"}])
    r = await payment.http.post(f"{P}/dossiers/{d['id']}/orders", json={"purpose": "filing"}, headers=viewer)
    assert r.status_code == 403
    r = await payment.http.post(f"{P}/dossiers/{d['id']}/orders", json={"purpose": "filing"}, headers=staff)
    assert r.status_code == 201
    assert (await payment.http.get(f"{P}/dossiers/{d['id']}", headers=viewer)).status_code == 200
