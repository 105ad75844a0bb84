"""What the submission service writes to the audit trail (docs/submission.md, "Audit"), through ``rt.audit``:

- staff's reads of a dossier (``dossier.viewed``), of its papers (``paper.downloaded``), of its files
  (``attachment.downloaded``) and of the agency's queue, whose rows show applicants' names and phones
  (``dossier.listed``: one entry a page, the dossiers shown and their owners in ``after``);
- every officer's, leader's or administrator's action on a dossier as a change, in the action's own
  transaction (``dossier.accepted``, ``dossier.approved``…: status, step, handler, deadline… before →
  after);
- the administrator's changes of the working-day calendar (``calendar.changed``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dvckit.audit import changes
from dvckit.auth import Principal

from ..domain.model import Actor, Dossier

# An action's name as the audit trail says it: ``dossier.<past tense>``.
PAST = {
    "accept": "accepted",
    "refuse": "refused",
    "request-supplement": "supplement_requested",
    "request-payment": "payment_requested",
    "assign": "assigned",
    "start": "started",
    "paid": "paid_at_counter",
    "propose": "proposed",
    "approve": "approved",
    "send-back": "sent_back",
    "consult": "consulted",
    "answer": "answered",
    "transfer": "transferred",
    "apologise": "apologised",
    "stop": "stopped",
    "return-result": "result_returned",
    "withdraw": "withdrawn",
    "resubmit": "resubmitted",
}

# What an officer's view of a dossier shows of the person: the applicant's fields (the submitter, the
# person it is for, an organisation's representative) and the files.
DOSSIER_FIELDS = ("applicant", "attachments", "results", "history")
# What a row of the agency's queue shows of the person.
QUEUE_FIELDS = ("applicant.full_name", "applicant.phone", "applicant.kind")


def principal(who: Actor) -> Principal:
    """The caller as the audit entry names them (the token's subject, roles and agencies)."""
    return Principal(
        sub=who.id, name=who.name, roles=tuple(sorted(who.roles)), agencies=tuple(sorted(who.agencies))
    )


def action_name(name: str) -> str:
    return "dossier." + PAST.get(name, name.replace("-", "_"))


def state(d: Dossier) -> dict[str, Any]:
    """What an action changes of a dossier, as the audit entry compares it (JSON values)."""
    doc = d.model_dump(
        mode="json",
        include={
            "status",
            "step",
            "step_due_at",
            "appointment_at",
            "paused_at",
            "finished_at",
            "returned_at",
            "closed_at",
            "on_time",
            "supplement_items",
            "supplement_components",
            "supplement_count",
            "payment_amount",
            "payment_paid_at",
        },
    )
    return doc | {
        "agency": d.agency.code,
        "handler": d.handler.id if d.handler else None,
        "proposal": d.proposal.outcome if d.proposal else None,
        "approved_by": d.approved_by.id if d.approved_by else None,
        "results": [a.id for a in d.results],
        "proposed": [a.id for a in d.proposed],
        "consultations": len(d.consultations),
        "transfers": len(d.transfers),
        "apologies": len(d.apologies),
    }


def dossier_change(before: Dossier, after: Dossier, action: str) -> dict[str, Any]:
    """The audit entry's fields for an action on a dossier (``rt.audit.add(session, who, **...)``)."""
    was, now = changes(state(before), state(after))
    return {
        "kind": "change",
        "action": action_name(action),
        "target_type": "dossier",
        "target_id": before.id,
        "subject": before.owner_id,
        "before": was,
        "after": now,
    }


def _agencies(codes: Sequence[str]) -> str:
    """The queue's agencies as a target id (at most 200 characters; all of them are in the query)."""
    joined = ",".join(codes) or "-"
    return joined if len(joined) <= 200 else f"{len(codes)} agencies"


def listed(found: Sequence[Dossier], query: dict[str, Any]) -> dict[str, Any]:
    """One entry for a page of the queue: the dossiers it showed and whose they are."""
    owners = sorted({d.owner_id for d in found})
    return {
        "action": "dossier.listed",
        "target_type": "dossier_list",
        "target_id": _agencies(query.get("agencies", [])),
        "subject": owners[0] if len(owners) == 1 else None,
        "fields": QUEUE_FIELDS,
        "after": {"query": query, "dossiers": [d.id for d in found], "subjects": owners},
    }
