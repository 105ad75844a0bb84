"""Who may do what to a dossier, where it is (docs/submission.md, "One-stop processing"). Pure: no I/O.

The whole workflow is one table, ``RULES``: (status, step, role, action) → (next status, next step). The
status is the national one (1–10, what the citizen and the national portal see); the step is where the
dossier is inside the agency (the reception desk, a specialist, a leader, another agency) and is recorded
in the history, never as a status of its own. What an action changes besides them is its effect
(``transitions.EFFECTS``), what it needs is its ``Action``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .status import Status

S = Status

# The roles an action is taken in. The agency roles come from the caller's account (an administrator
# assigns them per agency); "consulted" is the staff of an agency asked for its opinion or step; the
# citizen is the dossier's owner (or a filer of the organisation it is filed for); "system" is the service
# itself acting on another service's event (the payment provider confirmed the payment), never a person.
Role = Literal["reception", "specialist", "leader", "consulted", "citizen", "system"]
AGENCY_ROLES: tuple[Role, ...] = ("reception", "specialist", "leader")

# Steps inside the agency.
RECEPTION = "reception"  # at the one-stop desk: to accept, refuse or complete; or to assign after a transfer
HANDLING = "handling"  # with the assigned specialist
REVIEW = "review"  # the specialist's proposal, with the leader
CONSULTING = "consulting"  # another agency's opinion or step is awaited
RETURNING = "returning"  # decided: the one-stop desk returns the result


@dataclass(frozen=True)
class Action:
    name: str
    needs_reason: bool = False  # refuse, stop, transfer, apologise: the citizen (or agency) is told why
    needs_items: bool = False  # request-supplement: what is missing
    needs_file: bool = False  # propose: the result document (multipart)
    # Whether the action moves the dossier on (an overdue dossier needs its apology first); the others
    # (withdraw, stop, reassign, transfer, answer, the apology itself) may always be taken.
    moves_on: bool = True


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept"),
        Action("refuse", needs_reason=True, moves_on=False),
        Action("request-supplement", needs_items=True),
        Action("request-payment"),
        Action("assign", moves_on=False),
        Action("start"),
        # The payment service confirmed the payment asked for (payment.succeeded.v1 of that amount).
        Action("paid", moves_on=False),
        Action("propose", needs_file=True),
        Action("approve"),
        Action("send-back"),
        Action("consult"),
        Action("answer", moves_on=False),
        Action("transfer", needs_reason=True, moves_on=False),
        Action("apologise", needs_reason=True, moves_on=False),
        Action("stop", needs_reason=True, moves_on=False),
        Action("return-result"),
        Action("withdraw", moves_on=False),
        Action("resubmit", moves_on=False),
    )
}


@dataclass(frozen=True)
class Rule:
    to: Status
    step: str | None  # None: the dossier is closed


KEEP = "="  # the rule's status or step: the one the dossier is at


def _rows() -> Iterable[
    tuple[Iterable[Status], Iterable[str | None], Iterable[Role], str, Status | str, str | None]
]:
    """(statuses, steps, roles, action, next status or KEEP, next step or KEEP or None). Each row stands for
    every combination of its statuses, steps and roles."""
    running = (S.ACCEPTED, S.PROCESSING)
    waiting = (S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED)
    inside = (RECEPTION, HANDLING, REVIEW, CONSULTING)
    desk: tuple[Role, ...] = ("reception",)
    boss: tuple[Role, ...] = ("leader",)
    handler: tuple[Role, ...] = ("specialist",)
    return (
        # The one-stop desk: a filed dossier is accepted (and assigned), refused, completed, or sent on.
        ((S.SUBMITTED,), (RECEPTION,), desk, "accept", S.ACCEPTED, HANDLING),
        ((S.SUBMITTED,), (RECEPTION,), desk, "refuse", S.REFUSED, None),
        ((S.SUBMITTED,), (RECEPTION,), desk, "request-supplement", S.SUPPLEMENT_REQUESTED, RECEPTION),
        ((S.SUBMITTED,), (RECEPTION,), desk, "transfer", KEEP, RECEPTION),
        ((S.SUPPLEMENT_REQUESTED,), (RECEPTION,), ("citizen",), "resubmit", S.SUBMITTED, RECEPTION),
        # Who handles it: assigned at acceptance, reassigned by the desk or a leader; after a transfer the
        # receiving agency assigns its own specialist.
        (running, (RECEPTION, HANDLING), (*desk, *boss), "assign", KEEP, HANDLING),
        # The specialist examines it, may ask the citizen for more or for a payment, or another agency.
        # A payment asked for is settled online (the provider's confirmation: "paid", by the system, for
        # the amount asked), or at the counter: "start" from 6 then needs the receipt number and a note.
        ((S.ACCEPTED, S.PAYMENT_REQUESTED), (HANDLING,), handler, "start", S.PROCESSING, HANDLING),
        ((S.PAYMENT_REQUESTED,), (HANDLING,), ("system",), "paid", S.PROCESSING, HANDLING),
        (running, (HANDLING,), handler, "request-supplement", S.SUPPLEMENT_REQUESTED, HANDLING),
        (running, (HANDLING,), handler, "request-payment", S.PAYMENT_REQUESTED, HANDLING),
        ((S.SUPPLEMENT_REQUESTED,), (HANDLING,), ("citizen",), "resubmit", S.PROCESSING, HANDLING),
        (running, (HANDLING,), handler, "consult", S.PROCESSING, CONSULTING),
        ((S.PROCESSING,), (CONSULTING,), ("consulted",), "answer", KEEP, HANDLING),
        (running, (HANDLING,), handler, "propose", S.PROCESSING, REVIEW),
        # The leader decides (and signs), or sends it back; the desk returns the result.
        ((S.PROCESSING,), (REVIEW,), boss, "approve", S.FINISHED, RETURNING),
        ((S.PROCESSING,), (REVIEW,), boss, "send-back", KEEP, HANDLING),
        ((S.FINISHED,), (RETURNING,), desk, "return-result", S.RETURNED, None),
        # A leader sends it to another agency, or stops it (with the stop notice): an accepted dossier
        # (one not yet accepted is refused at the desk instead).
        (running, (RECEPTION, HANDLING, REVIEW), boss, "transfer", KEEP, RECEPTION),
        (running, inside, boss, "stop", S.STOPPED, None),
        (waiting, (HANDLING,), boss, "stop", S.STOPPED, None),
        # Late: the apology and a new appointment, by the specialist or the leader (the desk too, for a
        # decided dossier not yet returned).
        (running, inside, (*handler, *boss), "apologise", KEEP, KEEP),
        (waiting, (HANDLING,), (*handler, *boss), "apologise", KEEP, KEEP),
        ((S.FINISHED,), (RETURNING,), (*desk, *boss), "apologise", KEEP, KEEP),
        # The citizen may withdraw it until it is decided.
        ((S.SUBMITTED, *running, *waiting), inside, ("citizen",), "withdraw", S.WITHDRAWN, None),
    )


def _table() -> dict[tuple[Status, str | None, Role, str], Rule]:
    table: dict[tuple[Status, str | None, Role, str], Rule] = {}
    for statuses, steps, roles, action, to, step in _rows():
        assert action in ACTIONS, action
        for status in statuses:
            for at in steps:
                for role in roles:
                    key = (status, at, role, action)
                    assert key not in table, key  # one rule a situation: the table never contradicts itself
                    table[key] = Rule(status if to == KEEP else Status(to), at if step == KEEP else step)
    return table


RULES = _table()


def rule(status: Status, step: str | None, roles: Iterable[Role], action: str) -> tuple[Role, Rule] | None:
    """The rule the first of ``roles`` that may take ``action`` here follows, with that role."""
    for role in roles:
        found = RULES.get((status, step, role, action))
        if found is not None:
            return role, found
    return None


def roles_for(action: str) -> frozenset[Role]:
    """Every role that may take the action somewhere."""
    return frozenset(role for (_, _, role, name) in RULES if name == action)


def available(status: Status, step: str | None, roles: Iterable[Role]) -> list[str]:
    """The actions open to the holder of ``roles`` where the dossier is (what the officer's screen offers)."""
    mine = set(roles)
    return [name for name in ACTIONS if any((status, step, r, name) in RULES for r in mine)]


# Statuses in which the dossier's clock runs (accepted, not paused, not over). It stands still while the
# citizen is asked for a supplement or a payment (a financial obligation).
CLOCK_RUNS = frozenset({S.ACCEPTED, S.PROCESSING})
PAUSED = frozenset({S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED})
CLOSED = frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.FINISHED, S.RETURNED})

# What share of the time left to the appointment a step gets when it begins (the rest is for the steps
# after it): the specialist most of it, the leader half of what remains, the desk the rest. An agency
# asked for its opinion gets a share unless the asking specialist names its working days.
SHARE = {HANDLING: 0.75, REVIEW: 0.5, CONSULTING: 0.3}

# Where the dossier is, as the citizen and the officer read it.
STEP_LABEL: dict[str, tuple[str, str]] = {
    RECEPTION: ("Bộ phận Một cửa", "At the one-stop desk"),
    HANDLING: ("Chuyên viên đang xử lý", "With the specialist handling it"),
    REVIEW: ("Lãnh đạo đang xem xét, phê duyệt", "With the leader, for approval"),
    CONSULTING: ("Đang lấy ý kiến, phối hợp cơ quan khác", "With another agency, for its opinion or step"),
    RETURNING: ("Đã có kết quả, chờ trả", "Decided: the result is being returned"),
}

# The actions whose notes stay inside the agencies (the citizen sees that they happened, not what the
# officers wrote each other).
INTERNAL = frozenset({"assign", "propose", "approve", "send-back", "consult", "answer"})
