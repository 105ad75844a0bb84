"""Reconciliation, decided: an open order compared with what the provider's query says of it (pure).

- the provider has the payment, for the order's amount: ``paid`` (``late`` when past expiry);
  for another amount: flagged, left for a person (money is never recorded by a guess);
- the provider says it failed: ``failed``;
- the provider has nothing, or the payment is still in progress: ``expired`` once the order's time is
  up (an expired order still takes a late notification), else left as it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .ipn import Notification
from .order import OPEN, Change, Order, State

FOUND = "00"
SUCCESS, IN_PROGRESS = "00", "01"


@dataclass(frozen=True)
class Outcome:
    change: Change | None
    note: str  # what was found, for the log and the answer of POST /reconcile


def decide(order: Order, answer: Notification | None, now: datetime) -> Outcome:
    """``answer``: the provider's query answer (None: it knows no such transaction)."""
    if order.state not in OPEN:
        return Outcome(None, "closed")
    if answer is not None and answer.response_code == FOUND and answer.transaction_status == SUCCESS:
        if answer.amount != order.amount:
            note = f"amount-mismatch:{answer.amount}"
            return Outcome(None if note in order.flags else order.flag(note), "flagged")
        change = order.pay(
            provider_txn=answer.transaction_no,
            paid_at=answer.pay_date or now,
            bank_code=answer.bank_code,
            now=now,
        )
        return Outcome(change, "paid")
    if (
        answer is not None
        and answer.response_code == FOUND
        and answer.transaction_status not in (SUCCESS, IN_PROGRESS, "")
    ):
        return Outcome(order.fail(answer.reason), "failed")
    if order.overdue(now):
        return Outcome(order.expire(), "expired")
    return Outcome(None, "pending")


def expire_unsent(order: Order, now: datetime) -> Outcome:
    """An order never sent to the provider (``created``) whose time is up: expired without asking."""
    if order.state == State.CREATED and order.overdue(now):
        return Outcome(order.expire(), "expired")
    return Outcome(None, "pending")
