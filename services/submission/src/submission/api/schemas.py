"""Request and response models of the submission API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dvckit.contracts import DossierRatingScores
from dvckit.paging import Cursored

from ..domain.applicant import Applicant, Person, Prefill
from ..domain.files import MIME
from ..domain.model import Apology, Consultation, FileFacts, Proposal, StaffRef, Transfer

ProcedureCode = Annotated[str, Field(pattern=r"^\d\.\d{6}$", examples=["1.004194"])]
# Decision 20/2020/QĐ-TTg: <level 4>.<level 3>.<level 2>.<level 1>, letters or digits (communes' level-2
# codes have a letter: docs/agencies.md).
AGENCY_CODE = r"[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}"
AgencyCode = Annotated[str, Field(pattern=rf"^{AGENCY_CODE}$", examples=["000.01.A3.H26"])]
DossierId = Annotated[str, Field(pattern=r"^[0-9a-f-]{36}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DraftIn(Strict):
    procedure_code: ProcedureCode
    agency_code: AgencyCode | None = Field(
        None, description="Cơ quan tiếp nhận, when the procedure has several"
    )
    case: Annotated[
        str | None, Field(max_length=500, description="Trường hợp, when the procedure has several")
    ] = None
    organisation_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=64,
            pattern=r"^[0-9a-f-]+$",
            description="Nộp cho tổ chức (người gọi là staff hoặc representative của tổ chức) / file for an "
            "organisation the caller may file for: it becomes the dossier's owner",
        ),
    ] = None


class CaseIn(Strict):
    case: Annotated[str, Field(min_length=1, max_length=500)]


class SubmitIn(Strict):
    """The captcha is passed by its image's text (``captcha_answer``) or by its proof of work
    (``captcha_proof``, the ALTCHA payload of the captcha's ``challenge``): one of the two."""

    captcha_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    captcha_answer: Annotated[str | None, Field(min_length=1, max_length=20)] = None
    captcha_proof: Annotated[str | None, Field(min_length=1, max_length=4000)] = None

    @model_validator(mode="after")
    def _one_way(self) -> SubmitIn:
        if (self.captcha_answer is None) == (self.captcha_proof is None):
            raise ValueError("give captcha_answer or captcha_proof (one of the two)")
        return self


class StatusText(BaseModel):
    vi: str
    en: str


class AgencyOut(BaseModel):
    code: str
    name: str


class ProcedureRef(BaseModel):
    code: str
    name: str


class OrganisationOut(BaseModel):
    """The organisation a dossier is filed for, as the auth service registered it."""

    id: str
    tax_code: str
    name: str
    address: str
    representative_name: str
    representative_citizen_id: str


class DossierSummary(BaseModel):
    id: str
    code: str | None
    status: str
    status_code: int
    status_text: StatusText
    procedure: ProcedureRef
    agency: AgencyOut
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    appointment_at: datetime | None = None
    reception_due_at: datetime | None = Field(None, description="By when a filed dossier must be accepted")
    deadline_defaulted: bool = Field(
        False, description="The appointment is the configured default: the procedure states no time"
    )
    organisation_id: str | None = Field(
        None, description="Filed for this organisation (null: a personal one)"
    )
    organisation: OrganisationOut | None = None
    step: str | None = Field(
        None,
        description="Where it is inside the agency: reception, handling (the specialist), review (the "
        "leader), consulting (another agency), returning; null once closed",
    )
    step_text: StatusText | None = None
    step_due_at: datetime | None = Field(None, description="By when the current step must be done")


class RatingOut(BaseModel):
    """The owner's rating: the five criteria (1–5), the comment, when."""

    scores: DossierRatingScores
    comment: str | None = None
    rated_at: datetime


class Rated(BaseModel):
    """What the citizen sees of rating their dossier (an officer's view: ``rating`` for leaders only)."""

    rating: RatingOut | None = Field(None, description="The owner's rating, once given")
    rateable: bool | None = Field(
        None,
        description="The owner's views: the dossier may be rated now (returned, refused or withdrawn, "
        "and not rated yet)",
    )


class MineItem(DossierSummary, Rated):
    pass


class DossierPage(Cursored):
    items: list[MineItem]
    total: int
    page: int
    size: int


class AttachmentOut(FileFacts):
    pass


class UploadOut(AttachmentOut):
    attachment_id: str


class SupersededOut(AttachmentOut):
    """A filed file the citizen replaced during a supplement: no longer part of the dossier's files,
    kept in its record (and downloadable) all the same."""

    superseded_at: datetime


class FeeItem(BaseModel):
    name: str
    amount: int
    currency: str
    when: str
    note: str | None = None


class FeesOut(BaseModel):
    items: list[FeeItem]
    total: int
    currency: str
    free: bool


class PaymentLineOut(BaseModel):
    name: str
    amount: int = Field(description="VND")


class FileChange(BaseModel):
    """A change to the files of a filed dossier (during a supplement): ``file_added``, ``file_removed``
    (an addition of the same supplement taken back) or ``file_superseded`` (a filed file replaced,
    kept in ``superseded``)."""

    kind: str
    attachment_id: str
    component_id: str
    name: str
    size: int
    sha256: str


class HistoryEntry(BaseModel):
    """A status change or a move inside the agencies (``action``), or (with ``change``) a change to the
    files while the status stayed."""

    status: str
    at: datetime
    actor_role: str
    action: str | None = Field(None, description="The workflow's action (accept, assign, propose, …)")
    step: str | None = Field(None, description="Where the dossier is after it")
    actor_id: str | None = Field(None, description="Officers only: the account that acted")
    actor_name: str | None = None
    agency_code: str | None = Field(None, description="The agency that acted")
    to_id: str | None = Field(None, description="Officers only: the account that received the dossier")
    to_name: str | None = None
    to_agency: str | None = Field(None, description="transfer, consult: the other agency")
    due_at: datetime | None = Field(None, description="When the step it began was due")
    outcome: str | None = None
    note: str | None = None
    reason: str | None = None
    items: list[str] | None = None
    components: list[str] | None = Field(
        None, description="request-supplement: the components whose filed files may be replaced"
    )
    amount: int | None = Field(
        None, description="request-payment: the amount asked; paid: the amount paid (VND)"
    )
    change: FileChange | None = None


class MissingItem(BaseModel):
    item: str
    vi: str
    en: str


class DeadlineOut(BaseModel):
    paused: bool = Field(
        description="The clock stands still: a supplement or a payment is asked of the citizen"
    )
    kind: str = Field(
        "processing",
        description="reception (filed, not yet accepted: due_at is the reception due time) "
        "or processing (from acceptance: due_at is the appointment)",
    )
    due_at: datetime | None = None
    defaulted: bool = Field(
        False,
        description="The procedure states no processing time: the appointment is the configured default",
    )
    state: str | None = Field(description="on_time, due_soon, overdue, done")
    working_days_left: int | None
    step_due_at: datetime | None = Field(None, description="By when the current step must be done")
    step_state: str | None = Field(None, description="The current step: on_time, due_soon, overdue, done")


class QueueItem(DossierSummary):
    applicant_name: str | None = Field(description="Whom the dossier is for: the owner, or the submitter")
    applicant_kind: str | None = Field(None, description="individual, foreigner, business or organization")
    applicant_phone: str | None
    handler: StaffRef | None = None
    # Where its money stands, at a glance: a payment asked for (and how much), the filing fee paid or owed.
    payment_amount: int | None = Field(None, description="Status 6: the payment asked for, VND")
    fee_due_at_filing: bool = False
    fee_paid_at: datetime | None = None
    deadline: DeadlineOut


class QueuePage(Cursored):
    items: list[QueueItem]
    total: int
    page: int
    size: int


class DossierOut(DossierSummary, Rated):
    procedure: dict[str, Any]  # type: ignore[assignment]  # the whole frozen procedure
    applicant: Applicant | None
    applicant_kinds: list[str] = Field(
        [], description="Who may own it (individual, foreigner, business, organization), from its audience"
    )
    cases: list[str]
    case: str | None
    prefill: Prefill | None
    attachments: list[AttachmentOut]
    total_bytes: int
    fees: FeesOut
    fee_due_at_filing: bool = Field(
        False, description="The fee table asks for money with the dossier: the portal offers to pay it online"
    )
    pay_at_counter_allowed: bool | None = Field(
        None,
        description="Whether the filing fee may be paid at the counter instead; null: the catalogue does not "
        "say (its fee data gives when a fee is payable, not where)",
    )
    fee_paid_at: datetime | None = Field(
        None, description="The filing fees paid online (the provider's time)"
    )
    fee_order_id: str | None = Field(None, description="The payment order that paid the filing fees")
    payment_lines: list[PaymentLineOut] = Field([], description="The payment an officer asked for: its lines")
    payment_amount: int | None = Field(None, description="The payment asked for, VND")
    payment_requested_at: datetime | None = None
    payment_paid_at: datetime | None = Field(
        None, description="When the payment asked for was settled (online, or recorded at the counter)"
    )
    payment_order_id: str | None = Field(None, description="The payment order that settled it online")
    history: list[HistoryEntry]
    missing: list[MissingItem] | None = None
    results: list[AttachmentOut] = []
    accepted_at: datetime | None = None
    supplement_items: list[str] = []
    supplement_components: list[str] = Field(
        [], description="During a supplement: the components whose filed files the citizen may replace"
    )
    superseded: list[SupersededOut] = []
    supplement_count: int = 0
    finished_at: datetime | None = None
    on_time: bool | None = None
    receipt_available: bool = False
    original_appointment_at: datetime | None = Field(
        None, description="The appointment as the law counts it (an apology's new one does not move it)"
    )
    apologies: list[Apology] = []
    transfers: list[Transfer] = []
    rev: int
    # An officer's view only:
    actions: list[str] | None = Field(None, description="Officers: the actions open to the caller now")
    handler: StaffRef | None = None
    proposal: Proposal | None = None
    proposed: list[AttachmentOut] = []
    approved_by: StaffRef | None = None
    approved_at: datetime | None = None
    consultations: list[Consultation] = []


class ReceiptOut(DossierSummary):
    fee_total: int
    attachments: int
    next: StatusText


class CaptchaOut(BaseModel):
    captcha_id: str
    image: str = Field(description="data:image/png;base64,…")
    challenge: dict[str, Any] = Field(
        description="ALTCHA proof-of-work challenge (v2): solving it passes the captcha without the image"
    )
    expires_in: int


class TrackOut(BaseModel):
    code: str
    procedure_name: str
    agency_name: str
    status: str
    status_code: int
    status_text: StatusText
    step: str | None = Field(None, description="Where it is inside the agency (docs/submission.md)")
    step_text: StatusText | None = None
    submitted_at: datetime | None
    appointment_at: datetime | None


__all__ = ["Applicant", "Person"]


# What an attachment may be, by its real type (domain/files.py); downloads answer with that type.
FILE_TYPES = {
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in sorted(set(MIME.values()))}
}
