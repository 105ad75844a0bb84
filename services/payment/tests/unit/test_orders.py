"""Order states and the provider's notification decided (domain, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dvckit import vnpay
from dvckit.contracts import FeeLine, PaymentFailedV1, PaymentRequestedV1, PaymentSucceededV1
from payment.domain import ipn, reconcile
from payment.domain.access import Caller, Holder
from payment.domain.order import (
    Agency,
    NothingToPay,
    Order,
    OrderClosed,
    OrderExpired,
    State,
    open_order,
)

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
TMN = "DVCHP001"
LINES = [FeeLine(name="Lệ phí đăng ký", amount=15000), FeeLine(name="Phí thẩm định", amount=5000)]


def new(**kw) -> Order:
    change = open_order(
        dossier_id="d1",
        dossier_code="000.32.02.H26-260302-0001",
        owner_id="u1",
        organisation_id=None,
        agency=Agency(code="000.32.02.H26", name="UBND Phường Ngô Quyền"),
        purpose="filing",
        lines=kw.pop("lines", LINES),
        now=kw.pop("now", NOW),
        minutes=15,
    )
    return change.after.model_copy(update=kw) if kw else change.after


def note(order: Order, **kw) -> ipn.Notification:
    params = {
        "vnp_TmnCode": TMN,
        "vnp_Amount": str(order.amount * 100),
        "vnp_TxnRef": order.txn_ref,
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "14000001",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": vnpay.timestamp(NOW + timedelta(minutes=2)),
        **kw,
    }
    return ipn.Notification.of(params)


def test_a_new_order_sums_its_lines_and_is_open_for_15_minutes():
    change = open_order(
        dossier_id="d1",
        dossier_code="C",
        owner_id="u1",
        organisation_id=None,
        agency=Agency(code="A", name="B"),
        purpose="filing",
        lines=LINES,
        now=NOW,
        minutes=15,
    )
    o = change.after
    assert o.amount == 20000 and o.state == State.CREATED and o.txn_ref == o.id and len(o.id) == 32
    assert o.expires_at == NOW + timedelta(minutes=15) and o.open_key == "d1:filing"
    assert isinstance(change.event, PaymentRequestedV1) and change.event.amount == 20000


@pytest.mark.parametrize("lines", [[], [FeeLine(name="x", amount=0)]])
def test_nothing_to_pay_opens_no_order(lines):
    with pytest.raises(NothingToPay):
        new(lines=lines)


def test_start_moves_to_pending_once_and_refuses_closed_or_expired():
    o = new()
    change = o.start(NOW, "Nguyễn Văn A")
    assert change.after.state == State.PENDING and change.after.rev == 1 and change.event is None
    assert change.after.start(NOW) is None  # a second tab: the same order, nothing to write
    with pytest.raises(OrderExpired):
        o.start(NOW + timedelta(minutes=15))
    with pytest.raises(OrderClosed):
        new(state=State.PAID).start(NOW)
    with pytest.raises(OrderExpired):
        new(state=State.EXPIRED).start(NOW)


def test_closing_removes_the_open_key():
    o = new()
    assert o.expire().after.open_key is None and o.fail("x").after.open_key is None


def decide(order, n=None, *, signed=True, tmn=TMN, now=NOW + timedelta(minutes=3)):
    return ipn.decide(n or note(order), order, signed=signed, tmn_code=tmn, now=now)


def test_ipn_success_pays_the_order_with_its_event():
    o = new(state=State.PENDING)
    v = decide(o)
    assert v.answer == vnpay.CONFIRMED
    after = v.change.after
    assert after.state == State.PAID and after.provider_txn == "14000001" and after.bank_code == "NCB"
    assert after.receipt_no.startswith("BL-260302-") and not after.late
    assert isinstance(v.change.event, PaymentSucceededV1) and v.change.event.amount == 20000


def test_ipn_checks_in_order():
    o = new(state=State.PENDING)
    # signature first, even for an unknown order with a wrong amount
    assert decide(None, note(o, vnp_Amount="1"), signed=False).answer == vnpay.INVALID_SIGNATURE
    assert decide(o, note(o, vnp_TmnCode="OTHER")).answer == vnpay.INVALID_SIGNATURE
    assert ipn.decide(note(o), None, signed=True, tmn_code=TMN, now=NOW).answer == vnpay.ORDER_NOT_FOUND
    assert decide(o, note(o, vnp_Amount="1000000")).answer == vnpay.INVALID_AMOUNT
    assert decide(o, note(o, vnp_Amount="2000050")).answer == vnpay.INVALID_AMOUNT  # not whole đồng
    assert decide(o, note(o, vnp_Amount="abc")).answer == vnpay.INVALID_AMOUNT
    # a wrong amount on a paid order is still 04: the amount is checked before the state
    assert decide(new(state=State.PAID), note(o, vnp_Amount="1")).answer == vnpay.INVALID_AMOUNT


@pytest.mark.parametrize("state", [State.PAID, State.FAILED, State.REFUNDED])
def test_ipn_on_a_final_order_changes_nothing(state):
    o = new(state=state, provider_txn="14000001")
    v = decide(o)
    assert v.answer == vnpay.ALREADY_CONFIRMED and v.change is None and v.flag is None
    failed = decide(o, note(o, vnp_ResponseCode="24", vnp_TransactionStatus="02"))
    assert failed.answer == vnpay.ALREADY_CONFIRMED and failed.change is None


def test_a_second_payment_of_a_paid_order_is_flagged_not_applied():
    o = new(state=State.PAID, provider_txn="14000001")
    v = decide(o, note(o, vnp_TransactionNo="14000002"))
    assert v.answer == vnpay.ALREADY_CONFIRMED and v.change is None and v.flag == "second-payment:14000002"


def test_ipn_failure_fails_an_open_order():
    o = new(state=State.PENDING)
    v = decide(o, note(o, vnp_ResponseCode="24", vnp_TransactionStatus="02"))
    assert v.answer == vnpay.CONFIRMED and v.change.after.state == State.FAILED
    assert isinstance(v.change.event, PaymentFailedV1) and "24" in v.change.event.reason


def test_paid_after_expiry_is_accepted_and_flagged_late():
    o = new(state=State.EXPIRED)
    v = decide(o)
    assert v.answer == vnpay.CONFIRMED and v.change.after.state == State.PAID and v.change.after.late
    assert v.change.event.late and "late" in v.change.after.flags
    pending = new(state=State.PENDING)
    v = decide(pending, now=NOW + timedelta(minutes=20))
    assert v.change.after.late


def test_a_failure_after_expiry_changes_nothing():
    o = new(state=State.EXPIRED)
    v = decide(o, note(o, vnp_ResponseCode="24", vnp_TransactionStatus="02"))
    assert v.answer == vnpay.ALREADY_CONFIRMED and v.change is None


def test_reconcile_decisions():
    o = new(state=State.PENDING)
    later = NOW + timedelta(minutes=5)
    assert reconcile.decide(o, note(o), later).change.after.state == State.PAID
    assert reconcile.decide(o, note(o, vnp_TransactionStatus="02"), later).change.after.state == State.FAILED
    assert reconcile.decide(o, None, later).change is None  # nothing yet, time not up
    assert reconcile.decide(o, note(o, vnp_TransactionStatus="01"), later).note == "pending"
    overdue = NOW + timedelta(minutes=16)
    assert reconcile.decide(o, None, overdue).change.after.state == State.EXPIRED
    flagged = reconcile.decide(o, note(o, vnp_Amount="100"), later)
    assert flagged.note == "flagged" and flagged.change.after.state == State.PENDING
    assert flagged.change.after.flags == ("amount-mismatch:1",)
    assert reconcile.decide(new(state=State.PAID), note(o), later).change is None
    assert reconcile.expire_unsent(new(), overdue).change.after.state == State.EXPIRED


def test_access():
    h = Holder("u1", None, "A")
    assert h.readable_by(Caller("u1")) and h.payable_by(Caller("u1"))
    assert not h.readable_by(Caller("u2"))
    officer = Caller("o", roles=("officer",), agencies=("A",))
    assert h.readable_by(officer) and not h.payable_by(officer)
    assert not h.readable_by(Caller("o", roles=("officer",), agencies=("B",)))
    assert not h.readable_by(Caller("o", roles=("citizen",), agencies=("A",)))
    org = Holder("u1", "org1", "A")
    assert org.readable_by(Caller("v", orgs=(("org1", "viewer"),)))
    assert not org.payable_by(Caller("v", orgs=(("org1", "viewer"),)))
    assert org.payable_by(Caller("s", orgs=(("org1", "staff"),)))


def test_order_document_round_trips():
    o = new(state=State.PENDING)
    doc = o.document()
    assert (
        doc["_id"] == o.id
        and doc["state"] == "pending"
        and doc["lines"][0] == {"name": "Lệ phí đăng ký", "amount": 15000}
    )
    assert Order.model_validate(doc) == o
