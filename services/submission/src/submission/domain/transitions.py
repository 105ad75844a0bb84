"""The officer's and the citizen's actions on a filed dossier (docs/submission.md): what each checks, what
each changes, one entry of ``EFFECTS`` an action, and ``act``, which applies one and returns the
``Change`` with its ``dossier.status_changed.v1``. Pure: the time, the zone and the stored result document
come from the caller."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dvckit.contracts import DossierStatusChangedV1
from dvckit.errors import Problem, Text
from dvckit.vn import ZONE

from .actions import ActionInput, clean, unknown_fields
from .calendar import DEFAULT, Calendar, Duration, duration_of
from .model import Actor, Attachment, Change, Dossier, HistoryEntry
from .procedure import Missing, Procedure
from .status import LABEL, Status, describe
from .workflow import ACTIONS, Action

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


def allowed(action: Action, d: Dossier) -> None:
    """409 unless the action may start from the dossier's status."""
    if d.status not in action.sources:
        raise illegal(action, d.status)


@dataclass(frozen=True)
class Decision:
    """An action's input once checked against the dossier: what the history entry and the event say."""

    actor: Actor
    action: Action
    note: str | None
    reason: str | None
    items: list[str]
    components: list[str]
    result: Attachment | None
    now: datetime
    zone: ZoneInfo
    cal: Calendar = DEFAULT  # the working days and office hours deadlines are counted in


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
) -> Decision:
    """Check what the action needs (a reason, items, a file, known components) against the dossier."""
    components: list[str] = []
    if body.names_components:
        if action.name != "request-supplement":
            raise unknown_fields(["components"])
        components = _known_components(d, body.components)
    items = body.items
    if action.needs_items and not items and components:
        # Naming the components is a list of what to supplement: their names are the items.
        names = {c.id: c.name for c in d.procedure.components}
        items = [clean(names[c], 500) or c for c in components]
    if action.needs_reason and not body.reason:
        raise _required("reason", "Cần nêu lý do", "A reason is required")
    if action.needs_items and not items:
        raise _required("items", "Cần liệt kê giấy tờ cần bổ sung", "List what must be supplemented")
    if action.needs_file and result is None:
        raise _required("file", "Cần đính kèm văn bản kết quả", "Attach the result document")
    return Decision(actor, action, body.note, body.reason, items, components, result, now, zone, cal)


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


def _accept(d: Dossier, x: Decision) -> dict[str, object]:
    due = x.cal.processing(x.now, processing_time(d.procedure))
    return {
        "accepted_at": x.now,
        "appointment_at": due.at,
        "deadline_defaulted": due.defaulted,
        "accepted_by": x.actor.id,
        "accepted_by_name": x.actor.name or None,
        "supplement_count": 0,
    }


def _request_supplement(d: Dossier, x: Decision) -> dict[str, object]:
    return {
        "paused_at": x.now,
        "supplement_items": x.items,
        "supplement_components": x.components,
        "supplement_count": d.supplement_count + 1,
    }


def _resumed(d: Dossier, x: Decision) -> dict[str, object]:
    """The clock stood still from ``paused_at``: the appointment moves by the working time lost."""
    changes: dict[str, object] = {"paused_at": None}
    if d.appointment_at is not None and d.paused_at is not None:
        changes["appointment_at"] = x.cal.shift(d.appointment_at, d.paused_at, x.now, hours=_in_hours(d))
    return changes


def _request_payment(d: Dossier, x: Decision) -> dict[str, object]:
    """The citizen is asked to pay (a financial obligation): the clock stops until they have paid."""
    return {"paused_at": x.now}


def _start(d: Dossier, x: Decision) -> dict[str, object]:
    """Starting after a payment request means it was paid: the clock runs again, the time lost added."""
    return _resumed(d, x) if d.status == Status.PAYMENT_REQUESTED else {}


def _resubmit(d: Dossier, x: Decision) -> dict[str, object]:
    """The clock stood still while the citizen supplemented: the appointment moves by that time."""
    if not d.supplemented:
        raise NOTHING_SUPPLEMENTED
    # The dossier goes back to the officer complete, judged on this very revision (the repository's
    # guard): a file removed meanwhile makes the change a 409, never an incomplete dossier.
    missing = d.missing
    if missing:
        raise incomplete(missing)
    return {**_resumed(d, x), "supplement_items": [], "supplement_components": []}


def _finish(d: Dossier, x: Decision) -> dict[str, object]:
    assert x.result is not None
    on_time = d.appointment_at is None or x.now <= d.appointment_at
    return {
        "finished_at": x.now,
        "on_time": bool(on_time and d.supplement_count <= 1),
        "results": [*d.results, x.result],
    }


def _closed(d: Dossier, x: Decision) -> dict[str, object]:
    return {"closed_at": x.now}


EFFECTS: dict[str, Effect] = {
    "accept": _accept,
    "refuse": _closed,
    "start": _start,
    "request-supplement": _request_supplement,
    "request-payment": _request_payment,
    "stop": _closed,
    "finish": _finish,
    "return-result": lambda d, x: {"returned_at": x.now},
    "withdraw": _closed,
    "resubmit": _resubmit,
}


def act(d: Dossier, x: Decision) -> Change:
    """Apply a decided action: its effect, the new status, a history entry, the next revision."""
    allowed(x.action, d)
    to = x.action.to
    entry = HistoryEntry(
        status=to.value,
        at=x.now,
        actor_role=x.action.role,
        actor_id=x.actor.id,
        note=x.note,
        reason=x.reason,
        items=x.items or None,
        components=x.components or None,
    )
    after = d.model_copy(
        update={
            **EFFECTS[x.action.name](d, x),
            "status": to,
            "updated_at": x.now,
            "rev": d.rev + 1,
            "history": [*d.history, entry],
        }
    )
    event = DossierStatusChangedV1(
        **d.event_names(),
        old_status=d.status.value,
        new_status=to.value,
        old_status_code=d.status_no,
        new_status_code=after.status_no,
        note=x.note,
        reason=x.reason,
        supplement_items=x.items,
        appointment_at=after.appointment_at,
        actor_role=x.action.role,
        changed_at=x.now,
        rev=after.rev,
    )
    return Change(before=d, after=after, event=event)
