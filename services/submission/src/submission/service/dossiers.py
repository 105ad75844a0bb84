"""Dossier use cases for citizens: draft, the four steps, submission, following, public tracking."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict
from dataclasses import KW_ONLY, dataclass, field
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Histogram

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import PublishedProcedure
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.paging import Window
from dvckit.runtime import Runtime

from ..adapters.counters import Counters
from ..adapters.dossiers import DossierRepository
from ..config import Settings
from ..domain.agencies import Agency, NotFileableHere, receiving
from ..domain.applicant import AUTHORIZATION, Applicant, for_organisation
from ..domain.dossier import dossier_code
from ..domain.model import FILERS, Actor, AgencyRef, Change, Dossier, OrganisationRef, Rating
from ..domain.procedure import Component, FeeTable, case_names, freeze
from ..domain.rating import ALREADY_RATED, RATEABLE, RatingIn, rate
from ..domain.status import Status
from ..domain.transitions import incomplete
from .agencies import AgencyDirectory
from .calendar import CalendarBook
from .captchas import Captchas
from .errors import (
    CHANGED_WHILE_SUBMITTING,
    DAY_FULL,
    IDENTITY_REQUIRED,
    NOT_DRAFT,
    NOT_FOUND,
    NOT_ONLINE,
    NOT_TRACKED,
    ORG_NOT_FOUND,
    VIEWER_ONLY,
    kind_not_allowed,
    not_the_verified_submitter,
)
from .files import ObjectFiles
from .prefill import Prefills
from .procedures import ProcedureCache

log = logs.get(__name__)
# Filing: from the citizen's "submit" to the committed dossier (checks, captcha, code, the write), for the
# dossiers that were filed; docs/operations.md, "Metrics".
submit_seconds = Histogram(
    "dossier_submit_seconds",
    "Time to file a dossier (its submission, checks to commit)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# Step 3's fees, kept per dossier on the replica that read or made it: a dossier's owner and its frozen
# procedure's fees never change, so step 3 needs no read. Bounded, and short-lived so that a draft removed
# by another replica (or the cleanup) stops answering soon.
FEES_KEPT = 10_000
FEES_SECONDS = 600.0


def _agency_choice(choices: list[Agency]) -> Problem:
    return Problem(
        422,
        "agency-required",
        Text("Vui lòng chọn cơ quan tiếp nhận (phường, xã)", "Choose the receiving agency (ward or commune)"),
        extra={"choices": [{"code": a.code, "name": a.name} for a in choices]},
    )


def _bad_case(groups: list[str]) -> Problem:
    return Problem(
        422, "unknown-case", Text("Trường hợp không hợp lệ", "Unknown case"), extra={"cases": groups}
    )


def not_fileable_here(file_at: dict[str, str]) -> Problem:
    where = file_at or {
        "vi": "cơ quan có thẩm quyền ở trung ương, qua Cổng Dịch vụ công quốc gia",
        "en": "the competent central agency, through the National Public Service Portal",
    }
    return Problem(
        409,
        "not-fileable-here",
        Text(
            f"Thủ tục này không giải quyết tại thành phố Hải Phòng. Nộp hồ sơ tại: {where.get('vi', '')}",
            f"This procedure is not handled by Hải Phòng. File it with: {where.get('en', '')}",
        ),
        extra={"file_at": where},
    )


def agencies_for(procedure: PublishedProcedure, directory: list[Agency]) -> list[Agency]:
    """Where the citizen may file (the catalogue's routing over its agency directory)."""
    routing = procedure.routing
    if routing is None:  # the catalogue said nothing of where (ProcedureCache asked it again): nowhere known
        raise not_fileable_here({})
    try:
        return receiving(routing.model_dump(mode="json"), directory)
    except NotFileableHere as e:
        raise not_fileable_here(e.file_at) from None


def _agency(choices: list[Agency], code: str | None) -> Agency:
    if code is None:
        if len(choices) != 1:
            raise _agency_choice(choices)
        return choices[0]
    chosen = next((a for a in choices if a.code == code), None)
    if chosen is None:
        raise _agency_choice(choices)
    return chosen


def with_authorization(d: Dossier, *, on_behalf: bool) -> list[dict[str, object]] | None:
    """The dossier's components with the authorisation as filing on behalf needs it (required), or as
    filing for oneself leaves it (gone; or kept, optional, while a file of it is attached); None: no
    change."""
    comps = [c.model_dump(mode="json", exclude_none=True) for c in d.procedure.components]
    has = next((c for c in comps if c["id"] == AUTHORIZATION["id"]), None)
    attached = any(a.component_id == AUTHORIZATION["id"] for a in d.attachments)
    want: dict[str, object] | None = None
    if on_behalf or attached:
        want = Component.model_validate({**AUTHORIZATION, "required": on_behalf}).model_dump(
            mode="json", exclude_none=True
        )
    if has == want:
        return None
    kept = [c for c in comps if c["id"] != AUTHORIZATION["id"]]
    return kept + ([want] if want else [])


@dataclass(eq=False, repr=False)
class Dossiers:
    rt: Runtime
    s: Settings
    _: KW_ONLY
    repo: DossierRepository
    counters: Counters
    prefills: Prefills
    cache: ProcedureCache
    directory: AgencyDirectory
    captchas: Captchas
    files: ObjectFiles
    calendar: CalendarBook | None = None  # the reception due time of a filed dossier (none without it)
    _seq_blocks: dict[str, tuple[int, int]] = field(default_factory=dict, init=False)
    _seq_locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False)
    # dossier id → (until when, owner id, fees)
    _fees: OrderedDict[str, tuple[float, str, FeeTable]] = field(default_factory=OrderedDict, init=False)

    # -- reading ---------------------------------------------------------------------------------
    async def owned(self, who: Actor, dossier_id: str, *, change: bool = False) -> Dossier:
        """The caller's own dossier, or their organisation's; anyone else's is "not found" (its existence
        is not revealed). ``change``: the caller is to change or submit it, which an organisation's
        viewer may not (403: they do see it)."""
        d = await self.repo.get(dossier_id)
        if d is None or not d.owned_by(who):
            raise NOT_FOUND
        if change and not d.changeable_by(who):
            raise VIEWER_ONLY
        self._keep_fees(d)
        return d

    def _keep_fees(self, d: Dossier) -> None:
        self._fees[d.id] = (time.monotonic() + FEES_SECONDS, d.organisation_id or d.owner_id, d.fees)
        self._fees.move_to_end(d.id)
        while len(self._fees) > FEES_KEPT:
            self._fees.popitem(last=False)

    async def mine(
        self, who: Actor, *, status: str | None, window: Window, organisation: str | None = None
    ) -> tuple[list[Dossier], int]:
        """The caller's own dossiers, or (``organisation``) those of an organisation they belong to."""
        if organisation is not None:
            if who.org_role(organisation) is None:
                raise ORG_NOT_FOUND
            return await self.repo.of_organisation(organisation, status=status, window=window)
        return await self.repo.of_owner(who.id, status=status, window=window)

    async def agencies(self, procedure_code: str) -> list[Agency]:
        procedure = await self.cache.procedure(procedure_code)
        return agencies_for(procedure, await self.directory.all())

    async def fees(self, who: Actor, dossier_id: str) -> FeeTable:
        kept = self._fees.get(dossier_id)
        if kept is not None and kept[0] > time.monotonic():
            if kept[1] != who.id and who.org_role(kept[1]) is None:
                raise NOT_FOUND
            return kept[2]
        return (await self.owned(who, dossier_id)).fees

    async def track(self, code: str, *, citizen_id: str | None, phone: str | None) -> Dossier:
        d = await self.repo.by_code(code, citizen_id=citizen_id, phone=phone)
        if d is None:
            raise NOT_TRACKED
        return d

    # -- the draft -------------------------------------------------------------------------------
    async def create_draft(
        self,
        who: Actor,
        *,
        procedure_code: str,
        agency_code: str | None,
        authorization: str,
        case: str | None,
        organisation_id: str | None = None,
    ) -> Dossier:
        if "citizen" in who.roles and who.identity_level < self.s.filing_level:
            raise IDENTITY_REQUIRED
        procedure = await self.cache.procedure(procedure_code)
        if procedure.status != "published":
            raise NOT_ONLINE
        choices = agencies_for(procedure, await self.directory.all())  # not-fileable-here first
        if not procedure.fileable:
            raise NOT_ONLINE
        agency = _agency(choices, agency_code)
        frozen = freeze(procedure)
        groups = case_names(frozen.components)
        if case is not None and case not in groups:
            raise _bad_case(groups)
        org = await self._organisation(who, organisation_id, authorization) if organisation_id else None
        prefill = await self.prefills.of(who, authorization)
        now = datetime.now(UTC)
        d = Dossier(
            _id=str(uuid.uuid4()),
            owner_id=who.id,
            organisation_id=org.id if org else None,
            organisation=org,
            status=Status.DRAFT,
            procedure=frozen,
            agency=AgencyRef(code=agency.code, name=agency.name, parent_name=agency.parent_name),
            case=case or (groups[0] if groups else None),
            prefill=prefill,
            created_at=now,
            updated_at=now,
        )
        await self.repo.insert(d)
        self._keep_fees(d)
        log.info("draft created", dossier_id=d.id, procedure=procedure_code)
        return d

    async def _organisation(self, who: Actor, org_id: str, authorization: str) -> OrganisationRef:
        """The organisation a draft is filed for: the token must name the caller as its staff or
        representative; its name, tax code and representative come from auth (asked with the caller's
        own token, once a draft), never from what was typed."""
        role = who.org_role(org_id)
        if role is None:
            raise ORG_NOT_FOUND
        if role not in FILERS:
            raise VIEWER_ONLY
        org = await self.prefills.clients.organisation(authorization, org_id)
        if org is None:  # gone, or the caller was removed since their token was issued
            raise ORG_NOT_FOUND
        rep = org["legal_representative"]
        return OrganisationRef(
            id=org["id"],
            tax_code=org["tax_code"],
            name=org["name"],
            address=org["address"],
            representative_name=rep["full_name"],
            representative_citizen_id=rep["citizen_id"],
        )

    async def _update_draft(self, who: Actor, d: Dossier, changes: dict[str, object]) -> Dossier:
        if not await self.repo.update_draft(d.id, d.scope, changes):
            await self.owned(who, d.id, change=True)  # not found / not theirs
            raise NOT_DRAFT
        return await self.owned(who, d.id)

    async def set_applicant(self, who: Actor, dossier_id: str, applicant: Applicant) -> Dossier:
        """Step 1. The owner must be of a kind the procedure admits; filing on another's behalf adds the
        authorisation to the dossier's components (required), and filing for oneself again drops it
        (kept, not required, while a file of it is still attached)."""
        d = await self.owned(who, dossier_id, change=True)
        if d.status is not Status.DRAFT:
            raise NOT_DRAFT
        if d.organisation is not None:
            applicant = for_organisation(applicant, d.organisation, d.applicant_kinds)
        allowed = d.applicant_kinds
        if applicant.party.kind not in allowed:
            raise kind_not_allowed(list(allowed))
        verified = d.prefill.verified_id if d.prefill else None
        if verified and applicant.submitter.id_number != verified:
            raise not_the_verified_submitter(verified)
        changes: dict[str, object] = {"applicant": applicant.model_dump(mode="json")}
        components = with_authorization(d, on_behalf=applicant.on_behalf)
        if components is not None:
            changes["procedure.components"] = components
        return await self._update_draft(who, d, changes)

    async def set_case(self, who: Actor, dossier_id: str, case: str) -> Dossier:
        d = await self.owned(who, dossier_id, change=True)
        if case not in d.cases:
            raise _bad_case(d.cases)
        return await self._update_draft(who, d, {"case": case})

    async def delete_draft(self, who: Actor, dossier_id: str) -> None:
        d = await self.owned(who, dossier_id, change=True)
        if not await self.repo.delete_draft(dossier_id, d.scope):
            raise NOT_DRAFT
        self._fees.pop(dossier_id, None)
        await self.files.forget(d)

    # -- step 4 ------------------------------------------------------------------------------------
    async def _next_sequence(self, agency_code: str, day: str) -> int:
        """The next number of the agency's daily sequence. Each replica takes a block of
        ``sequence_block`` numbers at a time with one atomic increment, so a dossier rarely waits on
        the counter; numbers stay unique across replicas (a replica that stops loses the rest of its
        block: the sequence may skip, never repeat)."""
        key = f"{agency_code}|{day}"
        async with self._seq_locks.setdefault(key, asyncio.Lock()):
            nxt, end = self._seq_blocks.get(key, (1, 0))
            if nxt > end:
                block = self.s.sequence_block
                last = await self.counters.take(key, block)
                end, nxt = last, last - block + 1
                for k in [k for k in self._seq_blocks if not k.endswith(day)]:  # old days' blocks
                    self._seq_blocks.pop(k, None)
                    self._seq_locks.pop(k, None)
            self._seq_blocks[key] = (nxt + 1, end)
            return nxt

    async def _code(self, d: Dossier, now: datetime) -> str:
        local_day = now.astimezone(self.s.zone).date()
        seq = await self._next_sequence(d.agency.code, local_day.strftime("%y%m%d"))
        if seq > 9999:
            raise DAY_FULL
        return dossier_code(d.agency.code, local_day, seq)

    async def submit(
        self, who: Actor, dossier_id: str, captcha_id: str, *, answer: str | None, proof: str | None
    ) -> Dossier:
        """The completeness check and the status change are made on the same revision: the change is
        guarded by the ``rev`` the check read, so a file removed (or added) in between makes it match
        nothing, and the dossier is read and judged again (a few times, then 409)."""
        started = time.perf_counter()
        d = await self.owned(who, dossier_id, change=True)
        if "citizen" in who.roles and who.identity_level < self.s.filing_level:
            raise IDENTITY_REQUIRED
        verified = False
        code: str | None = None
        for _ in range(3):
            if d.status != Status.DRAFT:
                return d  # submitting twice returns the same result
            missing = d.missing
            if missing:
                raise incomplete(missing)
            if not verified:
                await self.captchas.verify(captcha_id, answer=answer, proof=proof)
                verified = True
            now = datetime.now(UTC)
            code = code or await self._code(d, now)
            due = self.calendar.current.reception(now) if self.calendar else None
            change = d.submit(who, code, now, due)
            if await self.commit(change):
                submit_seconds.observe(time.perf_counter() - started)
                log.info("dossier submitted", dossier_id=d.id, code=code)
                return change.after
            d = await self.owned(who, dossier_id, change=True)  # changed since it was checked: read again
        raise CHANGED_WHILE_SUBMITTING

    # -- after the result ----------------------------------------------------------------------------
    async def rate(self, who: Actor, dossier_id: str, given: RatingIn) -> Rating:
        """The owner rates how it was handled, once, when it was returned, refused or withdrawn: the
        rating and ``dossier.rated.v1`` in one transaction, the write conditional on there being no
        rating yet (a second one, even at the same instant, is 409 ``already-rated``)."""
        d = await self.owned(who, dossier_id, change=True)
        now = datetime.now(UTC)
        rating, event = rate(d, given, now)

        async def txn(session: Session) -> bool:
            if not await self.repo.rate(d, rating, RATEABLE, session):
                return False
            await self.rt.outbox.add(session, event)
            return True

        if not await self.rt.transaction(txn):
            # Rated (or moved) since it was read: judged again on what is stored now.
            rate(await self.owned(who, dossier_id, change=True), given, now)
            raise ALREADY_RATED
        log.info("dossier rated", dossier_id=d.id, overall=given.overall)
        return rating

    async def cleanup(self) -> dict[str, int]:
        return await self.files.cleanup()

    async def commit(
        self,
        change: Change,
        *,
        release: str | None = None,
        who: Principal | None = None,
        audit: dict[str, Any] | None = None,
    ) -> bool:
        """The change and its event (and, with ``audit``, its audit entry by ``who``) in one transaction, if
        the dossier is still at the revision the change was decided on; False if it is not (nothing
        written)."""

        async def txn(session: Session) -> bool:
            if not await self.repo.save(change, session, release=release):
                return False
            await self.rt.outbox.add(session, change.event)
            if audit is not None:
                await self.rt.audit.add(session, who, **audit)
            return True

        return await self.rt.transaction(txn)
