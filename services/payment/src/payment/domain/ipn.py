"""The provider's notification (IPN), decided: the checks in the order the protocol sets, and the
merchant's answer (docs/payment.md). Pure: the signature's check is ``dvckit.vnpay.check``, done by the
caller, whose result comes in as ``signed``.

1. signature (97) 2. merchant code (97) 3. the order exists (01) 4. the amount equals the order's (04)
5. the order is already final: paid, failed or refunded (02; nothing changes, however often it comes)
6. a payment: recorded ``paid`` (00), also after expiry (flagged ``late``: the money is never lost);
   a failure: recorded ``failed`` (00), but not on an expired order (02)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from dvckit import vnpay

from .order import FINAL, Change, Order, State


@dataclass(frozen=True)
class Notification:
    """What the provider said about one order (its notification, or its answer to a query)."""

    txn_ref: str
    amount: int | None  # VND; None when the provider's figure is not a whole number of đồng
    response_code: str
    transaction_status: str
    transaction_no: str
    bank_code: str
    pay_date: datetime | None
    tmn_code: str

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Notification:
        raw = str(params.get("vnp_Amount", ""))
        amount = int(raw) // 100 if raw.isdigit() and len(raw) < 20 and int(raw) % 100 == 0 else None
        try:
            paid = vnpay.parse_timestamp(str(params.get("vnp_PayDate", "")))
        except ValueError:
            paid = None
        return cls(
            txn_ref=str(params.get("vnp_TxnRef", "")),
            amount=amount,
            response_code=str(params.get("vnp_ResponseCode", "")),
            transaction_status=str(params.get("vnp_TransactionStatus", "")),
            transaction_no=str(params.get("vnp_TransactionNo", "")),
            bank_code=str(params.get("vnp_BankCode", "")),
            pay_date=paid,
            tmn_code=str(params.get("vnp_TmnCode", "")),
        )

    @property
    def succeeded(self) -> bool:
        return self.response_code == "00" and self.transaction_status == "00"

    @property
    def reason(self) -> str:
        code, status = self.response_code or "-", self.transaction_status or "-"
        return f"vnp_ResponseCode={code} vnp_TransactionStatus={status}"


@dataclass(frozen=True)
class Verdict:
    answer: tuple[str, str]  # the merchant's answer (dvckit.vnpay's codes)
    change: Change | None = None  # what to write (with its event), when anything
    flag: str | None = None  # a difference to record on the order without changing its state


def decide(n: Notification, order: Order | None, *, signed: bool, tmn_code: str, now: datetime) -> Verdict:
    if not signed:
        return Verdict(vnpay.INVALID_SIGNATURE)
    if n.tmn_code != tmn_code:
        return Verdict(vnpay.INVALID_SIGNATURE)
    if order is None:
        return Verdict(vnpay.ORDER_NOT_FOUND)
    if n.amount != order.amount:
        return Verdict(vnpay.INVALID_AMOUNT)
    if order.state in FINAL:
        # A second successful payment of a paid order under another transaction: money taken twice at the
        # provider. Answered as confirmed (nothing changes here) and flagged for a refund by a person.
        if (
            n.succeeded
            and order.state == State.PAID
            and n.transaction_no
            and n.transaction_no != order.provider_txn
            and f"second-payment:{n.transaction_no}" not in order.flags
        ):
            return Verdict(vnpay.ALREADY_CONFIRMED, flag=f"second-payment:{n.transaction_no}")
        return Verdict(vnpay.ALREADY_CONFIRMED)
    if n.succeeded:
        change = order.pay(
            provider_txn=n.transaction_no, paid_at=n.pay_date or now, bank_code=n.bank_code, now=now
        )
        return Verdict(vnpay.CONFIRMED, change)
    if order.state == State.EXPIRED:
        return Verdict(vnpay.ALREADY_CONFIRMED)
    return Verdict(vnpay.CONFIRMED, order.fail(n.reason))
