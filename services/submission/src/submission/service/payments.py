"""Payments the provider confirmed (``payment.succeeded.v1`` from the payment service): the one way a
dossier waiting for a payment (status 6) moves on without the counter's receipt, and the record of its
filing fees paid online (docs/submission.md, "Payments").

The handler runs in the consumer's transaction: the dossier's change, its history entry and its
``dossier.status_changed.v1`` are written with the event's id in ``processed_events``, all or nothing. A
confirmation delivered again changes nothing: the consumer knows its event id, and the dossier knows the
orders applied to it (``paid_orders``) and is moved only from status 6 at the revision it was read at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from dvckit import logs
from dvckit.contracts import PaymentSucceededV1
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.vn import vnd

from ..adapters.dossiers import DossierRepository
from ..domain.actions import ActionInput
from ..domain.model import Actor, Dossier
from ..domain.transitions import act, action_named, decide
from .calendar import CalendarBook

log = logs.get(__name__)

# Who the history names for a payment the provider confirmed: the system, on the payment service's word.
PAYMENT_SYSTEM = Actor(id="system:payment", name="Hệ thống thanh toán trực tuyến")


class Conflict(Exception):
    """The dossier changed while the payment was applied: the consumer tries the event again."""


def paid_note(e: PaymentSucceededV1) -> str:
    """The history's note: the amount, the order and the provider's transaction, the receipt."""
    return (
        f"Đã thanh toán trực tuyến {vnd(e.amount)} qua {e.provider.upper()}: đơn {e.order_id}, "
        f"mã giao dịch {e.provider_txn}, biên lai {e.receipt_no}"
    )


@dataclass(eq=False, repr=False)
class Payments:
    rt: Runtime
    repo: DossierRepository
    calendar: CalendarBook

    async def on_succeeded(self, e: PaymentSucceededV1, env: Envelope, session: Session) -> None:
        d = await self.repo.get(e.dossier_id, session)
        if d is None:
            log.warning("payment for an unknown dossier", dossier_id=e.dossier_id, order_id=e.order_id)
            return
        refused = d.payment_refusal(e)
        if refused is not None:
            # Not this dossier's to take (or taken already): the payment service keeps the money on
            # record (a refund or the reconciliation settles it); nothing changes here.
            level = log.info if refused == "already-applied" else log.warning
            level(
                "payment not applied",
                dossier_id=d.id,
                order_id=e.order_id,
                purpose=e.purpose,
                amount=e.amount,
                asked=d.fee_total if e.purpose == "filing" else d.payment_amount,
                status=d.status.value,
                why=refused,
            )
            return
        if e.purpose == "filing":
            if not await self.repo.record_fee_paid(d.id, e.order_id, e.paid_at, session):
                raise Conflict(d.id)
            log.info("filing fees paid", dossier_id=d.id, order_id=e.order_id, amount=e.amount)
            return
        await self._paid(d, e, session)

    async def _paid(self, d: Dossier, e: PaymentSucceededV1, session: Session) -> None:
        """Status 6 → 4, the clock running again from the time it was paid (not from when the event came:
        a late confirmation does not cost the agency the time between), never before it stopped."""
        now = datetime.now(UTC)
        at = min(now, e.paid_at.astimezone(UTC))
        if d.paused_at is not None:
            at = max(at, d.paused_at)
        cal = self.calendar.current
        x = decide(
            d,
            action_named("paid"),
            PAYMENT_SYSTEM,
            ActionInput.of({"note": paid_note(e)}),
            result=None,
            now=at,
            zone=cal.zone,
            cal=cal,
            roles=["system"],
            payment=e,
        )
        change = act(d, x)
        if not await self.repo.save(change, session):
            raise Conflict(d.id)  # an officer acted meanwhile: judged again on the next delivery
        await self.rt.outbox.add(session, change.event)
        log.info("dossier paid", dossier_id=d.id, order_id=e.order_id, amount=e.amount)
