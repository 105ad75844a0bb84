"""The dossier aggregate: one hồ sơ with its applicant, files, fee lines, history, deadline and revision.
Pure: no I/O. Every change of status is a method here (``submit``) or an entry of ``transitions.EFFECTS``
(the officer's and the citizen's actions), each returning a ``Change``: the dossier after, the revision
it was made on (the optimistic-concurrency guard its repository writes under) and the event to publish.

The field names are those of the stored document (``_id`` aside), so a dossier is its document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

from dvckit.contracts import (
    DossierRatingScores,
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierSubmittedV1,
    FeeLine,
    PaymentSucceededV1,
)

from .applicant import Applicant, Kind, Prefill, kinds_for
from .procedure import FeeTable, Missing, Procedure, case_names, missing_of
from .status import NUMBER, Status

# Closed for good: no step inside the agency any more.
CLOSED_NOW = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED)

# Where a citizen may still change files: a draft, or a dossier the officer asked to supplement.
EDITABLE = frozenset({Status.DRAFT, Status.SUPPLEMENT_REQUESTED})


# Roles in an organisation that may file for it (a viewer only sees its dossiers).
FILERS = frozenset({"representative", "staff"})


@dataclass(frozen=True)
class Actor:
    """Who acts, as the domain needs to know them (from the caller's token)."""

    id: str
    name: str = ""
    roles: frozenset[str] = frozenset()
    agencies: frozenset[str] = frozenset()
    identity_level: int = 0  # 0 self-declared, 1 or 2 verified through VNeID (the token's "ial")
    # The organisations the caller belongs to and their role in each (the token's "orgs": as of its issue).
    orgs: tuple[tuple[str, str], ...] = ()

    def org_role(self, org_id: str) -> str | None:
        return next((role for oid, role in self.orgs if oid == org_id), None)


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AgencyRef(Record):
    code: str
    name: str
    # The body above it as a form header prints it ("ỦY BAN NHÂN DÂN PHƯỜNG LÊ CHÂN"); None on a dossier
    # filed before the directory said it.
    parent_name: str | None = None


class FileFacts(Record):
    """What anyone may see of a stored file: the citizen's name for it (kept for display only), its
    component, size, digest and real type."""

    id: str
    component_id: str
    name: str
    size: int
    sha256: str
    content_type: str
    uploaded_at: datetime


class Attachment(FileFacts):
    """A stored file, and where its object is (a random key, never shown)."""

    key: str


class Pending(Record):
    """An upload in progress: its object may exist before an attachment points to it (or, after a
    crash, without one ever pointing to it: the cleanup removes it)."""

    dossier_id: str = ""
    id: str
    key: str
    started_at: datetime


class Superseded(Attachment):
    """A filed file replaced during a supplement: no longer one of the dossier's files, kept on record."""

    superseded_at: datetime


FileChangeKind = Literal["file_added", "file_removed", "file_superseded"]


class FileChange(Record):
    """Which file changed, and how (the file's own fields as they were)."""

    attachment_id: str
    kind: FileChangeKind
    component_id: str
    name: str
    size: int
    sha256: str


class HistoryEntry(Record):
    """One line of the dossier's record: who (role and id) moved it to ``status`` at ``at``, with their
    note, reason, items and components; or, with ``change``, what happened to its files.

    A line of the one-stop workflow also says which ``action`` it was, the ``step`` it began, the agency
    that acted, and who (``to_*``) received the dossier with which ``due_at``: each such line is one row of
    the control slip (form 06)."""

    at: datetime
    status: str
    actor_role: str
    actor_id: str | None = None
    actor_name: str | None = None
    action: str | None = None
    step: str | None = None
    agency_code: str | None = None
    to_id: str | None = None
    to_name: str | None = None
    to_agency: str | None = None
    due_at: datetime | None = None
    outcome: str | None = None
    note: str | None = None
    reason: str | None = None
    items: list[str] | None = None
    components: list[str] | None = None
    amount: int | None = None  # request-payment: the amount asked; paid: the amount the provider confirmed
    change: FileChange | None = None


class StaffRef(Record):
    """An officer as a paper names them: the account and the name it had then."""

    id: str
    name: str = ""


Outcome = Literal["grant", "refuse"]


class Proposal(Record):
    """The specialist's proposed result, for the leader to approve or send back."""

    outcome: Outcome
    note: str | None = None
    reason: str | None = None
    by: StaffRef
    at: datetime
    files: list[str] = []  # ids of the ``results`` attachments proposed (signed at approval)


class Apology(Record):
    """The apology and new appointment (form 04) of a dossier that would miss its appointment."""

    at: datetime
    reason: str
    old_appointment_at: datetime | None
    new_appointment_at: datetime
    by: StaffRef


class Consultation(Record):
    """Another agency's opinion, or its step of an inter-agency procedure (liên thông), asked for with its
    share of the time; answered in that agency's own queue."""

    id: str
    kind: Literal["opinion", "step"]
    agency: AgencyRef
    question: str
    asked_at: datetime
    asked_by: StaffRef
    due_at: datetime
    answered_at: datetime | None = None
    answer: str | None = None
    answered_by: StaffRef | None = None

    @property
    def open(self) -> bool:
        return self.answered_at is None


class Transfer(Record):
    """The dossier moved to another agency (wrong reception point, or decided at another level): the code
    stays."""

    at: datetime
    from_agency: AgencyRef
    to_agency: AgencyRef
    reason: str
    by: StaffRef


class Rating(Record):
    """The owner's rating of how the dossier was handled (once; who gave it is the owner, shown to the
    agency's leaders only)."""

    scores: DossierRatingScores
    comment: str | None = None
    rated_at: datetime


class OrganisationRef(Record):
    """The organisation a dossier is filed for, as auth said when the draft was made (not typed)."""

    id: str
    tax_code: str
    name: str
    address: str
    representative_name: str
    representative_citizen_id: str


class Dossier(Record):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(alias="_id")
    owner_id: str  # the account that made it (for an organisation's dossier: the member who did)
    # Filed for an organisation: its members see it (by role), nobody else; None for a person's own.
    organisation_id: str | None = None
    organisation: OrganisationRef | None = None
    status: Status
    code: str | None = None
    procedure: Procedure
    agency: AgencyRef
    case: str | None = None
    applicant: Applicant | None = None
    prefill: Prefill | None = None
    attachments: list[Attachment] = []
    superseded: list[Superseded] = []
    results: list[Attachment] = []
    # The result documents specialists proposed (unsigned; officers only): the approved ones are signed
    # into ``results``.
    proposed: list[Attachment] = []
    total_bytes: int = 0
    history: list[HistoryEntry] = []
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None = None
    # When the one-stop officer must have accepted or refused it (working hours from filing).
    reception_due_at: datetime | None = None
    fee_total: int = 0
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    accepted_by_name: str | None = None
    appointment_at: datetime | None = None
    # The procedure states no processing time: the appointment is the configured default (the
    # administrator is shown it, to complete the catalogue).
    deadline_defaulted: bool = False
    # While the clock stands still (a supplement or a payment asked of the citizen): since when.
    paused_at: datetime | None = None
    supplement_items: list[str] = []
    supplement_components: list[str] = []
    supplement_count: int = 0
    finished_at: datetime | None = None
    on_time: bool | None = None
    returned_at: datetime | None = None
    closed_at: datetime | None = None
    # The one-stop workflow inside the agency (docs/submission.md, "One-stop processing"): the sub-step
    # the dossier is at (its status stays the national one), who handles it, until when.
    step: str | None = None
    step_due_at: datetime | None = None
    handler: StaffRef | None = None
    proposal: Proposal | None = None
    approved_by: StaffRef | None = None
    approved_at: datetime | None = None
    # The appointment as the law counts it: moved by the pauses the law allows (a supplement, a payment),
    # never by an apology; ``on_time`` is measured against it.
    original_appointment_at: datetime | None = None
    apologies: list[Apology] = []
    consultations: list[Consultation] = []
    transfers: list[Transfer] = []
    # A payment asked of the citizen (request-payment, status 6): what for and how much (VND), since when;
    # settled when the provider confirmed that amount (``payment_order_id``) or at the counter.
    payment_lines: list[FeeLine] = []
    payment_amount: int | None = None
    payment_requested_at: datetime | None = None
    payment_paid_at: datetime | None = None
    payment_order_id: str | None = None
    # The filing fees paid online (a "filing" order the provider confirmed): no change of status.
    fee_paid_at: datetime | None = None
    fee_order_id: str | None = None
    # Every payment order applied to the dossier: a confirmation delivered again changes nothing.
    paid_orders: list[str] = []
    # The owner's rating, once the dossier is returned, refused or withdrawn (domain/rating.py); written
    # only by the repository's conditional update, so two ratings at once cannot both be kept.
    rating: Rating | None = None
    rev: int = 1
    # Read with the dossier, written only by the repository's own updates (never with the aggregate).
    uploading: list[Pending] = Field([], exclude=True)
    # The ids of the files holding the dossier's slots (its files and the citizen's uploads in progress),
    # kept so the file limit is one condition on one array; None on a dossier stored before it was kept.
    slots: list[str] | None = Field(None, exclude=True)

    @field_serializer("status")
    def _status(self, status: Status) -> str:
        return status.value

    @field_serializer("applicant")
    def _applicant(self, applicant: Applicant | None) -> dict[str, object] | None:
        return applicant.model_dump(mode="json") if applicant else None  # dates as ISO text

    # -- what the dossier says -------------------------------------------------------------------
    @property
    def status_no(self) -> int:
        return NUMBER[self.status]

    @property
    def cases(self) -> list[str]:
        return case_names(self.procedure.components)

    @property
    def applicant_kinds(self) -> list[Kind]:
        """Who may own it: from the procedure's "đối tượng thực hiện" as it was when the draft began."""
        extra = self.procedure.model_extra or {}
        return kinds_for(extra.get("audience"), extra.get("audiences") or ())

    @property
    def fees(self) -> FeeTable:
        return FeeTable.of(self.procedure.fees)

    @property
    def fee_due_at_filing(self) -> bool:
        """Whether the procedure's fee table asks for money with the dossier (the portal offers to pay it
        online once filed)."""
        return self.fees.total > 0

    @property
    def pay_at_counter_allowed(self) -> bool | None:
        """Whether the filing fee may be paid at the counter instead: the catalogue's fee data says when a
        fee is payable (``when``: on_submit, on_result, unspecified) and for which channel, never whether
        an online dossier's fee may be paid at the desk, so this is None (not known) unless a fee line of
        the frozen procedure says so itself (``pay_at_counter``)."""
        said = [
            f.model_extra["pay_at_counter"]
            for f in self.procedure.fees
            if f.model_extra and isinstance(f.model_extra.get("pay_at_counter"), bool)
        ]
        return all(said) if said else None

    def payment_refusal(self, e: PaymentSucceededV1) -> str | None:
        """Why a confirmed payment does not settle what this dossier asks (None: it does). A confirmation
        applied before (delivered again) is ``already-applied``; the others are logged and kept by the
        payment service (the money is never lost, only not taken for this request)."""
        if e.order_id in self.paid_orders:
            return "already-applied"
        if e.purpose == "filing":
            if self.status == Status.DRAFT:
                return "not-filed"
            if self.fee_order_id is not None:
                return "filing-fee-already-paid"
            return None if e.amount == self.fee_total else "amount-mismatch"
        if self.status != Status.PAYMENT_REQUESTED:
            return "no-payment-requested"
        if self.payment_amount is None or e.amount != self.payment_amount:
            return "amount-mismatch"
        return None

    @property
    def channel(self) -> Literal["online", "counter"]:
        """Where it was filed: every dossier of this service is filed online (the portal, the app)."""
        return "online"

    @property
    def components_filed(self) -> int:
        """How many of its components have at least one file."""
        return len({a.component_id for a in self.attachments})

    @property
    def missing(self) -> list[Missing]:
        return missing_of(
            self.procedure.components,
            self.case,
            has_applicant=self.applicant is not None,
            filed={a.component_id for a in self.attachments},
        )

    @property
    def editable(self) -> bool:
        """Whether the citizen may still change its files."""
        return self.status in EDITABLE

    @property
    def supplemented(self) -> bool:
        """Whether a file was added since the supplement was requested (there is something to resubmit)."""
        since = self.paused_at
        return since is None or any(a.uploaded_at >= since for a in self.attachments)

    def document(self) -> dict[str, object]:
        """The stored document (without the uploads in progress, which only the repository writes)."""
        return {"status_no": self.status_no, **self.model_dump(by_alias=True)}

    # -- who sees what ---------------------------------------------------------------------------
    def owned_by(self, actor: Actor) -> bool:
        """Whether the actor sees it as its owner: their own, or their organisation's (any role)."""
        if self.organisation_id is not None:
            return actor.org_role(self.organisation_id) is not None
        return self.owner_id == actor.id

    def changeable_by(self, actor: Actor) -> bool:
        """Whether the actor may change or submit it: their own, or as staff or representative of the
        organisation it is filed for (a viewer only sees)."""
        if self.organisation_id is not None:
            return actor.org_role(self.organisation_id) in FILERS
        return self.owner_id == actor.id

    @property
    def scope(self) -> dict[str, str]:
        """Whose it is, as a guard of a write: the organisation's, or the owner's."""
        if self.organisation_id is not None:
            return {"organisation_id": self.organisation_id}
        return {"owner_id": self.owner_id}

    def in_queue_of(self, actor: Actor) -> bool:
        """A filed dossier of one of the officer's agencies, or one another agency asks theirs about."""
        if self.status == Status.DRAFT:
            return False
        return self.agency.code in actor.agencies or self.consulting(actor) is not None

    def consulting(self, actor: Actor) -> Consultation | None:
        """The open question to one of the officer's agencies (their opinion, or their inter-agency step)."""
        return next((c for c in self.consultations if c.open and c.agency.code in actor.agencies), None)

    @property
    def at_step(self) -> str | None:
        """Where it is inside the agency; for a dossier filed before steps were recorded, where its status
        puts it."""
        if self.step is not None or self.status in (Status.DRAFT, *CLOSED_NOW):
            return self.step
        if self.status == Status.SUBMITTED:
            return "reception"
        return "returning" if self.status == Status.FINISHED else "handling"

    def filed_by(self, actor: Actor) -> bool:
        """Whether the actor owns the dossier or acted on it as a citizen (filed, resubmitted it)."""
        return self.owned_by(actor) or any(
            h.actor_role == "citizen" and h.actor_id == actor.id for h in self.history
        )

    @property
    def receipt_ready(self) -> bool:
        """The receipt and appointment slip exists once the dossier was accepted (and never if refused)."""
        return self.accepted_at is not None and self.status != Status.REFUSED

    def results_visible_to(self, actor: Actor) -> bool:
        """The owner reads the result documents once processing finished; officers at any time."""
        return not self.owned_by(actor) or self.status in (Status.FINISHED, Status.RETURNED)

    # -- filing ----------------------------------------------------------------------------------
    def submit(self, actor: Actor, code: str, now: datetime, reception_due: datetime | None = None) -> Change:
        """Step 4: status 1 (mới đăng ký) with its dossier code and the time by which it must be accepted
        or refused; the caller checked it is complete."""
        fees = self.fees
        after = self.model_copy(
            update={
                "status": Status.SUBMITTED,
                "step": "reception",
                "code": code,
                "submitted_at": now,
                "reception_due_at": reception_due,
                "step_due_at": reception_due,
                "updated_at": now,
                "fee_total": fees.total,
                "rev": self.rev + 1,
                "history": [
                    *self.history,
                    HistoryEntry(
                        status=Status.SUBMITTED.value, at=now, actor_role="citizen", actor_id=actor.id
                    ),
                ],
            }
        )
        event = DossierSubmittedV1(
            **self.event_names(code),
            procedure_version=self.procedure.version,
            submitted_at=now,
            fee_total=fees.total,
            organisation_id=self.organisation_id,  # its members see and pay it (payment)
            # The lines the total sums (those in VND), for the payment service's filing order.
            fee_lines=[
                FeeLine(name=i.name, amount=i.amount)
                for i in fees.items
                if i.currency == "VND" and i.amount > 0
            ],
            channel=self.channel,
            field=self.procedure.field,
            # Filed online, every component with a file is held as an electronic file (reporting's
            # digitisation index).
            components_filed=self.components_filed,
            components_digital=self.components_filed,
        )
        return Change(before=self, after=after, event=event)

    def event_names(self, code: str | None = None) -> dict[str, str]:
        """What every dossier event names: the dossier, its owner, its procedure and its agency."""
        return {
            "dossier_id": self.id,
            "code": code or self.code or "",
            "owner_id": self.owner_id,
            "procedure_code": self.procedure.code,
            "procedure_name": self.procedure.name,
            "agency_code": self.agency.code,
            "agency_name": self.agency.name,
        }

    # -- files after filing ----------------------------------------------------------------------
    def file_change(self, actor: Actor, kind: FileChangeKind, att: Attachment, at: datetime) -> HistoryEntry:
        """A history entry for a file added, taken back or replaced after the dossier was filed: the
        officer sees what changed in the filed dossier, and when, as well as the status changes."""
        return HistoryEntry(
            status=self.status.value,
            at=at,
            actor_role="citizen",
            actor_id=actor.id,
            change=FileChange(
                kind=kind,
                attachment_id=att.id,
                component_id=att.component_id,
                name=att.name,
                size=att.size,
                sha256=att.sha256,
            ),
        )

    def removal(self, att: Attachment) -> FileChangeKind | None:
        """What removing a file is: nothing to record in a draft; during a supplement, an addition of
        this supplement taken back (``file_removed``) or a filed file of a component the officer named,
        replaced (``file_superseded``, kept on record). A filed file of any other component: ValueError."""
        if self.status != Status.SUPPLEMENT_REQUESTED:
            return None
        if self.paused_at is not None and att.uploaded_at >= self.paused_at:
            return "file_removed"
        if att.component_id in self.supplement_components:
            return "file_superseded"
        raise ValueError("a filed file of a component the supplement does not name")


@dataclass(frozen=True)
class Change:
    """A dossier's move: what it was (its status and revision guard the write), what it becomes, and the
    event that says so."""

    before: Dossier
    after: Dossier
    event: DossierSubmittedV1 | DossierStatusChangedV1 | DossierStepChangedV1
