"""The officers' and the citizen's actions on a filed dossier (docs/submission.md): what each checks
(``decide``, against the workflow's table and the caller's roles), what each changes (one entry of
``EFFECTS`` an action), and ``act``, which applies one and returns the ``Change`` with its event. Pure: the
time, the zone, the stored documents, the assignee and the other agency come from the caller."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dvckit.contracts import DossierStatusChangedV1, DossierStepChangedV1, FeeLine, PaymentSucceededV1
from dvckit.errors import Problem, Text
from dvckit.vn import ZONE

from .actions import ActionInput, clean, unknown_fields
from .calendar import DEFAULT, Calendar, Duration, duration_of
from .model import (
    Actor,
    AgencyRef,
    Apology,
    Attachment,
    Change,
    Consultation,
    Dossier,
    HistoryEntry,
    Proposal,
    StaffRef,
    Transfer,
)
from .procedure import Missing, Procedure
from .rating import legal_days, used_days
from .status import LABEL, Status, describe
from .workflow import (
    ACTIONS,
    CLOCK_RUNS,
    CONSULTING,
    HANDLING,
    RECEPTION,
    RETURNING,
    REVIEW,
    RULES,
    SHARE,
    Action,
    Role,
    Rule,
    roles_for,
    rule,
)

UNKNOWN_ACTION = Problem(404, "unknown-action", Text("Thao tác không tồn tại", "No such action"))
NOTHING_SUPPLEMENTED = Problem(
    422,
    "nothing-supplemented",
    Text("Chưa tải lên giấy tờ bổ sung", "Upload the supplement before resubmitting"),
)


def illegal(action: Action, current: Status) -> Problem:
    vi, en = LABEL[current]
    return Problem(
        409,
        "invalid-transition",
        Text(
            f"Không thể thực hiện '{action.name}' khi hồ sơ đang ở trạng thái: {vi}",
            f"'{action.name}' is not allowed while the dossier is: {en}",
        ),
        extra={"current": describe(current)},
    )


def incomplete(missing: list[Missing]) -> Problem:
    """422 naming each missing item (Vietnamese first)."""
    return Problem(
        422,
        "dossier-incomplete",
        Text("Hồ sơ chưa đủ để nộp", "The dossier is not complete"),
        Text(
            "Còn thiếu: " + "; ".join(m.vi for m in missing),
            "Missing: " + "; ".join(m.en for m in missing),
        ),
        extra={"missing": [m.model_dump() for m in missing]},
    )


def _required(field: str, vi: str, en: str) -> Problem:
    return Problem(
        422, f"{field}-required", Text(vi, en), extra={"errors": [{"field": field, "message": vi}]}
    )


def action_named(name: str) -> Action:
    action = ACTIONS.get(name)
    if action is None:
        raise UNKNOWN_ACTION
    return action


def where(d: Dossier) -> tuple[Status, str | None]:
    """The dossier's status and its step inside the agency."""
    return d.status, d.at_step


def allowed(action: Action, d: Dossier, roles: Iterable[Role]) -> tuple[Role, Rule]:
    """The rule the caller follows (in the first of their roles that may act here); 409 when the action
    is not open at the dossier's status and step, 403 when it is but not to these roles."""
    status, step = where(d)
    found = rule(status, step, roles, action.name)
    if found is not None:
        return found
    if any(key[0] == status and key[1] == step and key[3] == action.name for key in RULES):
        raise role_required(action)
    raise illegal(action, d.status)


def role_required(action: Action) -> Problem:
    return Problem(
        403,
        "role-required",
        Text(
            f"Vai trò của bạn không được thực hiện '{action.name}' ở bước này",
            f"Your role may not '{action.name}' at this step",
        ),
        extra={"roles": sorted(roles_for(action.name))},
    )


NOT_HANDLER = Problem(
    403,
    "not-assigned",
    Text("Hồ sơ đang được giao cho chuyên viên khác", "The dossier is assigned to another specialist"),
)
OWN_PROPOSAL = Problem(
    403,
    "own-proposal",
    Text(
        "Lãnh đạo không tự phê duyệt đề xuất của chính mình",
        "A leader may not approve their own proposal: someone else reviews it",
    ),
)
APOLOGY_REQUIRED = Problem(
    409,
    "apology-required",
    Text(
        "Hồ sơ đã quá hạn: cần văn bản xin lỗi và hẹn lại ngày trả kết quả trước khi xử lý tiếp",
        "The dossier is overdue: issue the apology with a new appointment before going on",
    ),
)


@dataclass(frozen=True)
class Decision:
    """An action's input once checked against the dossier: what the history entry and the event say."""

    actor: Actor
    action: Action
    role: Role
    rule: Rule
    note: str | None
    reason: str | None
    items: list[str]
    components: list[str]
    result: Attachment | None
    now: datetime
    zone: ZoneInfo
    cal: Calendar = DEFAULT  # the working days and office hours deadlines are counted in
    assignee: StaffRef | None = None  # accept, assign: the specialist who handles it
    agency: AgencyRef | None = None  # transfer, consult: the other agency
    outcome: str | None = None  # propose
    kind: str | None = None  # consult
    days: int | None = None  # consult, apologise
    signed: tuple[Attachment, ...] = ()  # approve: the signed result documents
    lines: tuple[FeeLine, ...] = ()  # request-payment: what the citizen is asked to pay
    payment: PaymentSucceededV1 | None = None  # paid: the provider's confirmation

    @property
    def by(self) -> StaffRef:
        return StaffRef(id=self.actor.id, name=self.actor.name)


def decide(
    d: Dossier,
    action: Action,
    actor: Actor,
    body: ActionInput,
    *,
    result: Attachment | None,
    now: datetime,
    zone: ZoneInfo = ZONE,
    cal: Calendar = DEFAULT,
    roles: Iterable[Role] = (),
    assignee: StaffRef | None = None,
    agency: AgencyRef | None = None,
    signed: tuple[Attachment, ...] = (),
    payment: PaymentSucceededV1 | None = None,
) -> Decision:
    """Check what the action needs (a reason, items, a file, known components, who and where) against the
    dossier and the caller's roles."""
    role, found = allowed(action, d, roles)
    misplaced = body.misplaced(action.name)
    if misplaced:
        raise unknown_fields(misplaced)
    if role == "specialist" and d.handler is not None and d.handler.id != actor.id:
        raise NOT_HANDLER
    if action.name == "approve" and d.proposal is not None and d.proposal.by.id == actor.id:
        raise OWN_PROPOSAL
    if action.moves_on and _late(d, now):
        raise APOLOGY_REQUIRED
    components: list[str] = []
    if body.names_components:
        components = _known_components(d, body.components)
    items = body.items
    if action.needs_items and not items and components:
        # Naming the components is a list of what to supplement: their names are the items.
        names = {c.id: c.name for c in d.procedure.components}
        items = [clean(names[c], 500) or c for c in components]
    reason_needed = action.needs_reason or (action.name == "propose" and body.outcome == "refuse")
    if reason_needed and not body.reason:
        raise _required("reason", "Cần nêu lý do", "A reason is required")
    if action.needs_items and not items:
        raise _required("items", "Cần liệt kê giấy tờ cần bổ sung", "List what must be supplemented")
    if action.needs_file and result is None:
        raise _required("file", "Cần đính kèm văn bản kết quả", "Attach the result document")
    if action.name == "propose" and body.outcome is None:
        raise _required("outcome", "Cần chọn kết quả đề xuất", "Choose the proposed outcome")
    if action.name in ("send-back", "consult", "answer") and not body.note:
        raise _required("note", "Cần ghi nội dung", "Write the note")
    if action.name in ("transfer", "consult"):
        if agency is None:
            raise _required("agency", "Cần chọn cơ quan", "Choose the agency")
        if agency.code == d.agency.code:
            raise SAME_AGENCY
    if action.name == "apologise" and not body.days:
        raise _required("days", "Cần nêu số ngày làm việc gia hạn", "Give the working days of the extension")
    lines = body.payment() if action.name == "request-payment" else ()
    if action.name == "start" and d.status == Status.PAYMENT_REQUESTED:
        # Paid at the counter, not online: the officer records the receipt and says so.
        if not items:
            raise _required(
                "items",
                "Cần ghi số biên lai đã nộp tại quầy",
                "Give the receipt number of the payment made at the counter",
            )
        if not body.note:
            raise _required(
                "note", "Cần ghi nội dung (Đã nộp tại quầy)", "Write the note (paid at the counter)"
            )
    if action.name == "paid":
        refused = None if payment is None else d.payment_refusal(payment)
        if payment is None or refused is not None:
            raise Problem(
                409,
                "payment-not-applicable",
                Text(
                    "Khoản thanh toán không khớp yêu cầu nộp phí", "The payment does not settle the request"
                ),
                extra={"why": refused or "no-payment"},
            )
    return Decision(
        actor,
        action,
        role,
        found,
        body.note,
        body.reason,
        items,
        components,
        result,
        now,
        zone,
        cal,
        assignee=assignee,
        agency=agency,
        outcome=body.outcome,
        kind=body.kind or ("opinion" if action.name == "consult" else None),
        days=body.days,
        signed=signed,
        lines=lines,
        payment=payment,
    )


SAME_AGENCY = Problem(
    422,
    "same-agency",
    Text("Cơ quan nhận phải khác cơ quan đang giữ hồ sơ", "Choose an agency other than the one holding it"),
)


def _late(d: Dossier, now: datetime) -> bool:
    """Whether the agency holds the dossier past its appointment (the citizen's pauses stop the clock; a
    decided dossier not yet returned is late too)."""
    holding = d.status in CLOCK_RUNS or (d.status == Status.FINISHED and d.returned_at is None)
    return holding and d.appointment_at is not None and now > d.appointment_at


def _known_components(d: Dossier, named: list[str]) -> list[str]:
    """The components an officer names in a supplement request: ids of the dossier's own (frozen)
    components, each once."""
    known = [c.id for c in d.procedure.components]
    unknown = sorted({c for c in named if c not in known})
    if unknown:
        raise Problem(
            422,
            "unknown-component",
            Text(
                "Thành phần hồ sơ không thuộc hồ sơ này: " + ", ".join(unknown),
                "Not components of this dossier: " + ", ".join(unknown),
            ),
            extra={"components": known},
        )
    return list(dict.fromkeys(named))


# -- what each action changes, besides the status, the history and the revision -------------------------
Effect = Callable[[Dossier, Decision], dict[str, object]]


def processing_time(p: Procedure) -> Duration | None:
    """The procedure's processing time in its own unit (the catalogue's ``processing_time``), else its
    ``working_days``; None when it states none."""
    t = p.processing_time
    if t is not None:
        return duration_of(t.value, t.unit)
    return duration_of(p.working_days, "working_day")


def _in_hours(d: Dossier) -> bool:
    """Whether the dossier's deadline is in working hours (a pause then moves it by office time lost)."""
    t = d.procedure.processing_time
    return t is not None and t.unit == "hour"


def _step_due(
    d: Dossier, step: str | None, x: Decision, appointment: datetime | None = None
) -> datetime | None:
    """When the step beginning now must be done: its share of the working time left to the appointment
    (``workflow.SHARE``); the desk's return by the appointment itself; after a transfer, the receiving
    desk's assignment within its reception time (never past the appointment)."""
    appointment = appointment or d.appointment_at
    if appointment is None or step is None:
        return None
    if step == RETURNING:
        return appointment
    if step == RECEPTION:
        return min(x.cal.reception(x.now), appointment)
    if step == CONSULTING and x.days:
        return min(x.cal.close_of(x.cal.add_working_days(x.cal.clock_start(x.now), x.days)), appointment)
    left = x.cal.working_time_between(x.now, appointment)
    return x.cal.add_working_time(x.now, left * SHARE.get(step, 1.0)) if left else appointment


def _accept(d: Dossier, x: Decision) -> dict[str, object]:
    due = x.cal.processing(x.now, processing_time(d.procedure))
    return {
        "accepted_at": x.now,
        "appointment_at": due.at,
        "original_appointment_at": due.at,
        "deadline_defaulted": due.defaulted,
        "accepted_by": x.actor.id,
        "accepted_by_name": x.actor.name or None,
        "supplement_count": 0,
        "handler": x.assignee,
        "step_due_at": _step_due(d, HANDLING, x, due.at),
    }


def _request_supplement(d: Dossier, x: Decision) -> dict[str, object]:
    return {
        "paused_at": x.now,
        "supplement_items": x.items,
        "supplement_components": x.components,
        "supplement_count": d.supplement_count + (0 if d.status == Status.SUBMITTED else 1),
    }


def _resumed(d: Dossier, x: Decision) -> dict[str, object]:
    """The clock stood still from ``paused_at``: the appointment (and the one the law counts, and the step's
    due time) move by the working time lost."""
    changes: dict[str, object] = {"paused_at": None}
    if d.paused_at is None:
        return changes
    for name in ("appointment_at", "original_appointment_at", "step_due_at"):
        at = getattr(d, name)
        if at is not None:
            changes[name] = x.cal.shift(at, d.paused_at, x.now, hours=_in_hours(d))
    return changes


def _request_payment(d: Dossier, x: Decision) -> dict[str, object]:
    """The citizen is asked to pay (a financial obligation) these lines: the clock stops until they have
    paid (online: ``paid``; at the counter: ``start`` with the receipt)."""
    return {
        "paused_at": x.now,
        "payment_lines": list(x.lines),
        "payment_amount": sum(line.amount for line in x.lines),
        "payment_requested_at": x.now,
        "payment_paid_at": None,
        "payment_order_id": None,
    }


def _start(d: Dossier, x: Decision) -> dict[str, object]:
    """Starting after a payment request means it was paid at the counter (the receipt is in the history):
    the clock runs again, the time lost added. A dossier nobody was assigned (filed before assignments) is
    the starting specialist's."""
    changes = _resumed(d, x) | {"payment_paid_at": x.now} if d.status == Status.PAYMENT_REQUESTED else {}
    return changes | ({"handler": x.by} if d.handler is None else {})


def _paid(d: Dossier, x: Decision) -> dict[str, object]:
    """The provider confirmed the amount asked: the clock runs again from now, the time lost added (as
    ``start`` after a payment did)."""
    assert x.payment is not None
    return _resumed(d, x) | {
        "payment_paid_at": x.now,
        "payment_order_id": x.payment.order_id,
        "paid_orders": [*d.paid_orders, x.payment.order_id],
    }


def _resubmit(d: Dossier, x: Decision) -> dict[str, object]:
    """The clock stood still while the citizen supplemented: the appointment moves by that time. Completed
    at the desk (before acceptance), the desk's own time to accept starts again."""
    if not d.supplemented:
        raise NOTHING_SUPPLEMENTED
    # The dossier goes back to the officer complete, judged on this very revision (the repository's
    # guard): a file removed meanwhile makes the change a 409, never an incomplete dossier.
    missing = d.missing
    if missing:
        raise incomplete(missing)
    cleared = {"supplement_items": [], "supplement_components": []}
    if d.at_step == RECEPTION:
        due = x.cal.reception(x.now)
        return {"paused_at": None, "reception_due_at": due, "step_due_at": due, **cleared}
    return {**_resumed(d, x), **cleared}


def _assign(d: Dossier, x: Decision) -> dict[str, object]:
    changes: dict[str, object] = {"handler": x.assignee}
    if d.at_step == RECEPTION:  # assigned by the desk of the agency it was transferred to
        changes["step_due_at"] = _step_due(d, HANDLING, x)
    return changes


def _propose(d: Dossier, x: Decision) -> dict[str, object]:
    assert x.result is not None and x.outcome in ("grant", "refuse")
    proposal = Proposal(
        outcome=x.outcome, note=x.note, reason=x.reason, by=x.by, at=x.now, files=[x.result.id]
    )
    return {
        "proposal": proposal,
        "proposed": [*d.proposed, x.result],
        "handler": d.handler or x.by,
        "step_due_at": _step_due(d, REVIEW, x),
    }


def _approve(d: Dossier, x: Decision) -> dict[str, object]:
    """The leader's approval: the result decided and signed. On time against the appointment the law
    counts (an apology's new appointment does not make a late dossier on time)."""
    legal = d.original_appointment_at or d.appointment_at
    on_time = legal is None or x.now <= legal
    return {
        "finished_at": x.now,
        "on_time": bool(on_time and d.supplement_count <= 1),
        "results": [*d.results, *x.signed],
        "approved_by": x.by,
        "approved_at": x.now,
        "step_due_at": d.appointment_at,
    }


def _send_back(d: Dossier, x: Decision) -> dict[str, object]:
    return {"proposal": None, "step_due_at": _step_due(d, HANDLING, x)}


def _consult(d: Dossier, x: Decision) -> dict[str, object]:
    assert x.agency is not None and x.note is not None
    due = _step_due(d, CONSULTING, x) or x.now
    asked = Consultation(
        id=uuid.uuid4().hex,
        kind="step" if x.kind == "step" else "opinion",
        agency=x.agency,
        question=x.note,
        asked_at=x.now,
        asked_by=x.by,
        due_at=due,
    )
    return {"consultations": [*d.consultations, asked], "step_due_at": due}


def _answer(d: Dossier, x: Decision) -> dict[str, object]:
    answered = [
        c.model_copy(update={"answered_at": x.now, "answer": x.note, "answered_by": x.by}) if c.open else c
        for c in d.consultations
    ]
    return {"consultations": answered, "step_due_at": _step_due(d, HANDLING, x)}


def _transfer(d: Dossier, x: Decision) -> dict[str, object]:
    """To another agency of the system, the code kept. Not yet accepted (received at the wrong desk): the
    receiving desk's own reception time starts now. Accepted: the appointment the citizen was given
    stands; the receiving desk assigns a specialist within its reception time."""
    assert x.agency is not None and x.reason is not None
    moved = Transfer(at=x.now, from_agency=d.agency, to_agency=x.agency, reason=x.reason, by=x.by)
    changes: dict[str, object] = {
        "agency": x.agency,
        "transfers": [*d.transfers, moved],
        "handler": None,
        "proposal": None,
    }
    if d.status == Status.SUBMITTED:
        changes["reception_due_at"] = changes["step_due_at"] = x.cal.reception(x.now)
    else:
        changes["step_due_at"] = _step_due(d, RECEPTION, x)
    return changes


def _apologise(d: Dossier, x: Decision) -> dict[str, object]:
    """The apology (form 04) and a new appointment ``days`` working days after the old one (or after today
    when that has passed). The appointment the law counts stays: the dossier stays late on record."""
    assert x.days is not None and x.reason is not None
    old = d.appointment_at
    base = max(old, x.now) if old is not None else x.now
    new = x.cal.close_of(x.cal.add_working_days(x.cal.clock_start(base), x.days))
    apology = Apology(at=x.now, reason=x.reason, old_appointment_at=old, new_appointment_at=new, by=x.by)
    changes: dict[str, object] = {
        "appointment_at": new,
        "apologies": [*d.apologies, apology],
        "original_appointment_at": d.original_appointment_at or old,
    }
    if d.step_due_at is None or d.step_due_at < x.now:
        changes["step_due_at"] = new if d.at_step == RETURNING else _step_due(d, d.at_step, x, new)
    return changes


def _closed(d: Dossier, x: Decision) -> dict[str, object]:
    return {"closed_at": x.now, "step_due_at": None}


EFFECTS: dict[str, Effect] = {
    "accept": _accept,
    "refuse": _closed,
    "request-supplement": _request_supplement,
    "request-payment": _request_payment,
    "assign": _assign,
    "start": _start,
    "paid": _paid,
    "propose": _propose,
    "approve": _approve,
    "send-back": _send_back,
    "consult": _consult,
    "answer": _answer,
    "transfer": _transfer,
    "apologise": _apologise,
    "stop": _closed,
    "return-result": lambda d, x: {"returned_at": x.now, "step_due_at": None},
    "withdraw": _closed,
    "resubmit": _resubmit,
}
assert set(EFFECTS) == set(ACTIONS)


def _receiver(d: Dossier, after: Dossier, x: Decision) -> tuple[str | None, str | None, str | None]:
    """Who receives the dossier from this action (the control slip's "nhận"): a person, or an agency."""
    name = x.action.name
    if name in ("accept", "assign", "send-back", "answer") and after.handler is not None:
        return after.handler.id, after.handler.name, None
    if name in ("transfer", "consult") and x.agency is not None:
        return None, None, x.agency.code
    return None, None, None


def _acting_agency(d: Dossier, x: Decision) -> str:
    """The agency the actor acted for: the one asked, for its answer; else the one holding the dossier."""
    asked = d.consulting(x.actor) if x.role == "consulted" else None
    return asked.agency.code if asked is not None else d.agency.code


def _ms(at: datetime | None) -> datetime | None:
    """In UTC to the millisecond, as the database keeps times: the event of the change that sets a time and
    the later ones (built from the stored dossier) then say the same instant the same way."""
    return None if at is None else at.astimezone(UTC).replace(microsecond=at.microsecond // 1000 * 1000)


def measures(d: Dossier, cal: Calendar) -> dict[str, object]:
    """What reporting judges a dossier by, carried on each of its status changes (so it needs no call
    back): when and where it was filed, the appointment the law counts and the procedure's time; once
    decided (status 9 on), when, whether on time, whether the result is a signed electronic document, and
    the working days it took."""
    out: dict[str, object] = {
        "submitted_at": _ms(d.submitted_at),
        "channel": d.channel,
        "legal_due_at": _ms(d.original_appointment_at or d.appointment_at),
        "legal_days": legal_days(d.procedure),
    }
    if d.finished_at is not None and d.status in (Status.FINISHED, Status.RETURNED):
        out |= {
            "finished_at": _ms(d.finished_at),
            "on_time": d.on_time,
            # The approval signs the proposed result with the agency's certificate (service/signing.py).
            "digital_result": bool(d.results),
            "used_days": used_days(d, cal),
        }
    return out


def act(d: Dossier, x: Decision) -> Change:
    """Apply a decided action: its effect, the rule's status and step, a history entry, the next revision,
    and the event: ``dossier.status_changed.v1`` when the status moves, else ``dossier.step_changed.v1``."""
    to, step = x.rule.to, x.rule.step
    effects = EFFECTS[x.action.name](d, x)
    after = d.model_copy(
        update={**effects, "status": to, "step": step, "updated_at": x.now, "rev": d.rev + 1}
    )
    to_id, to_name, to_agency = _receiver(d, after, x)
    entry = HistoryEntry(
        status=to.value,
        at=x.now,
        actor_role=x.role if x.role in ("citizen", "system") else "officer",
        actor_id=x.actor.id,
        actor_name=x.actor.name or None,
        action=x.action.name,
        step=step,
        agency_code=_acting_agency(d, x),
        to_id=to_id,
        to_name=to_name,
        to_agency=to_agency,
        due_at=after.step_due_at,
        outcome=x.outcome,
        note=x.note,
        reason=x.reason,
        items=x.items or None,
        components=x.components or None,
        amount=after.payment_amount if x.action.name in ("request-payment", "paid") else None,
    )
    after = after.model_copy(update={"history": [*d.history, entry]})
    names = after.event_names()
    event: DossierStatusChangedV1 | DossierStepChangedV1
    if to != d.status:
        event = DossierStatusChangedV1(
            **names,
            old_status=d.status.value,
            new_status=to.value,
            old_status_code=d.status_no,
            new_status_code=after.status_no,
            note=x.note,
            reason=x.reason,
            supplement_items=x.items,
            appointment_at=after.appointment_at,
            actor_role=entry.actor_role,
            payment_lines=list(x.lines),
            payment_amount=after.payment_amount if x.lines else None,
            action=x.action.name,
            step=step,
            changed_at=x.now,
            rev=after.rev,
            **measures(after, x.cal),
        )
    else:
        event = DossierStepChangedV1(
            **names,
            status=to.value,
            status_code=after.status_no,
            action=x.action.name,
            step=step,
            from_agency_code=d.agency.code,
            to_agency_code=to_agency,
            assignee_id=to_id,
            assignee_name=to_name if to_id else None,
            due_at=after.step_due_at,
            appointment_at=after.appointment_at,
            note=x.note,
            reason=x.reason,
            changed_at=x.now,
            rev=after.rev,
        )
    return Change(before=d, after=after, event=event)
