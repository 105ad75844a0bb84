"""Writing the audit trail (docs/audit.md): who saw and changed what, when and from where.

A service records an entry as an ``audit.recorded.v1`` outbox record, so the entry travels the same path
as every event and cannot be lost once written:

- a **change** is recorded inside the change's own transaction (``await rt.audit.add(session, ...)``):
  the change and its record commit together or not at all;
- a **read** of personal data or of an attachment by staff is recorded in a transaction of its own
  *before* the data is returned (``await rt.audit.read(...)``): when the record cannot be written the
  read fails (503), it never goes unrecorded.

The audit service (``services/audit``) keeps the entries append-only and hash-chained per producer.
Where the request came from (address, user agent) and its id come from the request context.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from pymongo.asynchronous.client_session import AsyncClientSession

from . import logs
from .auth import Principal
from .contracts import AuditRecordedV1

Kind = Literal["read", "change", "login"]
Outcome = Literal["ok", "denied", "failed"]

# Roles whose reads of personal data are recorded: agency staff, administrators, auditors.
STAFF_ROLES = frozenset({"officer", "reception", "specialist", "leader", "admin", "auditor"})
# Never copied into a record, whatever the entity: replaced by this marker when they changed.
SECRET_KEYS = frozenset(
    {"password", "password_hash", "totp_secret", "secret", "recovery_codes", "token", "token_hash"}
    | {"code_hash"}
)
REDACTED = "[redacted]"


def is_staff(who: Principal | None) -> bool:
    return who is not None and not STAFF_ROLES.isdisjoint(who.roles)


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, *, secret: Iterable[str] = ()
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The fields that differ between two versions of an entity, each side holding only those (a missing
    field is None); secrets (:data:`SECRET_KEYS` and ``secret``) show as :data:`REDACTED`. A creation is
    ``(None, after)``, a deletion ``(before, None)``.

    >>> changes({"roles": ["specialist"], "name": "A"}, {"roles": ["leader"], "name": "A"})
    ({'roles': ['specialist']}, {'roles': ['leader']})
    >>> changes({"password_hash": "x"}, {"password_hash": "y"})
    ({'password_hash': '[redacted]'}, {'password_hash': '[redacted]'})
    """
    hidden = SECRET_KEYS | set(secret)

    def shown(doc: Mapping[str, Any] | None, keys: Iterable[str]) -> dict[str, Any]:
        return {k: REDACTED if k in hidden else (doc or {}).get(k) for k in keys}

    if before is None or after is None:
        doc = after if before is None else before
        assert doc is not None
        whole = shown(doc, [k for k in doc if k != "_id"])
        return (None, whole) if before is None else (whole, None)
    keys = [k for k in {**before, **after} if k != "_id" and before.get(k) != after.get(k)]
    return shown(before, keys), shown(after, keys)


def entry(
    who: Principal | None,
    *,
    kind: Kind,
    action: str,
    target_type: str,
    target_id: str,
    subject: str | None = None,
    fields: Iterable[str] = (),
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    outcome: Outcome = "ok",
    actor: str | None = None,
) -> AuditRecordedV1:
    """An audit entry made in the current request's context (address, user agent, request id)."""
    ip, agent = logs.client_var.get()
    return AuditRecordedV1(
        at=datetime.now(UTC),
        kind=kind,
        action=action,
        outcome=outcome,
        actor=actor if actor is not None else (who.sub if who else ""),
        actor_roles=list(who.roles) if who else [],
        actor_agencies=list(who.agencies) if who else [],
        ip=ip,
        user_agent=agent,
        request_id=logs.request_id_var.get(),
        target_type=target_type,
        target_id=target_id,
        subject=subject,
        fields=list(fields),
        before=dict(before) if before is not None else None,
        after=dict(after) if after is not None else None,
    )


class Audit:
    """``rt.audit``: the service's way to write audit entries (see the module's docstring)."""

    def __init__(
        self,
        add_event: Callable[[AsyncClientSession, AuditRecordedV1], Awaitable[Any]],
        transaction: Callable[[Callable[[AsyncClientSession], Awaitable[Any]]], Awaitable[Any]],
    ) -> None:
        self._add_event = add_event
        self._transaction = transaction

    async def add(self, session: AsyncClientSession, who: Principal | None, **what: Any) -> None:
        """Record an entry inside the caller's transaction (a change, a sign-in); ``what`` as :func:`entry`
        takes it."""
        await self._add_event(session, entry(who, **what))

    async def read(self, who: Principal | None, **what: Any) -> None:
        """Record staff's read of personal data or an attachment, in a transaction of its own; call it
        before the data is returned. Citizens reading their own records are not recorded (only staff's
        reads are the audit trail's business): for them this does nothing."""
        if not is_staff(who):
            return
        record = entry(who, kind="read", **what)

        async def txn(session: AsyncClientSession) -> None:
            await self._add_event(session, record)

        await self._transaction(txn)
