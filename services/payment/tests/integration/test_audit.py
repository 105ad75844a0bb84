"""The audit trail the payment service writes (audit.recorded.v1 through its outbox): staff's reads of
someone's payment records, an administrator's refund (asked of the provider, then done, in the order's
transaction); and that none of these succeeds when its entry cannot be written."""

from __future__ import annotations

import uuid
from typing import Any

from pymongo.errors import ConnectionFailure

from .conftest import AGENCY, P

AUDIT = "audit.recorded.v1"


async def entries(payment, **match: Any) -> list[dict[str, Any]]:
    query = {"routing_key": AUDIT} | {f"envelope.data.{k}": v for k, v in match.items()}
    docs = await payment.db.outbox.find(query).sort("created_at", 1).to_list()
    return [d["envelope"]["data"] for d in docs]


def broken_audit(payment, monkeypatch) -> None:
    async def refuse(session, record):
        raise ConnectionFailure("the audit entry could not be written")

    monkeypatch.setattr(payment.rt.audit, "_add_event", refuse)


async def paid_order(payment) -> tuple[str, dict[str, Any], Any]:
    owner = str(uuid.uuid4())
    order = await payment.filing_order(owner)
    await payment.pay(owner, order["id"])
    t = payment.provider.record(order["id"], 20000)
    await payment.ipn(payment.provider.ipn(t))
    return owner, order, t


async def test_staff_reads_of_payments_are_recorded_the_owners_are_not(payment):
    owner, order, _t = await paid_order(payment)
    oid, did = order["id"], order["dossier_id"]
    assert (await payment.http.get(f"{P}/orders/{oid}", headers=payment.token(owner))).status_code == 200
    assert (await payment.http.get(f"{P}/dossiers/{did}", headers=payment.token(owner))).status_code == 200
    assert await entries(payment, subject=owner) == []

    officer = payment.token("officer-7", roles=["officer", "reception"], agencies=[AGENCY])
    assert (await payment.http.get(f"{P}/dossiers/{did}", headers=officer)).status_code == 200
    assert (await payment.http.get(f"{P}/orders/{oid}", headers=officer)).status_code == 200
    assert (await payment.http.get(f"{P}/orders/{oid}/receipt", headers=officer)).status_code == 200
    listed, viewed, receipt = await entries(payment, subject=owner)
    assert listed["action"] == "payment.listed" and listed["target_id"] == did
    assert listed["after"] == {"orders": [oid]} and listed["actor"] == "officer-7"
    assert viewed["action"] == "payment.viewed" and viewed["target_id"] == oid
    assert receipt["action"] == "receipt.downloaded" and receipt["kind"] == "read"
    assert receipt["actor_agencies"] == [AGENCY]


async def test_a_refund_is_recorded_before_the_provider_is_asked_and_with_the_change(payment):
    owner, order, _t = await paid_order(payment)
    admin = payment.token("admin-9", roles=["admin"])
    r = await payment.http.post(f"{P}/orders/{order['id']}/refund", headers=admin)
    assert r.status_code == 200, r.text
    asked, refunded = await entries(payment, target_id=order["id"])
    assert asked["action"] == "payment.refund_requested" and asked["kind"] == "change"
    assert asked["after"] == {"amount": 20000, "state": "paid"}
    assert refunded["action"] == "payment.refunded" and refunded["subject"] == owner
    assert refunded["before"]["state"] == "paid" and refunded["after"]["state"] == "refunded"
    assert refunded["after"]["refunded_at"] and refunded["actor"] == "admin-9"


async def test_nothing_happens_without_its_entry(payment, monkeypatch):
    owner, order, t = await paid_order(payment)
    broken_audit(payment, monkeypatch)
    admin = payment.token("admin-9", roles=["admin"])
    r = await payment.http.post(f"{P}/orders/{order['id']}/refund", headers=admin)
    assert r.status_code == 503
    assert not t.refunded  # the provider was never asked
    assert (await payment.order(owner, order["id"]))["state"] == "paid"
    officer = payment.token("officer-7", roles=["officer"], agencies=[AGENCY])
    r = await payment.http.get(f"{P}/orders/{order['id']}/receipt", headers=officer)
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    # The owner's own reads are not recorded, so they go on.
    r = await payment.http.get(f"{P}/orders/{order['id']}/receipt", headers=payment.token(owner))
    assert r.status_code == 200

    monkeypatch.undo()
    r = await payment.http.post(f"{P}/orders/{order['id']}/refund", headers=admin)
    assert r.status_code == 200 and t.refunded
