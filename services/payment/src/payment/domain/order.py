"""Payment orders: their states, what moves them, and the provider's notification decided (pure).

An order is one amount for one dossier and purpose (the filing fees, or what an officer requested), in
VND. States: ``created`` → ``pending`` (the citizen was sent to the provider) → ``paid`` | ``failed`` |
``expired``; ``paid`` → ``refunded``. Each change returns a :class:`Change` (the order before, whose
state and ``rev`` guard the write; after; the event to publish with it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dvckit import vnpay
from dvckit.contracts import (
    FeeLine,
    PaymentExpiredV1,
    PaymentFailedV1,
    PaymentRefundedV1,
    PaymentRequestedV1,
    PaymentSucceededV1,
)
from dvckit.events import EventData

Purpose = Literal["filing", "requested"]
PROVIDER = "vnpay"


class State(StrEnum):
    CREATED = "created"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUNDED = "refunded"


OPEN = frozenset({State.CREATED, State.PENDING})
# What a notification can no longer change (an expired order still takes a late payment: never lose it).
FINAL = frozenset({State.PAID, State.FAILED, State.REFUNDED})


class Agency(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    name: str


class Order(BaseModel):
    """A payment order; its fields are the stored document's."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = Field(alias="_id")
    dossier_id: str
    dossier_code: str
    owner_id: str
    organisation_id: str | None = None
    agency: Agency
    purpose: Purpose
    lines: tuple[FeeLine, ...]
    amount: int
    provider: str = PROVIDER
    state: State = State.CREATED
    created_at: datetime
    expires_at: datetime
    txn_ref: str
    provider_txn: str | None = None
    paid_at: datetime | None = None
    bank_code: str | None = None
    receipt_no: str | None = None
    late: bool = False
    payer_name: str | None = None  # who was sent to pay (their token's name), for the e-receipt
    failure: str | None = None
    refunded_at: datetime | None = None
    # Differences from the provider found and left for a person (reconciliation, a second payment).
    flags: tuple[str, ...] = ()
    # While open: "<dossier>:<purpose>", unique, so one open order a dossier and purpose at a time.
    open_key: str | None = None
    rev: int = 0

    def document(self) -> dict[str, Any]:
        doc = self.model_dump(by_alias=True, mode="python")
        doc["state"] = self.state.value
        doc["lines"] = [dict(line) for line in doc["lines"]]
        return doc

    @property
    def is_open(self) -> bool:
        return self.state in OPEN

    def overdue(self, now: datetime) -> bool:
        return now >= self.expires_at

    def _names(self) -> dict[str, Any]:
        return {
            "order_id": self.id,
            "dossier_id": self.dossier_id,
            "dossier_code": self.dossier_code,
            "owner_id": self.owner_id,
            "purpose": self.purpose,
            "amount": self.amount,
        }

    def _to(self, **changes: Any) -> Order:
        if "state" in changes and changes["state"] not in OPEN:
            changes["open_key"] = None
        return self.model_copy(update={**changes, "rev": self.rev + 1})

    # -- the citizen ---------------------------------------------------------------------------------
    def start(self, now: datetime, payer_name: str = "") -> Change | None:
        """The citizen is sent to the provider: ``pending`` (None: it already is; the same order, the same
        reference, so two tabs pay one order). Refused once final or expired."""
        if self.state in FINAL:
            raise OrderClosed(self.state)
        if self.state == State.EXPIRED or self.overdue(now):
            raise OrderExpired()
        if self.state == State.PENDING:
            return None
        return Change(self, self._to(state=State.PENDING, payer_name=payer_name or None), None)

    # -- the provider --------------------------------------------------------------------------------
    def pay(self, *, provider_txn: str, paid_at: datetime, bank_code: str | None, now: datetime) -> Change:
        """The provider confirmed the money. Paid after expiry (or after the reconciliation expired it):
        accepted, flagged ``late``."""
        late = self.state == State.EXPIRED or paid_at > self.expires_at or now > self.expires_at
        after = self._to(
            state=State.PAID,
            provider_txn=provider_txn,
            paid_at=paid_at,
            bank_code=bank_code or None,
            receipt_no=receipt_number(self, paid_at),
            late=late,
            flags=(*self.flags, "late") if late else self.flags,
        )
        event = PaymentSucceededV1(
            **self._names(),
            provider=self.provider,
            provider_txn=provider_txn,
            paid_at=paid_at,
            receipt_no=after.receipt_no or "",
            late=late,
        )
        return Change(self, after, event)

    def fail(self, reason: str) -> Change:
        return Change(
            self,
            self._to(state=State.FAILED, failure=reason),
            PaymentFailedV1(**self._names(), reason=reason),
        )

    def expire(self) -> Change:
        return Change(self, self._to(state=State.EXPIRED), PaymentExpiredV1(**self._names()))

    def refund(self, now: datetime) -> Change:
        if self.state != State.PAID:
            raise OrderClosed(self.state)
        after = self._to(state=State.REFUNDED, refunded_at=now)
        return Change(self, after, PaymentRefundedV1(**self._names(), refunded_at=now))

    def flag(self, note: str) -> Change:
        """A difference a person must look at; the state stays (no event)."""
        return Change(self, self._to(flags=(*self.flags, note)), None)

    def requested_event(self) -> PaymentRequestedV1:
        return PaymentRequestedV1(
            **self._names(),
            agency_code=self.agency.code,
            agency_name=self.agency.name,
            lines=list(self.lines),
            expires_at=self.expires_at,
        )


@dataclass(frozen=True)
class Change:
    before: Order | None  # None: a new order
    after: Order
    event: EventData | None


class OrderClosed(Exception):
    def __init__(self, state: State) -> None:
        super().__init__(state.value)
        self.state = state


class OrderExpired(Exception):
    pass


def open_order(
    *,
    dossier_id: str,
    dossier_code: str,
    owner_id: str,
    organisation_id: str | None,
    agency: Agency,
    purpose: Purpose,
    lines: list[FeeLine],
    now: datetime,
    minutes: int,
) -> Change:
    """A new order of ``lines`` (their sum), open for ``minutes``, and its ``payment.requested`` event."""
    if not lines or sum(line.amount for line in lines) <= 0:
        raise NothingToPay()
    order_id = uuid.uuid4().hex
    order = Order(
        _id=order_id,
        dossier_id=dossier_id,
        dossier_code=dossier_code,
        owner_id=owner_id,
        organisation_id=organisation_id,
        agency=agency,
        purpose=purpose,
        lines=tuple(lines),
        amount=sum(line.amount for line in lines),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
        txn_ref=order_id,
        open_key=open_key(dossier_id, purpose),
    )
    return Change(None, order, order.requested_event())


class NothingToPay(Exception):
    pass


def open_key(dossier_id: str, purpose: str) -> str:
    return f"{dossier_id}:{purpose}"


def receipt_number(order: Order, paid_at: datetime) -> str:
    """The e-receipt's number: the day it was paid and the order's first characters (unique enough to
    read aloud; the order id itself is the key)."""
    return f"BL-{paid_at.astimezone(vnpay.ZONE).strftime('%y%m%d')}-{order.id[:10].upper()}"
