"""Reading the audit trail: auditors' and administrators' search and export, and a person's own entries.

Every search and export by staff is itself recorded (``audit.searched``, ``audit.exported`` in the
stream ``audit``) before the data is returned: reading the trail leaves a trace in it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from dvckit.audit import Audit
from dvckit.auth import Principal
from dvckit.errors import Problem, Text
from dvckit.paging import Window

from ..adapters.entries import Chains, Entries
from ..domain.chain import Head
from ..domain.views import for_auditor, for_subject

MAX_SIZE = 200


@dataclass(frozen=True)
class Filters:
    """What a search asks for (every field optional; all given must hold)."""

    start: str | None = None  # from: a day (YYYY-MM-DD, Vietnam time) or a moment (ISO 8601)
    end: str | None = None  # to: a day (counted whole) or a moment (exclusive)
    actor: str | None = None
    subject: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    action: str | None = None
    kind: str | None = None
    stream: str | None = None
    outcome: str | None = None

    def described(self) -> str:
        """The filters as a query string (the audit entry of the search names them)."""
        pairs = [
            ("from" if k == "start" else "to" if k == "end" else k, v)
            for k, v in self.__dict__.items()
            if v not in (None, "")
        ]
        return (urlencode(pairs) or "*")[:200]


def bad_moment(field: str, raw: str) -> Problem:
    vi = f"Thời điểm không hợp lệ: {raw[:40]!r} (YYYY-MM-DD hoặc ISO 8601)"
    return Problem(
        422,
        "bad-moment",
        Text("Tham số không hợp lệ", "Invalid parameter"),
        Text(vi, f"Not a valid day or moment: {raw[:40]!r} (YYYY-MM-DD or ISO 8601)"),
        extra={"errors": [{"field": f"query.{field}", "message": vi}]},
    )


def _moment(raw: str, zone: ZoneInfo, *, end: bool) -> datetime:
    text = raw.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            dt = datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
        else:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError) as e:
        raise bad_moment("to" if end else "from", raw) from e
    if not 1900 <= dt.year <= 9000:  # outside what a date of the trail can be (and what BSON converts)
        raise bad_moment("to" if end else "from", raw)
    return dt if dt.tzinfo else dt.replace(tzinfo=zone)


def query(f: Filters, zone: ZoneInfo) -> dict[str, Any]:
    q: dict[str, Any] = {}
    for key in ("actor", "subject", "target_type", "target_id", "action", "kind", "stream", "outcome"):
        value = getattr(f, key)
        if value not in (None, ""):
            q[key] = value
    at: dict[str, Any] = {}
    if f.start:
        at["$gte"] = _moment(f.start, zone, end=False)
    if f.end:
        at["$lt"] = _moment(f.end, zone, end=True)
    if at:
        q["at"] = at
    return q


class Trail:
    def __init__(self, entries: Entries, chains: Chains, audit: Audit, zone: ZoneInfo) -> None:
        self.entries = entries
        self.chains = chains
        self.audit = audit
        self.zone = zone

    async def _recorded(self, who: Principal, action: str, target_id: str, f: Filters) -> None:
        await self.audit.read(
            who, action=action, target_type="audit_trail", target_id=target_id, subject=f.subject or None
        )

    async def search(self, who: Principal, f: Filters, window: Window) -> dict[str, Any]:
        q = query(f, self.zone)
        await self._recorded(who, "audit.searched", f.described(), f)
        items, total = await self.entries.page(q, window=window)
        return {
            "items": [for_auditor(r) for r in items],
            "total": total,
            "page": window.page,
            "size": window.size,
        }

    async def export(self, who: Principal, f: Filters, form: str) -> AsyncIterator[dict[str, Any]]:
        """Every record the filters find, newest first (recorded before the first is read)."""
        q = query(f, self.zone)
        await self._recorded(who, "audit.exported", f"{form}:{f.described()}"[:200], f)
        return self._each(q)

    async def _each(self, q: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        async for r in self.entries.each(q):
            yield for_auditor(r)

    async def mine(self, who: Principal, window: Window) -> dict[str, Any]:
        """The entries about the caller's own data (``subject`` is the caller), as the person sees them."""
        items, total = await self.entries.page({"subject": who.sub}, window=window)
        return {
            "items": [for_subject(r) for r in items],
            "total": total,
            "page": window.page,
            "size": window.size,
        }

    async def heads(self, who: Principal) -> list[Head]:
        """Each stream's head, for an auditor to note down outside the system (docs/audit.md): a chain
        rewritten whole from some record on is caught by comparing its head with a noted one."""
        return await self.chains.all()
