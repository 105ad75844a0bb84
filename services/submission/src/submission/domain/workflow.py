"""Who may move a dossier from which status to which (docs/architecture.md §7). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from .status import Status

S = Status


@dataclass(frozen=True)
class Action:
    name: str
    to: Status
    sources: frozenset[Status]
    role: str  # "officer" or "citizen"
    needs_reason: bool = False  # refuse, stop: the citizen is told why
    needs_items: bool = False  # request-supplement: what is missing
    needs_file: bool = False  # finish: the result document


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action("accept", S.ACCEPTED, frozenset({S.SUBMITTED}), "officer"),
        Action("refuse", S.REFUSED, frozenset({S.SUBMITTED}), "officer", needs_reason=True),
        Action("start", S.PROCESSING, frozenset({S.ACCEPTED, S.PAYMENT_REQUESTED}), "officer"),
        Action(
            "request-supplement",
            S.SUPPLEMENT_REQUESTED,
            frozenset({S.ACCEPTED, S.PROCESSING}),
            "officer",
            needs_items=True,
        ),
        Action("request-payment", S.PAYMENT_REQUESTED, frozenset({S.ACCEPTED, S.PROCESSING}), "officer"),
        Action(
            "stop",
            S.STOPPED,
            frozenset({S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}),
            "officer",
            needs_reason=True,
        ),
        Action("finish", S.FINISHED, frozenset({S.PROCESSING}), "officer", needs_file=True),
        Action("return-result", S.RETURNED, frozenset({S.FINISHED}), "officer"),
        Action(
            "withdraw",
            S.WITHDRAWN,
            frozenset({S.SUBMITTED, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}),
            "citizen",
        ),
        Action("resubmit", S.PROCESSING, frozenset({S.SUPPLEMENT_REQUESTED}), "citizen"),
    )
}

# Statuses in which the dossier's clock runs (accepted, not paused, not over). It stands still while the
# citizen is asked for a supplement or a payment (a financial obligation).
CLOCK_RUNS = frozenset({S.ACCEPTED, S.PROCESSING})
PAUSED = frozenset({S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED})
CLOSED = frozenset({S.REFUSED, S.WITHDRAWN, S.STOPPED, S.FINISHED, S.RETURNED})
