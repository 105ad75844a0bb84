"""The event catalogue: every integration event's payload, in one place (docs/architecture.md §3).

Names are past tense; a breaking change is a new class with the next version, published side by side
with the old one until every consumer has moved. ``docs/events.md`` is generated from this module
(``python -m dvckit.contracts > docs/events.md``) and a test checks it is current.

Payloads carry the minimum personal data the consumer needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from .events import EventData


class UserRegisteredV1(EventData):
    """A citizen created an account (or an administrator created one). Notify sends the welcome."""

    event_type = "user.registered"
    event_version = 1

    user_id: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    roles: list[str] = Field(default_factory=list)
    locale: str = "vi"


class UserContactChangedV1(EventData):
    """A user's confirmed phone number or email address changed (the new one proved by a code sent to
    it, or an email removed). ``email`` and ``phone`` are what notifications go to from now on; the old
    ones that changed are told, so a holder whose account was taken over learns of it."""

    event_type = "user.contact_changed"
    event_version = 1

    user_id: str
    email: str | None = None
    phone: str | None = None
    changed: Literal["email", "phone"] | None = Field(None, description="Which one changed")
    old_email: str | None = Field(None, description="When the email changed: the one before (null: none)")
    old_phone: str | None = Field(None, description="When the phone changed: the one before (null: none)")
    locale: str = "vi"


class VerificationCodeIssuedV1(EventData):
    """A one-time code to deliver: to the phone a citizen is registering with (``registration``), to a
    new email or phone before it replaces the old one (``contact_change``), or to the account's confirmed
    contact for a password reset (``password_reset``: by email when there is one, else by SMS).

    The code travels sealed (``dvckit.sealed``, key ``DVC_SEAL_KEY`` shared by auth and notify): the
    outbox, the queue and the delivery records never hold it in clear."""

    event_type = "user.verification_code_issued"
    event_version = 1

    purpose: Literal["registration", "contact_change", "password_reset", "account_close"]
    sealed_code: str
    expires_at: datetime
    user_id: str | None = Field(None, description="None for a registration: no account exists yet")
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str = "vi"


class UserRegistrationBlockedV1(EventData):
    """Someone asked to register with a phone number or citizen ID that already has an account. No
    account was made and the registrant got the same answer as anyone else; notify tells the phone given
    (a message instead of a code) and, for a citizen ID in use, the account's holder."""

    event_type = "user.registration_blocked"
    event_version = 1

    reason: Literal["phone_in_use", "citizen_id_in_use"]
    phone: str = Field(description="The phone number given in the registration")
    existing_user_id: str
    locale: str = "vi"


SessionEndReason = Literal[
    "logout", "refresh_reuse", "password_changed", "password_reset", "locked", "rights_changed", "closed"
]


class UserSessionsEndedV1(EventData):
    """Logins of a user ended: one (``session_id``: signing out, on the device or from its holder's list
    of sessions; a stolen refresh token; and one event for each other session when the password is
    changed or the holder ends all but the current one) or all (``session_id`` null: password reset,
    account locked, rights changed, the holder ending every session). Services holding something open
    for the user (notify's live streams) close it. The ended sessions' access tokens are refused through
    the auth service's revocation list, not through this event."""

    event_type = "user.sessions_ended"
    event_version = 1

    user_id: str
    session_id: str | None = None
    reason: SessionEndReason
    ended_at: datetime


class UserMfaResetV1(EventData):
    """An administrator reset another account's second factor (an officer's or administrator's TOTP and
    recovery codes, for a lost phone): the account enrols again at its next sign-in, and every session
    of it ended (``user.sessions_ended.v1``). Kept as the record of who did it and when."""

    event_type = "user.mfa_reset"
    event_version = 1

    user_id: str
    reset_by: str = Field(description="The administrator's user id")
    reset_at: datetime


class UserClosedV1(EventData):
    """A citizen closed their account (``POST /api/v1/auth/me/close``, docs/auth.md "Your data"). The
    account is anonymised in auth (name, contacts, citizen ID, birth date removed; sign-in impossible;
    every session ended). Each service erases what it holds about the person that no law requires it
    to keep: submission deletes the drafts and their files (filed dossiers are kept: archive law),
    notify deletes notifications, deliveries, preferences and its copy of the contacts; payment and the
    audit trail keep their records (accounting law; the audit trail is append-only). Carries no personal
    data: the account id alone."""

    event_type = "user.closed"
    event_version = 1

    user_id: str
    closed_at: datetime


class UserPasswordResetRequestedV1(EventData):
    """Deprecated: no longer published (it carried the code in clear); replaced by
    ``user.verification_code_issued.v1``. Notify still delivers any left in queues from before."""

    event_type = "user.password_reset_requested"
    event_version = 1
    deprecated = True

    user_id: str
    code: str
    expires_at: datetime
    email: str | None = None
    phone: str | None = None
    locale: str = "vi"


class OrganisationCreatedV1(EventData):
    """A citizen verified through VNeID registered an organisation (a business: its tax code) and became
    its legal representative in the system."""

    event_type = "organisation.created"
    event_version = 1

    organisation_id: str
    tax_code: str
    name: str
    representative_user_id: str


class OrganisationMemberChangedV1(EventData):
    """Someone became a member of an organisation, changed role or left it. ``role`` is the role now
    (null: no longer a member). Services learn a caller's memberships from the access token (claim
    ``orgs``), which follows at the member's next token refresh; this says when that changed."""

    event_type = "organisation.member_changed"
    event_version = 1

    organisation_id: str
    user_id: str
    change: Literal["added", "role_changed", "removed"]
    role: Literal["representative", "staff", "viewer"] | None = None
    by_user_id: str


class _Open(BaseModel):
    """Part of a published procedure: the fields consumers read are typed, and every other field the
    catalog sends travels on untouched (a consumer's copy is the whole record, JSON for JSON)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_serializer(mode="wrap")
    def _as_sent(self, handler: SerializerFunctionWrapHandler) -> dict[str, object]:
        # Only what was sent: a default filled in on reading is never added on writing.
        sent = self.model_fields_set | set(self.__pydantic_extra__ or ())
        return {k: v for k, v in handler(self).items() if k in sent}


class ProcedureComponent(_Open):
    """One dossier component (thành phần hồ sơ) of a procedure. The defaults are what a component that
    does not say means: required, of no case, no originals or copies asked, the consumer's own limits."""

    id: str
    name: str = ""
    group: str | None = Field(None, description="The case (trường hợp) it belongs to, if any")
    required: bool = True
    lookup: bool = Field(
        False,
        description="The office looks it up itself in a national database: shown as 'Cơ quan tự khai thác',"
        " never asked of the applicant (and then ``required`` is false)",
    )
    originals: int = 0
    copies: int = 0
    file_types: list[str] | None = Field(None, description="Accepted types; None: the consumer's own")
    max_bytes: int | None = Field(None, description="Largest file; None: the consumer's own limit")


class ProcedureFee(_Open):
    """A fee or charge: in ``currency`` (VND unless said), payable ``when``, by ``channel`` (None: any)."""

    name: str
    amount: int
    currency: str = "VND"
    when: str = "unspecified"
    channel: str | None = None
    note: str | None = None


class ProcedureDuration(_Open):
    value: float | int
    unit: str
    text: str


class ProcedureResult(_Open):
    name: str
    code: str | None = None


class ProcedureWhere(_Open):
    vi: str
    en: str


class ProcedureRouting(_Open):
    """Where a procedure is filed in Hải Phòng, by the catalog's rules (docs/agencies.md).

    ``level`` commune: the citizen chooses a commune and ``commune_body`` of it receives (its public
    service point takes the dossier); city: ``receivers`` (city or vertical agency codes, first is the
    default); central: not here. ``anywhere``: any commune's service point may receive it.
    ``fileable_here`` false: ``file_at`` says where to file instead."""

    level: Literal["commune", "city", "central"]
    receivers: list[str] = Field(default_factory=list)
    commune_body: Literal["people_committee", "police"] | None = None
    anywhere: bool = False
    fileable_here: bool = True
    file_at: ProcedureWhere | None = None
    rule: str = ""


class PublishedProcedure(_Open):
    """The procedure as the catalog serves it at ``GET /api/v1/catalog/procedures/{code}``."""

    code: str
    version: int
    name: str
    status: str = "published"
    fileable: bool = False
    field: str | None = None
    agencies: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)
    online_level: str | None = None
    processing_time: ProcedureDuration | None = None
    working_days: int | None = None
    components: list[ProcedureComponent] = Field(default_factory=list)
    fees: list[ProcedureFee] = Field(default_factory=list)
    results: list[ProcedureResult] = Field(default_factory=list)
    routing: ProcedureRouting | None = Field(None, description="None in records from before routing")

    def as_json(self) -> dict[str, object]:
        """The record as it came (fields it did not carry are not added)."""
        return self.model_dump(mode="json")


class ProcedurePublishedV1(EventData):
    """A procedure was published or changed (a new version). Carries the whole procedure as the catalog
    serves it at ``GET /api/v1/catalog/procedures/{code}``, so consumers keep a copy without a call."""

    event_type = "procedure.published"
    event_version = 1

    code: str
    version: int
    procedure: PublishedProcedure


class ProcedureWithdrawnV1(EventData):
    """A procedure is no longer offered; dossiers already filed under it go on."""

    event_type = "procedure.withdrawn"
    event_version = 1

    code: str
    version: int
    name: str


class VocabularyChangedV1(EventData):
    """An administrator created, changed or deleted an entry of the catalogue's search vocabulary
    (``GET /api/v1/catalog/vocabulary/{id}``: everyday names, abbreviations, borrowed words, situation
    words, the English glossary). Every catalog replica searches with it from then on (on its next
    look at the vocabulary's revision, within seconds); ``change`` deleted: the entry is gone."""

    event_type = "vocabulary.changed"
    event_version = 1

    id: str
    version: int
    change: Literal["created", "updated", "deleted"]
    kind: str
    terms: list[str]
    means: list[str]
    weight: float
    revision: int = Field(description="The vocabulary's revision after the change")


class CalendarChangedV1(EventData):
    """An administrator changed a year's working-day calendar: the days off and working days added to the
    public holidays (a day off the Prime Minister decides, a make-up working Saturday). Every replica
    counts deadlines computed from then on with them (the submission service reloads its calendar)."""

    event_type = "calendar.changed"
    event_version = 1

    year: int
    version: int = Field(description="The year's calendar version after the change")
    days_off: list[str] = Field(default_factory=list, description="ISO dates, besides the public holidays")
    working_days: list[str] = Field(default_factory=list, description="ISO dates worked although days off")
    changed_by: str = Field(description="The administrator's account id")
    changed_at: datetime


class AgencyChangedV1(EventData):
    """An administrator created, changed or deactivated an agency of the directory
    (``GET /api/v1/catalog/agencies/{code}``). Carries the agency as the catalog now serves it;
    ``active`` false: deactivated (dossiers already addressed to it go on)."""

    event_type = "agency.changed"
    event_version = 1

    code: str
    version: int
    change: Literal["created", "updated", "deactivated"]
    name: str
    level: Literal["city", "commune", "central"]
    kind: str
    parent_code: str | None = None
    parent_name: str | None = None
    ward_code: str | None = None
    commune: str | None = None
    active: bool = True


# Dossier statuses: key → (national portal number, Vietnamese, English). Shared by the service that
# changes them and those that tell people about them.
DOSSIER_STATUS: dict[str, tuple[int, str, str]] = {
    "draft": (0, "Hồ sơ nháp", "Draft"),
    "submitted": (1, "Mới đăng ký", "Newly registered"),
    "accepted": (2, "Đã tiếp nhận", "Accepted"),
    "refused": (3, "Không được tiếp nhận", "Not accepted"),
    "processing": (4, "Đang xử lý", "Being processed"),
    "supplement_requested": (5, "Yêu cầu bổ sung", "Supplement requested"),
    "payment_requested": (6, "Yêu cầu thực hiện nghĩa vụ tài chính", "Payment requested"),
    "withdrawn": (7, "Công dân yêu cầu rút hồ sơ", "Withdrawn by the citizen"),
    "stopped": (8, "Dừng xử lý", "Processing stopped"),
    "finished": (9, "Đã xử lý xong", "Processing finished"),
    "returned": (10, "Đã trả kết quả", "Result returned"),
}


class _DossierEvent(EventData):
    """What every dossier event names: the dossier, its owner, its procedure and its agency."""

    dossier_id: str
    code: str
    owner_id: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str


class FeeLine(BaseModel):
    """One line of a fee or charge to pay, in VND (đồng)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    amount: int = Field(ge=0)


class DossierSubmittedV1(_DossierEvent):
    """A citizen filed a dossier online (status 1, mới đăng ký): notify tells them it was received."""

    event_type = "dossier.submitted"
    event_version = 1

    procedure_version: int
    submitted_at: datetime
    fee_total: int = 0
    fee_lines: list[FeeLine] = Field(
        default_factory=list, description="The frozen fee table's lines the total sums (payment: filing fees)"
    )
    organisation_id: str | None = Field(
        None, description="The organisation it was filed for (its members see it; payment: who may pay)"
    )
    channel: Literal["online", "counter"] = Field(
        "online", description="Where it was filed: online (the portal, the app) or at the one-stop counter"
    )
    field: str | None = Field(None, description="The procedure's field (lĩnh vực): reporting groups by it")
    components_filed: int = Field(0, ge=0, description="Dossier components with at least one file")
    components_digital: int = Field(
        0, ge=0, description="Of those, the ones held as electronic files (every one, when filed online)"
    )


class DossierStatusChangedV1(_DossierEvent):
    """A dossier moved from one status to another (accepted with its appointment date, supplement
    requested with what is missing, refused or stopped with the reason, result ready...). Status numbers
    are the national portal's (1 mới đăng ký … 10 đã trả kết quả)."""

    event_type = "dossier.status_changed"
    event_version = 1

    old_status: str
    new_status: str
    old_status_code: int
    new_status_code: int
    note: str | None = None
    reason: str | None = None
    supplement_items: list[str] = Field(default_factory=list)
    appointment_at: datetime | None = None
    actor_role: str
    payment_lines: list[FeeLine] = Field(
        default_factory=list, description="request-payment: what the citizen is asked to pay"
    )
    payment_amount: int | None = Field(None, description="request-payment: the lines' sum, VND")
    action: str | None = Field(None, description="The workflow's action (accept, approve, …)")
    step: str | None = Field(
        None,
        description="Where it is inside the agency after it: reception, handling, review, consulting, "
        "returning; none once closed",
    )
    changed_at: datetime
    rev: int = Field(description="The dossier's revision after the change: consumers order events by it")
    # What reporting needs to judge the dossier without a call back (Decision 766's indexes).
    submitted_at: datetime | None = Field(None, description="When it was filed")
    channel: Literal["online", "counter"] = "online"
    legal_due_at: datetime | None = Field(
        None, description="The appointment the law counts (moved by supplements and payments, not apologies)"
    )
    finished_at: datetime | None = Field(None, description="When the result was decided (status 9)")
    on_time: bool | None = Field(
        None, description="From status 9 on: decided by the appointment the law counts"
    )
    digital_result: bool | None = Field(
        None, description="From status 9 on: the result was issued as a signed electronic document"
    )
    used_days: float | None = Field(
        None, description="From status 9 on: working days from acceptance to the result, pauses left out"
    )
    legal_days: float | None = Field(
        None, description="The procedure's processing time in working days (null: not stated in days)"
    )


class DossierRatingScores(BaseModel):
    """A citizen's rating of how a dossier was handled: the national portal's satisfaction criteria, each
    from 1 (very dissatisfied) to 5 (very satisfied)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    overall: int = Field(ge=1, le=5, description="Overall satisfaction")
    reception: int = Field(ge=1, le=5, description="Reception (tiếp nhận)")
    guidance: int = Field(ge=1, le=5, description="Guidance (hướng dẫn)")
    time: int = Field(ge=1, le=5, description="Processing time (thời gian giải quyết)")
    result: int = Field(ge=1, le=5, description="The result (kết quả)")


class DossierRatedV1(_DossierEvent):
    """The dossier's owner rated how it was handled, once, after its result was returned (status 10) or
    it was refused or withdrawn. Reporting counts it in the satisfaction index; who rated what is seen by
    the agency's leaders only."""

    event_type = "dossier.rated"
    event_version = 1

    scores: DossierRatingScores
    comment: str | None = None
    status_code: int = Field(description="The dossier's status when it was rated (3, 7 or 10)")
    rated_at: datetime


class DossierStepChangedV1(_DossierEvent):
    """A dossier moved inside the one-stop workflow without a change of status: assigned or reassigned to
    a specialist, proposed to the leader, sent back, sent to another agency for its opinion or its step
    (and answered), transferred to another agency (``agency_code`` is then the receiving one), or given an
    apology with a new appointment."""

    event_type = "dossier.step_changed"
    event_version = 1

    status: str
    status_code: int
    action: str
    step: str | None
    from_agency_code: str = Field(description="The agency that held it before the action")
    to_agency_code: str | None = Field(None, description="transfer, consult: the other agency")
    assignee_id: str | None = Field(None, description="assign, send-back, answer: the specialist who has it")
    assignee_name: str | None = Field(None, description="The specialist's name (reporting's overdue list)")
    due_at: datetime | None = Field(None, description="When the step begun must be done")
    appointment_at: datetime | None = None
    note: str | None = None
    reason: str | None = None
    changed_at: datetime
    rev: int = Field(description="The dossier's revision after the change: consumers order events by it")


class _PaymentEvent(EventData):
    """What every payment event names: the order, its dossier and owner, what it is for and how much."""

    order_id: str
    dossier_id: str
    dossier_code: str
    owner_id: str
    purpose: Literal["filing", "requested"]
    amount: int = Field(ge=0, description="VND")


class PaymentRequestedV1(_PaymentEvent):
    """A payment order was opened (the filing fees, or what an officer asked for): notify tells the citizen
    what to pay and by when."""

    event_type = "payment.requested"
    event_version = 1

    agency_code: str
    agency_name: str
    lines: list[FeeLine]
    expires_at: datetime


class PaymentSucceededV1(_PaymentEvent):
    """The provider confirmed the payment (its notification, or the reconciliation's query): submission
    moves a dossier waiting for this amount on; notify tells the citizen, with the e-receipt."""

    event_type = "payment.succeeded"
    event_version = 1

    provider: str
    provider_txn: str
    paid_at: datetime
    receipt_no: str
    late: bool = Field(
        False, description="Paid after the order expired: the money is kept, the order flagged"
    )


class PaymentFailedV1(_PaymentEvent):
    """The provider said the payment failed or was cancelled."""

    event_type = "payment.failed"
    event_version = 1

    reason: str


class PaymentExpiredV1(_PaymentEvent):
    """An order nobody paid before it expired (the provider confirmed none)."""

    event_type = "payment.expired"
    event_version = 1


class PaymentRefundedV1(_PaymentEvent):
    """A paid order refunded through the provider."""

    event_type = "payment.refunded"
    event_version = 1

    refunded_at: datetime


class AuditRecordedV1(EventData):
    """One entry of the audit trail (docs/audit.md): personal data or an attachment read by staff, a change
    made by staff or an administrator, a staff sign-in. Written by the service where it happened, in the
    same transaction as the change (or, for a read, before the data is returned), so no audited action
    succeeds without its record. The audit service keeps it append-only, hash-chained per producer."""

    event_type = "audit.recorded"
    event_version = 1

    at: datetime
    kind: Literal["read", "change", "login"]
    # ``<target>.<verb>`` in the past tense: ``dossier.viewed``, ``attachment.downloaded``,
    # ``user.roles_changed``, ``staff.signed_in``, ``staff.sign_in_failed``...
    action: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$", max_length=80)
    outcome: Literal["ok", "denied", "failed"] = "ok"
    actor: str = Field(max_length=200, description="the account (sub) that acted; '' when unknown")
    actor_roles: list[str] = Field(default_factory=list)
    actor_agencies: list[str] = Field(default_factory=list)
    ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    request_id: str | None = Field(default=None, max_length=128)
    target_type: str = Field(max_length=40, description="dossier, attachment, user, procedure, agency...")
    target_id: str = Field(max_length=200)
    # The account whose personal data was read or changed (a citizen's export lists the entries about them).
    subject: str | None = Field(default=None, max_length=200)
    # The personal fields read (``applicant.id_number``...), for a read.
    fields: list[str] = Field(default_factory=list)
    # For a change: the changed fields only, secrets redacted (dvckit.audit.changes).
    before: dict | None = None
    after: dict | None = None


CATALOGUE: tuple[type[EventData], ...] = (
    UserRegisteredV1,
    UserContactChangedV1,
    VerificationCodeIssuedV1,
    UserRegistrationBlockedV1,
    UserSessionsEndedV1,
    UserMfaResetV1,
    UserClosedV1,
    UserPasswordResetRequestedV1,
    OrganisationCreatedV1,
    OrganisationMemberChangedV1,
    ProcedurePublishedV1,
    ProcedureWithdrawnV1,
    AgencyChangedV1,
    VocabularyChangedV1,
    DossierSubmittedV1,
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierRatedV1,
    CalendarChangedV1,
    PaymentRequestedV1,
    PaymentSucceededV1,
    PaymentFailedV1,
    PaymentExpiredV1,
    PaymentRefundedV1,
    AuditRecordedV1,
)


def by_routing_key() -> dict[str, type[EventData]]:
    return {c.routing_key(): c for c in CATALOGUE}


def markdown() -> str:
    """The generated event catalogue page."""
    lines = [
        "# Event catalogue",
        "",
        "Generated from `libs/dvckit/src/dvckit/contracts.py` by `python -m dvckit.contracts`; do not edit.",
        "",
        "Every event travels in the envelope `{id, type, version, occurred_at, producer, correlation_id,"
        " data}` on the durable topic exchange `dvc.events`, with routing key `<type>.v<version>`. When"
        " tracing is on, the envelope also carries `traceparent`, the W3C trace context of the span that"
        ' wrote the event (docs/operations.md, "Tracing").',
        "",
    ]
    for c in CATALOGUE:
        lines += [
            f"## `{c.routing_key()}`",
            "",
            (c.__doc__ or "").strip(),
            "",
            "| field | type | required |",
            "|---|---|---|",
        ]
        schema = c.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            typ = prop.get("type") or " or ".join(p.get("type", "?") for p in prop.get("anyOf", []))
            if "$ref" in prop:
                typ = f"object ({prop['$ref'].rsplit('/', 1)[-1]})"
            if prop.get("format"):
                typ = f"{typ} ({prop['format']})"
            if typ == "array":
                typ = f"array of {prop.get('items', {}).get('type', '?')}"
            lines.append(f"| `{name}` | {typ} | {'yes' if name in required else 'no'} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
