"""Payment use cases: a dossier's orders, the filing order, paying, the provider's notification, the
e-receipt, refunds and reconciliation. Every change of an order and its ``payment.*`` event are written in
one transaction (the outbox), under the order's revision guard: of two writers deciding on the same
revision, one writes and the other decides again on what it finds (so a notification applies once)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit import logs, vnpay
from dvckit.audit import changes
from dvckit.auth import Principal
from dvckit.contracts import DossierStatusChangedV1, DossierSubmittedV1, FeeLine
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.paging import Window
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters.dossiers import Dossiers
from ..adapters.orders import Orders
from ..adapters.provider import ProviderUnavailable, Vnpay
from ..adapters.receipt import render
from ..config import Settings
from ..domain import ipn, reconcile
from ..domain.access import Caller, Holder
from ..domain.order import (
    Agency,
    Change,
    NothingToPay,
    Order,
    OrderClosed,
    OrderExpired,
    Purpose,
    State,
    open_order,
)
from . import errors

log = logs.get(__name__)


def principal(who: Caller) -> Principal:
    """The caller as an audit entry names them."""
    return Principal(sub=who.id, roles=tuple(who.roles), agencies=tuple(who.agencies))


def _state(o: Order) -> dict[str, Any]:
    """What a refund changes of an order, as the audit entry compares it."""
    return o.model_dump(mode="json", include={"state", "refunded_at", "amount", "flags"})


Clock = Callable[[], datetime]
RETRIES = 5  # decisions taken again after losing a race, before giving up (the provider retries on 99)


def _now() -> datetime:
    return datetime.now(UTC)


class Payments:
    def __init__(
        self,
        rt: Runtime,
        settings: Settings,
        orders: Orders,
        dossiers: Dossiers,
        provider: Vnpay,
        clock: Clock = _now,
    ) -> None:
        self.rt, self.settings = rt, settings
        self.orders, self.dossiers, self.provider = orders, dossiers, provider
        self.clock = clock

    async def own(self, owner_id: str, *, window: Window) -> tuple[list[Order], int]:
        """The person's own payment orders, for their data export (docs/auth.md, "Your data"). They are
        kept when the account is closed: accounting records (Luật Kế toán 2015, art. 41: ten years)."""
        return await self.orders.of_owner(owner_id, window=window)

    # -- writing ---------------------------------------------------------------------------------
    async def commit(
        self, change: Change, session: Session | None = None, audit: dict[str, Any] | None = None
    ) -> bool:
        """The change and its event (and, with ``audit``, a staff member's audit entry: ``who`` and the
        entry's fields) in one transaction (the caller's, when given); False: the order moved on since the
        change was decided (nothing written)."""

        async def txn(s: Session) -> bool:
            if not await self.orders.save(change, s):
                return False
            if change.event is not None:
                await self.rt.outbox.add(s, change.event)
            if audit is not None:
                await self.rt.audit.add(s, **audit)
            return True

        if session is not None:
            return await txn(session)
        return await self.rt.transaction(txn)

    # -- whose ------------------------------------------------------------------------------------
    async def _holder(self, dossier_id: str) -> tuple[Holder, dict[str, Any] | None] | None:
        d = await self.dossiers.get(dossier_id)
        if d is not None and d.get("owner_id"):
            return Holder(d["owner_id"], d.get("organisation_id"), d.get("agency_code", "")), d
        orders = await self.orders.of_dossier(dossier_id)
        if orders:
            o = orders[0]
            return Holder(o.owner_id, o.organisation_id, o.agency.code), d
        return None

    @staticmethod
    def _order_holder(order: Order) -> Holder:
        return Holder(order.owner_id, order.organisation_id, order.agency.code)

    async def _readable(self, who: Caller, order_id: str) -> Order:
        order = await self.orders.get(order_id)
        if order is None or not self._order_holder(order).readable_by(who):
            raise errors.ORDER_NOT_FOUND
        return order

    async def _record(self, who: Principal, **what: Any) -> None:
        """An audit entry in a transaction of its own."""

        async def txn(s: Session) -> None:
            await self.rt.audit.add(s, who, **what)

        await self.rt.transaction(txn)

    async def _read(self, who: Caller, holder: Holder, **what: Any) -> None:
        """Staff's read of someone's payment records, in the audit trail before it is shown (the
        owner's, or their organisation's members', are not recorded)."""
        if holder.owned_by(who):
            return
        await self.rt.audit.read(principal(who), subject=holder.owner_id, **what)

    # -- reading ----------------------------------------------------------------------------------
    async def of_dossier(self, who: Caller, dossier_id: str) -> dict[str, Any]:
        found = await self._holder(dossier_id)
        if found is None or not found[0].readable_by(who):
            raise errors.DOSSIER_NOT_FOUND
        orders = await self.orders.of_dossier(dossier_id)
        await self._read(
            who,
            found[0],
            action="payment.listed",
            target_type="dossier_payments",
            target_id=dossier_id,
            fields=["payer_name", "amount"],
            after={"orders": [o.id for o in orders]},
        )
        d = found[1] or {}
        fees = [FeeLine.model_validate(x) for x in d.get("fee_lines", [])]
        filing_paid = any(o.purpose == "filing" and o.state == State.PAID for o in orders)
        return {
            "dossier_id": dossier_id,
            "dossier_code": d.get("code") or (orders[0].dossier_code if orders else ""),
            "fee_lines": fees,
            "fee_total": sum(f.amount for f in fees),
            "filing_paid": filing_paid,
            "orders": orders,
        }

    async def order(self, who: Caller, order_id: str) -> Order:
        order = await self._readable(who, order_id)
        await self._read(
            who,
            self._order_holder(order),
            action="payment.viewed",
            target_type="payment_order",
            target_id=order.id,
            fields=["payer_name", "amount"],
        )
        return order

    async def receipt(self, who: Caller, order_id: str) -> tuple[Order, bytes]:
        order = await self._readable(who, order_id)
        if order.state not in (State.PAID, State.REFUNDED):
            raise errors.NOT_PAID
        await self._read(
            who,
            self._order_holder(order),
            action="receipt.downloaded",
            target_type="payment_order",
            target_id=order.id,
            fields=["payer_name", "amount"],
        )
        return order, render(order, self.settings.portal_url)

    # -- the citizen ------------------------------------------------------------------------------
    async def create_order(self, who: Caller, dossier_id: str, purpose: Purpose) -> tuple[Order, bool]:
        """The open order of the dossier for ``purpose``, made if there is none: (order, made)."""
        found = await self._holder(dossier_id)
        if found is None or not found[0].readable_by(who):
            raise errors.DOSSIER_NOT_FOUND
        holder, d = found
        if not holder.payable_by(who):
            raise errors.FORBIDDEN
        for _ in range(RETRIES):
            now = self.clock()
            current = await self.orders.open_one(dossier_id, purpose)
            if current is not None and not current.overdue(now):
                return current, False
            if current is not None:  # its time is up: it closes, a new one opens
                await self.commit(current.expire())
                continue
            last = await self.orders.last(dossier_id, purpose)
            if purpose == "filing":
                if last is not None and last.state == State.PAID:
                    raise errors.ALREADY_PAID
                lines = [FeeLine.model_validate(x) for x in (d or {}).get("fee_lines", [])]
            else:
                if last is None:
                    raise errors.NOTHING_TO_PAY
                if last.state == State.PAID:
                    raise errors.ALREADY_PAID
                lines = list(last.lines)
            source = last
            try:
                change = open_order(
                    dossier_id=dossier_id,
                    dossier_code=(d or {}).get("code") or (source.dossier_code if source else ""),
                    owner_id=holder.owner_id,
                    organisation_id=holder.organisation_id,
                    agency=Agency(
                        code=holder.agency_code,
                        name=(d or {}).get("agency_name") or (source.agency.name if source else ""),
                    ),
                    purpose=purpose,
                    lines=lines,
                    now=now,
                    minutes=self.settings.order_minutes,
                )
            except NothingToPay:
                raise errors.NOTHING_TO_PAY from None
            try:
                await self.commit(change)
            except AlreadyExists:
                continue  # another request opened one meanwhile: answer with it
            log.info("payment order opened", order_id=change.after.id, dossier_id=dossier_id, purpose=purpose)
            return change.after, True
        raise errors.CHANGED

    async def pay(self, who: Caller, order_id: str, *, client_ip: str, payer_name: str = "") -> str:
        """The provider's payment page for the order (it becomes ``pending``). The same order and reference
        however often it is asked, so two tabs pay one order, once."""
        order = await self._readable(who, order_id)
        if not self._order_holder(order).payable_by(who):
            raise errors.FORBIDDEN
        for _ in range(RETRIES):
            now = self.clock()
            try:
                change = order.start(now, payer_name)
            except OrderExpired:
                raise errors.ORDER_EXPIRED from None
            except OrderClosed:
                raise errors.ORDER_CLOSED from None
            if change is None or await self.commit(change):
                return self.provider.pay_url(order, client_ip=client_ip, now=now)
            order = await self.orders.get(order_id) or order
        raise errors.CHANGED

    # -- the provider -----------------------------------------------------------------------------
    async def notification(self, provider: str, params: Mapping[str, str]) -> dict[str, str]:
        """The provider's notification, checked and applied once; the answer it expects."""
        if provider != "vnpay":
            raise errors.UNKNOWN_PROVIDER
        params = {k: str(v) for k, v in params.items()}
        signed = self.provider.verify(params)
        n = ipn.Notification.of(params)
        for _ in range(RETRIES):
            order = await self.orders.get(n.txn_ref) if signed and n.txn_ref else None
            verdict = ipn.decide(n, order, signed=signed, tmn_code=self.settings.tmn_code, now=self.clock())
            change = verdict.change
            if change is None and verdict.flag and order is not None:
                change = order.flag(verdict.flag)
            if change is None or await self.commit(change):
                log.info(
                    "payment notification",
                    order_id=n.txn_ref[:64],
                    answer=verdict.answer[0],
                    state=change.after.state.value if change else None,
                    flag=verdict.flag,
                )
                return vnpay.answer(verdict.answer)
            # another notification (or the reconciliation) changed the order first: decide again
        return vnpay.answer(vnpay.UNKNOWN_ERROR)  # the provider retries

    # -- the administrator -----------------------------------------------------------------------
    async def refund(self, who: Caller, order_id: str) -> Order:
        order = await self.orders.get(order_id)
        if order is None:
            raise errors.ORDER_NOT_FOUND
        if order.state != State.PAID:
            raise errors.ORDER_CLOSED
        now = self.clock()
        if not await self.orders.mark_refunding(order, now):
            raise errors.REFUND_IN_PROGRESS
        try:
            # The request to the provider is recorded before it is made (money moves outside this
            # database); the refund itself with the order's change, in its transaction.
            await self._record(
                principal(who),
                kind="change",
                action="payment.refund_requested",
                target_type="payment_order",
                target_id=order.id,
                subject=order.owner_id,
                after={"amount": order.amount, "state": order.state.value},
            )
            try:
                got = await self.provider.refund(order, by=who.id[:64], now=now)
            except ProviderUnavailable as e:
                log.warning("refund: provider unavailable", order_id=order.id, error=str(e))
                raise errors.PROVIDER_DOWN from None
            if got.get("vnp_ResponseCode") != "00":
                log.warning("refund refused", order_id=order.id, code=got.get("vnp_ResponseCode"))
                raise errors.REFUND_REFUSED
            change = order.refund(now)
            was, then = changes(_state(order), _state(change.after))
            audit = {
                "who": principal(who),
                "kind": "change",
                "action": "payment.refunded",
                "target_type": "payment_order",
                "target_id": order.id,
                "subject": order.owner_id,
                "before": was,
                "after": then,
            }
            if not await self.commit(change, audit=audit):
                raise errors.CHANGED
            log.info("payment refunded", order_id=order.id, amount=order.amount)
            return change.after
        finally:
            await self.orders.release_refunding(order.id)

    async def reconcile(self) -> dict[str, Any]:
        """Open orders older than ``reconcile_after_seconds`` or past their time, asked of the provider
        and fixed (paid, failed, expired) or flagged. Safe beside the notifications: every write is
        guarded, the loser leaves the order to the winner."""
        now = self.clock()
        before = now - timedelta(seconds=self.settings.reconcile_after_seconds)
        seen: Counter[str] = Counter()
        for order in await self.orders.to_reconcile(created_before=before, now=now):
            if order.state == State.CREATED:
                outcome = reconcile.expire_unsent(order, now)
            else:
                try:
                    answer = await self.provider.query(order, now)
                except ProviderUnavailable as e:
                    log.warning("reconcile: provider unavailable", order_id=order.id, error=str(e))
                    seen["unreachable"] += 1
                    continue
                outcome = reconcile.decide(order, answer, now)
            if outcome.change is not None and not await self.commit(outcome.change):
                seen["raced"] += 1
                continue
            seen[outcome.note] += 1
            if outcome.note not in ("pending", "closed"):
                log.info("reconciled", order_id=order.id, outcome=outcome.note)
        return {"checked": sum(seen.values()), **dict(seen)}

    async def reconcile_forever(self) -> None:
        from dvckit.aio import every

        await every(self.settings.reconcile_seconds, self.reconcile, "reconciliation failed")

    # -- events -----------------------------------------------------------------------------------
    async def dossier_submitted(self, ev: DossierSubmittedV1, env: Envelope, session: Session) -> None:
        await self.dossiers.remember(
            ev.dossier_id,
            {
                "code": ev.code,
                "owner_id": ev.owner_id,
                "organisation_id": getattr(ev, "organisation_id", None),
                "agency_code": ev.agency_code,
                "agency_name": ev.agency_name,
                "procedure_code": ev.procedure_code,
                "procedure_name": ev.procedure_name,
                "fee_total": ev.fee_total,
                "fee_lines": [line.model_dump() for line in ev.fee_lines],
                "submitted_at": ev.submitted_at,
            },
            session,
        )

    async def status_changed(self, ev: DossierStatusChangedV1, env: Envelope, session: Session) -> None:
        await self.dossiers.remember(
            ev.dossier_id,
            {
                "code": ev.code,
                "owner_id": ev.owner_id,
                "agency_code": ev.agency_code,
                "agency_name": ev.agency_name,
            },
            session,
        )
        await self.dossiers.status(ev.dossier_id, ev.new_status, ev.rev, ev.changed_at, session)
        if ev.new_status != "payment_requested" or not ev.payment_amount or not ev.payment_lines:
            return
        if sum(line.amount for line in ev.payment_lines) != ev.payment_amount:
            log.warning("payment request: lines do not sum to the amount", dossier_id=ev.dossier_id)
        d = await self.dossiers.get(ev.dossier_id, session) or {}
        current = await self.orders.open_one(ev.dossier_id, "requested", session)
        if current is not None:
            if current.amount == ev.payment_amount and list(current.lines) == list(ev.payment_lines):
                return  # the same request again: the open order stands
            await self.commit(current.expire(), session)  # a new request replaces it
        change = open_order(
            dossier_id=ev.dossier_id,
            dossier_code=ev.code,
            owner_id=ev.owner_id,
            organisation_id=d.get("organisation_id"),
            agency=Agency(code=ev.agency_code, name=ev.agency_name),
            purpose="requested",
            lines=list(ev.payment_lines),
            now=self.clock(),
            minutes=self.settings.order_minutes,
        )
        await self.commit(change, session)
