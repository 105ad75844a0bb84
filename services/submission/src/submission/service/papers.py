"""The official papers of a dossier (forms 01-06 of Circular 03/2025/TT-VPCP) and an agency's register of
dossiers (form 07): who may fetch each, and when a paper exists (docs/submission.md, "The official
papers").

A dossier's papers: its owner's and its agency's staff's (as the receipt: ``Workflow.for_owner_or_officer``),
each only once the dossier has it (409 ``not-yet``). The register: the agency's staff's, and the
administrator's; over at most ``register_max_days`` days, at most ``register_max_pending`` written at once
on a replica (beyond: 503)."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from dvckit.errors import Problem, Text

from ..adapters.papers import register as sheet
from ..adapters.papers.pool import Receipts
from ..adapters.registers import DossierRegister
from ..config import Settings
from ..domain.model import Actor, Dossier
from ..domain.papers import PAPERS
from . import audit
from .agencies import AgencyDirectory
from .workflow import Workflow

UNKNOWN_FORM = Problem(
    404,
    "unknown-form",
    Text(
        "Không có mẫu giấy tờ này (01 đến 06; sổ theo dõi hồ sơ, mẫu 07, tải theo cơ quan)",
        "No such form (01 to 06; the register, form 07, is fetched per agency)",
    ),
)
NOT_YET = Problem(
    409,
    "not-yet",
    Text("Hồ sơ chưa có giấy tờ này", "This dossier does not have this paper (yet)"),
)
NOT_STAFF = Problem(
    403,
    "forbidden",
    Text(
        "Chỉ cán bộ của cơ quan hoặc quản trị viên được tải sổ theo dõi hồ sơ",
        "Only the agency's staff or an administrator may fetch its register",
    ),
)
NO_AGENCY = Problem(404, "agency-not-found", Text("Không có cơ quan này", "No such agency"))
REGISTER_BUSY = Problem(
    503,
    "register-busy",
    Text(
        "Hệ thống đang lập nhiều sổ theo dõi hồ sơ, vui lòng thử lại sau giây lát",
        "Too many registers are being written; please try again shortly",
    ),
    headers={"Retry-After": "5"},
)


YEARS = (2000, 2100)  # a register outside these is a typing error, not a period


def _range(vi: str, en: str) -> Problem:
    return Problem(422, "invalid-range", Text(vi, en), extra={"errors": [{"field": "from", "message": vi}]})


@dataclass(frozen=True)
class Download:
    filename: str
    size: int
    chunks: AsyncIterator[bytes]


@dataclass(eq=False, repr=False)
class Papers:
    settings: Settings
    workflow: Workflow
    receipts: Receipts
    registers: DossierRegister
    agencies: AgencyDirectory
    _writing: int = field(default=0, init=False)

    async def paper(self, who: Actor, dossier_id: str, form: str) -> tuple[Dossier, bytes]:
        """Paper ``form`` of a dossier as a PDF, for its owner or its agency's staff, once it exists."""
        paper = PAPERS.get(form)
        if paper is None:
            raise UNKNOWN_FORM
        d = await self.workflow.for_owner_or_officer(who, dossier_id)
        if not paper.exists(d):
            raise NOT_YET
        await self.workflow.record_read(who, d, action="paper.downloaded", fields=("applicant",))
        return d, await self.receipts.paper(form, d)

    def period(self, start: date | None, end: date | None, today: date) -> tuple[date, date]:
        """The days asked for (both included); this month by default."""
        if start is None and end is None:
            start = today.replace(day=1)
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        elif start is None:
            assert end is not None
            start = end.replace(day=1)
        elif end is None:
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        if not (YEARS[0] <= start.year and end.year <= YEARS[1]):
            raise _range(
                f"Chỉ tải được từ năm {YEARS[0]} đến {YEARS[1]}", f"Years {YEARS[0]} to {YEARS[1]} only"
            )
        if end < start:
            raise _range("Ngày kết thúc trước ngày bắt đầu", "'to' is before 'from'")
        days = self.settings.register_max_days
        if (end - start).days + 1 > days:
            raise _range(f"Mỗi lần tải tối đa {days} ngày", f"At most {days} days at a time")
        return start, end

    async def register(self, who: Actor, code: str, start: date | None, end: date | None) -> Download:
        """Form 07 of agency ``code``: the dossiers filed there from ``start`` to ``end`` (local days)."""
        if "admin" not in who.roles and not ("officer" in who.roles and code in who.agencies):
            raise NOT_STAFF
        zone = self.settings.zone
        now = datetime.now(UTC)
        first, last = self.period(start, end, now.astimezone(zone).date())
        agency = await self.agencies.get(code)
        if agency is None:
            raise NO_AGENCY
        if self._writing >= self.settings.register_max_pending:
            raise REGISTER_BUSY
        # Form 07 lists every dossier of the period with its applicant: recorded before it is written.
        await self.workflow.dossiers.rt.audit.read(
            audit.principal(who),
            action="register.downloaded",
            target_type="register",
            target_id=code,
            fields=("applicant.full_name", "applicant.address"),
            after={"from": first.isoformat(), "to": last.isoformat()},
        )
        self._writing += 1
        try:
            since = datetime.combine(first, time(), zone).astimezone(UTC)
            until = datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)
            head = sheet.Head(agency.name, agency.parent_name, first, last, now, zone)
            book = await sheet.write(self.registers.rows(code, since, until), head)
        finally:
            self._writing -= 1
        return Download(f"so-theo-doi-ho-so-{code}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx", book.size, book.chunks)
