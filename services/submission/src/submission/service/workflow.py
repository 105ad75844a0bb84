"""The one-stop officer's work (and the citizen's withdraw and resubmit): status changes, each with its
history entry and ``dossier.status_changed.v1`` in one transaction; the agency queue with deadlines; who
may fetch a dossier's receipt and result documents.

An action's body is read only once the caller, the dossier's status and the body's type allow the action:
JSON (at most 64 KB) for every action, a form only for ``propose`` (the one that takes a file). A body of
any other type is refused with 415 before a byte of it is read, so nothing is parsed or stored for it.
The API hands the body over unread (``ActionBody``) and reads it when asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from dvckit import formstream, logs
from dvckit.errors import Problem
from dvckit.paging import Window

from ..adapters.clients import Clients
from ..adapters.dossiers import DossierRepository, QueueFilter
from ..adapters.receipt import Receipts
from ..config import Settings
from ..domain.actions import ActionInput
from ..domain.model import Actor, AgencyRef, Attachment, Dossier, StaffRef
from ..domain.status import Status
from ..domain.transitions import UNKNOWN_ACTION, act, action_named, allowed, decide
from ..domain.workflow import AGENCY_ROLES, CLOSED, PAUSED, Action, Role, available, roles_for
from . import audit
from .agencies import AgencyDirectory
from .attachments import RESULT_FORM, Attachments, FormLimits
from .calendar import CalendarBook
from .dossiers import Dossiers
from .errors import (
    ASSIGNEE_REQUIRED,
    CONFLICT,
    FORM_OR_JSON,
    JSON_ONLY,
    NOT_A_SPECIALIST,
    NOT_FOUND,
    NOT_YET,
    OFFICERS_ONLY,
    OWN_DOSSIER,
    UNKNOWN_AGENCY,
)
from .signing import NOT_PDF, Signing, is_pdf

log = logs.get(__name__)


class ActionBody(Protocol):
    """An action's request body, unread: its kind (``none``: no body at all), then read on demand."""

    @property
    def kind(self) -> Literal["json", "form", "none", "other"]: ...

    async def fields(self) -> ActionInput:
        """The JSON body (at most 64 KB) as the action's input."""
        ...

    def parts(self, limits: FormLimits) -> AsyncIterator[formstream.Event]: ...


@dataclass(eq=False, repr=False)
class Workflow:
    settings: Settings
    repo: DossierRepository
    dossiers: Dossiers
    attachments: Attachments
    receipts: Receipts
    calendar: CalendarBook
    directory: AgencyDirectory
    clients: Clients
    signing: Signing

    # -- who sees what ---------------------------------------------------------------------------
    async def record_read(self, who: Actor, d: Dossier, **what: object) -> None:
        """Staff's read of the dossier's personal data, in the audit trail before it is shown (the
        owner's own reads are not recorded)."""
        if d.owned_by(who):
            return
        await self.dossiers.rt.audit.read(
            audit.principal(who), target_type="dossier", target_id=d.id, subject=d.owner_id, **what
        )

    async def viewed(self, who: Actor, dossier_id: str) -> Dossier:
        """The officer's view of a dossier of their agency, recorded (``dossier.viewed``)."""
        d = await self.for_officer(who, dossier_id)
        await self.record_read(who, d, action="dossier.viewed", fields=audit.DOSSIER_FIELDS)
        return d

    async def for_officer(self, who: Actor, dossier_id: str) -> Dossier:
        """A dossier of one of the officer's agencies; anything else is "not found"."""
        d = await self.repo.get(dossier_id)
        if d is None or not d.in_queue_of(who):
            raise NOT_FOUND
        return d

    async def for_owner_or_officer(self, who: Actor, dossier_id: str) -> Dossier:
        if "officer" in who.roles:
            try:
                return await self.for_officer(who, dossier_id)
            except Problem:
                if "citizen" not in who.roles:
                    raise
        return await self.dossiers.owned(who, dossier_id)

    async def receipt(self, who: Actor, dossier_id: str) -> tuple[Dossier, bytes]:
        """The receipt and appointment slip (PDF), once the dossier was accepted."""
        d = await self.for_owner_or_officer(who, dossier_id)
        if not d.receipt_ready:
            raise NOT_YET
        await self.record_read(who, d, action="receipt.downloaded", fields=("applicant",))
        return d, await self.receipts.pdf(d)

    async def result(
        self, who: Actor, dossier_id: str, file_id: str
    ) -> tuple[Attachment, AsyncIterator[bytes]]:
        """A result document: for the owner once processing finished, for its officers at any time."""
        d = await self.for_owner_or_officer(who, dossier_id)
        if not d.results_visible_to(who):
            raise NOT_YET
        officer = not d.owned_by(who)
        found = await self.attachments.files.download(d, file_id, results=True, proposed=officer)
        await self._downloaded(who, d, file_id)
        return found

    async def officer_file(
        self, who: Actor, dossier_id: str, file_id: str
    ) -> tuple[Attachment, AsyncIterator[bytes]]:
        d = await self.for_officer(who, dossier_id)
        found = await self.attachments.files.download(d, file_id)
        await self._downloaded(who, d, file_id)
        return found

    async def _downloaded(self, who: Actor, d: Dossier, file_id: str) -> None:
        """A file of the dossier, found and about to stream: recorded before its first byte goes out."""
        if d.owned_by(who):
            return
        await self.dossiers.rt.audit.read(
            audit.principal(who),
            action="attachment.downloaded",
            target_type="attachment",
            target_id=f"{d.id}/{file_id}",
            subject=d.owner_id,
        )

    # -- the queue -------------------------------------------------------------------------------
    async def queue(
        self, who: Actor, f: QueueFilter, *, agency: str | None, window: Window
    ) -> tuple[list[tuple[Dossier, dict[str, object]]], int]:
        """The officer's agencies' dossiers (one of them with ``agency``), each with its deadline."""
        agencies = [a for a in sorted(who.agencies) if not agency or a == agency]
        now = datetime.now(UTC)
        cal = self.calendar.current
        today = now.astimezone(cal.zone).date()
        f = replace(
            f,
            agencies=agencies,
            me=who.id,
            roles=frozenset(r for r in AGENCY_ROLES if r in who.roles),
            soon_until=cal.close_of(cal.next_working_day(today)),
        )
        found, total = await self.repo.queue(f, now=now, window=window)
        if found:
            query = {
                "agencies": agencies,
                **{k: v for k in ("status", "procedure", "overdue", "q", "due") if (v := getattr(f, k))},
                "mine": f.mine,
                "page": window.page,
                "size": window.size,
            }
            await self.dossiers.rt.audit.read(audit.principal(who), **audit.listed(found, query))
        return [(d, self._deadline(d, now)) for d in found], total

    def _deadline(self, d: Dossier, now: datetime) -> dict[str, object]:
        """Before acceptance, the reception due time; from acceptance, the appointment. The clock stands
        still while the citizen supplements or pays."""
        paused = d.status in PAUSED
        done = d.status in CLOSED or paused
        receiving = d.status == Status.SUBMITTED
        due = d.reception_due_at if receiving else d.appointment_at
        cal = self.calendar.current
        step = cal.state(d.step_due_at, now, done=done or d.at_step is None)
        return {
            "paused": paused,
            "kind": "reception" if receiving else "processing",
            "due_at": due,
            "defaulted": d.deadline_defaulted,
            **cal.state(due, now, done=done),
            "step_due_at": d.step_due_at,
            "step_state": step["state"],
        }

    # -- acting ----------------------------------------------------------------------------------
    @staticmethod
    def roles_on(who: Actor, d: Dossier) -> list[Role]:
        """The roles the officer holds on this dossier: their agency roles where it is theirs, "consulted"
        where their agency is asked about it (as its specialist or leader)."""
        roles: list[Role] = []
        if d.agency.code in who.agencies:
            roles += [r for r in AGENCY_ROLES if r in who.roles]
        if d.consulting(who) is not None and ({"specialist", "leader"} & who.roles):
            roles.append("consulted")
        return roles

    @staticmethod
    def sees_rating(who: Actor, d: Dossier) -> bool:
        """Who rated what is the owner: shown to a leader of the dossier's agency and to administrators,
        never to the desk, specialists or an agency asked about it."""
        return "admin" in who.roles or ("leader" in who.roles and d.agency.code in who.agencies)

    def actions_for(self, who: Actor, d: Dossier) -> list[str]:
        """What the officer's screen offers on this dossier."""
        if d.filed_by(who):
            return []
        return available(d.status, d.at_step, self.roles_on(who, d))

    async def _target(self, who: Actor, action: Action, dossier_id: str) -> tuple[Dossier, list[Role]]:
        if roles_for(action.name) == {"system"}:
            raise UNKNOWN_ACTION  # the service's own (a payment the provider confirmed), never a person's
        if roles_for(action.name) == {"citizen"}:
            return await self.dossiers.owned(who, dossier_id, change=True), ["citizen"]
        if "officer" not in who.roles:
            raise OFFICERS_ONLY
        d = await self.for_officer(who, dossier_id)
        if d.filed_by(who):
            raise OWN_DOSSIER
        return d, self.roles_on(who, d)

    async def _assignee(self, who: Actor, d: Dossier, wanted: str | None, authorization: str) -> StaffRef:
        """The specialist to hand the dossier to: the one named, else the agency's default, else the caller
        when they are one. Checked against the agency's staff as auth knows them now."""
        staff = await self.clients.staff(authorization, d.agency.code)
        specialists = {s["id"]: s for s in staff if "specialist" in s.get("roles", ())}
        if wanted is not None:
            if wanted not in specialists:
                raise NOT_A_SPECIALIST
            return StaffRef(id=wanted, name=specialists[wanted].get("full_name", ""))
        default = next((s for s in specialists.values() if s.get("default_specialist")), None)
        if default is not None:
            return StaffRef(id=default["id"], name=default.get("full_name", ""))
        if "specialist" in who.roles:
            return StaffRef(id=who.id, name=who.name)
        raise ASSIGNEE_REQUIRED

    async def _agency(self, code: str | None) -> AgencyRef | None:
        """Another agency of the system, as the directory names it (an inactive one receives nothing)."""
        if code is None:
            return None
        a = await self.directory.get(code)
        if a is None or not a.active:
            raise UNKNOWN_AGENCY
        return AgencyRef(code=a.code, name=a.name, parent_name=a.parent_name)

    async def act(
        self,
        who: Actor,
        dossier_id: str,
        name: str,
        body: ActionBody,
        expected_rev: int | None,
        authorization: str = "",
    ) -> Dossier:
        action = action_named(name)
        d, roles = await self._target(who, action, dossier_id)
        allowed(action, d, roles)
        if expected_rev is not None and expected_rev != d.rev:
            raise CONFLICT
        # The body's kind decides before anything of it is read: a file goes only where one is expected.
        result: Attachment | None = None
        signed: list[Attachment] = []
        if body.kind == "form" and action.needs_file:
            result, form = await self.attachments.receive_result(d, body.parts(RESULT_FORM))
        elif body.kind in ("json", "none"):
            fields = await body.fields()
        else:
            raise FORM_OR_JSON if action.needs_file else JSON_ONLY
        try:
            if result is not None or body.kind == "form":
                fields = ActionInput.of(form)
            if result is not None and not is_pdf(result):
                raise NOT_PDF  # the leader's approval signs it: a PDF, or nothing to sign
            now = datetime.now(UTC)
            cal = self.calendar.current
            assignee = None
            if action.name in ("accept", "assign") and not fields.misplaced(action.name):
                assignee = await self._assignee(who, d, fields.assignee, authorization)
            agency = await self._agency(fields.agency) if action.name in ("transfer", "consult") else None
            x = decide(
                d,
                action,
                who,
                fields,
                result=result,
                now=now,
                zone=cal.zone,
                cal=cal,
                roles=roles,
                assignee=assignee,
                agency=agency,
            )
            if action.name == "approve":
                # The leader's approval signs the proposed documents with the agency's certificate.
                proposed = [a for a in d.proposed if d.proposal and a.id in d.proposal.files]
                signed = await self.signing.sign_results(d, who, proposed)
                x = replace(x, signed=tuple(signed))
            change = act(d, x)
            staff = roles != ["citizen"]  # an officer's action (a citizen's own is not the trail's)
            recorded = audit.dossier_change(d, change.after, action.name) if staff else None
            if not await self.dossiers.commit(
                change, release=result.id if result else None, who=audit.principal(who), audit=recorded
            ):
                raise CONFLICT  # another officer (or the citizen) changed it first: one wins, never a mix
        except BaseException:
            if result is not None:  # the result document of a change that did not happen
                await self.attachments.files.objects.delete(result.key)
                await self.repo.release(d.id, result.id)
            if signed:
                await self.signing.discard(signed)
            raise
        log.info(
            "dossier moved",
            dossier_id=d.id,
            action=action.name,
            old=d.status.value,
            new=change.after.status.value,
        )
        return self.repo.as_saved(change)  # what the guarded write stored: no need to read it back
