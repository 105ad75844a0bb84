"""Payments against real servers: an officer's payment request with its lines, and the payment service's
confirmation (payment.succeeded.v1) published on the broker to the submission service's consumer: the
right amount moves the dossier on, a wrong amount or a confirmation delivered again changes nothing, a
filing payment is recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from devstack.testing import BROKER_PAUSE_S, eventually
from dvckit.contracts import PaymentSucceededV1
from dvckit.events import Envelope

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"
LINES = [{"name": "Lệ phí đăng ký", "amount": 20000}, {"name": "Phí cấp bản sao", "amount": 5000}]


def confirmation(d: dict, amount: int, purpose: str = "requested", **over) -> PaymentSucceededV1:
    fields = {
        "order_id": uuid.uuid4().hex,
        "dossier_id": d["id"],
        "dossier_code": d["code"],
        "owner_id": "owner",
        "purpose": purpose,
        "amount": amount,
        "provider": "vnpay",
        "provider_txn": "14700123",
        "paid_at": datetime.now(UTC),
        "receipt_no": "BL-2026-000123",
    }
    return PaymentSucceededV1.model_validate(fields | over)


async def publish(world, data: PaymentSucceededV1 | Envelope) -> Envelope:
    """As the payment service's outbox relay does: on the events exchange, for the consumer."""
    env = data if isinstance(data, Envelope) else Envelope.wrap(data, producer="payment")
    rt = world.sub.app.state.runtime
    await rt.bus.wait_ready(BROKER_PAUSE_S)
    await rt.bus.publish(env)
    return env


async def handled(world, env: Envelope) -> None:
    """Wait until the consumer recorded the event (its transaction committed)."""
    db = world.sub.app.state.runtime.db
    await eventually(lambda: db.processed_events.find_one({"_id": str(env.id)}), 20)


async def waiting_for_payment(world, p, officer, body=None) -> tuple[dict, dict]:
    d = await world.submitted(p)
    assert (await world.act(officer, d["id"], "accept")).status_code == 200
    r = await world.act(officer, d["id"], "request-payment", body or {"lines": LINES, "note": "Nộp lệ phí"})
    assert r.status_code == 200, r.text
    return d, r.json()


async def test_a_payment_request_carries_its_lines_and_the_event_says_what_to_pay(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d, asked = await waiting_for_payment(world, p, officer, {"lines": LINES, "amount": 25000})
    assert asked["status"] == "payment_requested" and asked["payment_amount"] == 25000
    assert asked["payment_lines"] == LINES and asked["payment_requested_at"]
    mine = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert mine["payment_amount"] == 25000 and mine["history"][-1]["amount"] == 25000
    rt = world.sub.app.state.runtime
    doc = await rt.db.outbox.find_one(
        {"routing_key": "dossier.status_changed.v1", "envelope.data.dossier_id": d["id"]},
        sort=[("created_at", -1)],
    )
    data = doc["envelope"]["data"]
    assert data["new_status"] == "payment_requested" and data["payment_amount"] == 25000
    assert data["payment_lines"] == LINES
    # The officers' queue says how much is asked, and whether the filing fee was paid.
    queue = (
        await world.sub.get(
            f"{S}/officer/dossiers", params={"status": "payment_requested"}, headers=officer["h"]
        )
    ).json()
    item = next(i for i in queue["items"] if i["id"] == d["id"])
    assert (
        item["payment_amount"] == 25000 and item["fee_due_at_filing"] is True and item["fee_paid_at"] is None
    )
    # An amount alone is one line; none at all, or lines that do not add up, change nothing.
    other, _ = await waiting_for_payment(world, p, officer, {"amount": 7000})
    got = (await world.sub.get(f"{S}/officer/dossiers/{other['id']}", headers=officer["h"])).json()
    assert got["payment_lines"] == [{"name": "Phí, lệ phí", "amount": 7000}]
    d2 = await world.submitted(p)
    await world.act(officer, d2["id"], "accept")
    for body, code in (
        ({}, "amount-required"),
        ({"note": "Nộp phí"}, "amount-required"),
        ({"lines": LINES, "amount": 1}, "amount-mismatch"),
        ({"amount": "25000"}, "validation-error"),
    ):
        r = await world.act(officer, d2["id"], "request-payment", body)
        assert r.status_code == 422 and r.json()["code"] == code, body
    got = (await world.sub.get(f"{S}/officer/dossiers/{d2['id']}", headers=officer["h"])).json()
    assert got["status"] == "accepted" and got["payment_amount"] is None
    # Nobody moves it on by hand without the counter's receipt, and nobody takes the system's action.
    r = await world.act(officer, d["id"], "start")
    assert r.status_code == 422 and r.json()["code"] == "items-required"
    assert (await world.act(officer, d["id"], "paid")).status_code == 404


async def test_the_confirmed_amount_moves_the_dossier_on_and_the_appointment_by_the_pause(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d, _ = await waiting_for_payment(world, p, officer)
    db = world.sub.app.state.runtime.db
    # The pause began two working weeks ago (a Monday): paid now, the appointment moves by the time lost.
    start = datetime.now(UTC) - timedelta(days=14)
    start -= timedelta(days=start.weekday())
    await db.dossiers.update_one({"_id": d["id"]}, {"$set": {"paused_at": start}})
    before = await db.dossiers.find_one({"_id": d["id"]})
    env = await publish(world, confirmation(d, 25000))
    await handled(world, env)
    after = (await world.sub.get(f"{S}/officer/dossiers/{d['id']}", headers=officer["h"])).json()
    assert after["status"] == "processing" and after["step"] == "handling"
    assert after["payment_order_id"] and after["payment_paid_at"]
    last = after["history"][-1]
    assert (last["actor_role"], last["action"], last["amount"]) == ("system", "paid", 25000)
    assert "14700123" in last["note"] and after["payment_order_id"] in last["note"]
    moved = datetime.fromisoformat(after["appointment_at"])
    assert moved - before["appointment_at"].replace(tzinfo=UTC) >= timedelta(days=9)  # ≥ 7 working days
    stored = await db.dossiers.find_one({"_id": d["id"]})
    assert stored["paused_at"] is None and stored["rev"] == before["rev"] + 1
    events = await db.outbox.find(
        {"routing_key": "dossier.status_changed.v1", "envelope.data.dossier_id": d["id"]}
    ).to_list()
    paid = [e["envelope"]["data"] for e in events if e["envelope"]["data"]["action"] == "paid"]
    assert len(paid) == 1 and paid[0]["actor_role"] == "system" and paid[0]["new_status_code"] == 4

    # The same confirmation again (the broker's redelivery, or the provider's notification twice):
    # nothing changes, no second event.
    await handled(
        world,
        await publish(
            world,
            Envelope.wrap(confirmation(d, 25000, order_id=after["payment_order_id"]), producer="payment"),
        ),
    )
    await handled(world, await publish(world, env))
    again = await db.dossiers.find_one({"_id": d["id"]})
    assert again["rev"] == stored["rev"] and again["status"] == "processing"
    assert await db.outbox.count_documents(
        {"routing_key": "dossier.status_changed.v1", "envelope.data.dossier_id": d["id"]}
    ) == len(events)


async def test_a_wrong_amount_or_another_dossier_s_payment_changes_nothing(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d, _ = await waiting_for_payment(world, p, officer)
    db = world.sub.app.state.runtime.db
    before = await db.dossiers.find_one({"_id": d["id"]})
    for e in (
        confirmation(d, 24999),
        confirmation(d, 250000),
        confirmation(d, 25000, dossier_id=str(uuid.uuid4())),  # no such dossier
    ):
        await handled(world, await publish(world, e))
    after = await db.dossiers.find_one({"_id": d["id"]})
    assert (after["status"], after["rev"], after["paused_at"]) == (
        "payment_requested",
        before["rev"],
        before["paused_at"],
    )
    # The right amount still settles it afterwards.
    await handled(world, await publish(world, confirmation(d, 25000)))
    assert (await db.dossiers.find_one({"_id": d["id"]}))["status"] == "processing"


async def test_a_confirmation_for_a_dossier_not_waiting_for_one_changes_nothing(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    await world.act(officer, d["id"], "accept")
    db = world.sub.app.state.runtime.db
    before = await db.dossiers.find_one({"_id": d["id"]})
    await handled(world, await publish(world, confirmation(d, 25000)))
    after = await db.dossiers.find_one({"_id": d["id"]})
    assert (after["status"], after["rev"]) == ("accepted", before["rev"])


async def test_filing_fees_paid_online_are_recorded_without_a_change_of_status(world):
    p = await world.citizen()
    ready = await world.draft(p, code="2.000815", agency=None)  # Phí chứng thực: 2.000 đ
    assert ready["fee_due_at_filing"] is True and ready["pay_at_counter_allowed"] is None
    assert (
        await world.sub.put(f"{S}/dossiers/{ready['id']}/applicant", json=world.applicant(p), headers=p["h"])
    ).status_code == 200
    assert (await world.upload(p, ready["id"], "dddddddddddd", world.pdf())).status_code == 201
    r = await world.submit(p, ready["id"])
    assert r.status_code == 200, r.text
    d = r.json()
    db = world.sub.app.state.runtime.db
    filed = await db.outbox.find_one(
        {"routing_key": "dossier.submitted.v1", "envelope.data.dossier_id": d["id"]}
    )
    assert filed["envelope"]["data"]["fee_lines"] == [{"name": "Phí chứng thực", "amount": 2000}]
    before = await db.dossiers.find_one({"_id": d["id"]})
    await handled(world, await publish(world, confirmation(d, 1000, purpose="filing")))  # not the total
    assert (await db.dossiers.find_one({"_id": d["id"]})).get("fee_order_id") is None
    paid = confirmation(d, 2000, purpose="filing")
    await handled(world, await publish(world, paid))
    second = confirmation(d, 2000, purpose="filing")  # paid twice (two tabs): the first one counts
    await handled(world, await publish(world, second))
    mine = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert mine["status"] == "submitted" and mine["fee_order_id"] == paid.order_id and mine["fee_paid_at"]
    after = await db.dossiers.find_one({"_id": d["id"]})
    assert after["rev"] == before["rev"] + 1 and after["paid_orders"] == [paid.order_id]
