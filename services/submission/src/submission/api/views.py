"""The dossier as the API shows it: the aggregate turned into the response models' shapes."""

from __future__ import annotations

from ..domain.model import Attachment, Dossier, FileFacts, HistoryEntry
from ..domain.rating import rateable
from ..domain.status import describe
from ..domain.workflow import INTERNAL, STEP_LABEL


def attachment(a: Attachment) -> dict[str, object]:
    return a.model_dump(include=set(FileFacts.model_fields))


def summary(d: Dossier) -> dict[str, object]:
    return {
        "id": d.id,
        "code": d.code,
        **describe(d.status),
        "procedure": {"code": d.procedure.code, "name": d.procedure.name},
        "agency": d.agency.model_dump(),
        "created_at": d.created_at,
        "updated_at": d.updated_at,
        "submitted_at": d.submitted_at,
        "appointment_at": d.appointment_at,
        "reception_due_at": d.reception_due_at,
        "deadline_defaulted": d.deadline_defaulted,
        "organisation_id": d.organisation_id,
        "organisation": d.organisation.model_dump() if d.organisation else None,
        **where(d),
    }


def where(d: Dossier) -> dict[str, object]:
    """Where the dossier is inside the agencies: its step, what that is, and the agency holding it."""
    step = d.at_step
    vi, en = STEP_LABEL.get(step or "", ("", ""))
    return {
        "step": step,
        "step_text": {"vi": vi, "en": en} if step else None,
        "step_due_at": d.step_due_at,
    }


def rating(d: Dossier, *, owner: bool = True) -> dict[str, object]:
    """The rating as the owner sees it, and whether they may rate now (``owner``: else the rating alone,
    for an officer allowed to see it)."""
    given = d.rating.model_dump() if d.rating else None
    return {"rating": given, "rateable": rateable(d)} if owner else {"rating": given}


def mine(d: Dossier) -> dict[str, object]:
    """An item of the owner's list ("Hồ sơ của tôi"): the summary, the rating and whether to ask for it."""
    return summary(d) | rating(d)


def _public(h: HistoryEntry) -> dict[str, object]:
    """A history entry as the citizen reads it: the officers' notes to each other left out."""
    out = h.model_dump() | {"actor_id": None, "to_id": None}
    if h.action in INTERNAL:
        for k in ("note", "reason", "to_name", "outcome"):
            out[k] = None
    return out


def view(d: Dossier, *, actions: list[str] | None = None, sees_rating: bool = False) -> dict[str, object]:
    """The whole dossier, as its owner sees it (with its rating, and whether they may rate it); with
    ``actions`` (what the caller may do now), as an officer of its agency (or of an agency asked about it)
    sees it, the workflow's inner notes and the proposed documents included, and the owner's rating only
    when ``sees_rating`` (a leader of its agency, an administrator)."""
    officer = actions is not None
    out = {
        **summary(d),
        "procedure": d.procedure.as_json(),
        "applicant": d.applicant.model_dump(mode="json") if d.applicant else None,
        "applicant_kinds": d.applicant_kinds,
        "cases": d.cases,
        "case": d.case,
        "prefill": d.prefill.model_dump() if d.prefill and d.applicant is None else None,
        "attachments": [attachment(a) for a in d.attachments],
        "results": [attachment(a) for a in d.results],
        "total_bytes": d.total_bytes,
        "fees": d.fees.model_dump(),
        "fee_due_at_filing": d.fee_due_at_filing,
        "pay_at_counter_allowed": d.pay_at_counter_allowed,
        "fee_paid_at": d.fee_paid_at,
        "fee_order_id": d.fee_order_id,
        "payment_lines": [line.model_dump() for line in d.payment_lines],
        "payment_amount": d.payment_amount,
        "payment_requested_at": d.payment_requested_at,
        "payment_paid_at": d.payment_paid_at,
        "payment_order_id": d.payment_order_id,
        "history": [h.model_dump() if officer else _public(h) for h in d.history],
        "accepted_at": d.accepted_at,
        "supplement_items": d.supplement_items,
        "supplement_components": d.supplement_components,
        "superseded": [attachment(a) | {"superseded_at": a.superseded_at} for a in d.superseded],
        "supplement_count": d.supplement_count,
        "finished_at": d.finished_at,
        "on_time": d.on_time,
        "receipt_available": d.accepted_at is not None,
        "original_appointment_at": d.original_appointment_at,
        "apologies": [a.model_dump() for a in d.apologies],
        "transfers": [t.model_dump() for t in d.transfers],
        "rev": d.rev,
    }
    if not officer:
        out |= rating(d)
    elif sees_rating:
        out |= rating(d, owner=False)
    if officer:
        out |= {
            "actions": actions,
            "handler": d.handler.model_dump() if d.handler else None,
            "proposal": d.proposal.model_dump() if d.proposal else None,
            "proposed": [attachment(a) for a in d.proposed],
            "approved_by": d.approved_by.model_dump() if d.approved_by else None,
            "approved_at": d.approved_at,
            "consultations": [c.model_dump() for c in d.consultations],
        }
    if d.status == "draft":
        out["missing"] = [m.model_dump() for m in d.missing]
    return out


def receipt(d: Dossier) -> dict[str, object]:
    """What step 4 answers: the dossier code and what happens next."""
    agency = d.agency.name
    return {
        **summary(d),
        "fee_total": d.fee_total,
        "attachments": len(d.attachments),
        "next": {
            "vi": f"Hồ sơ đã được gửi đến {agency}. Cán bộ một cửa sẽ kiểm tra và tiếp nhận; "
            "bạn sẽ nhận thông báo ở mỗi bước xử lý.",
            "en": f"The dossier was sent to {agency}. A one-stop officer will check and "
            "accept it; you will be notified at each step.",
        },
    }


def track(d: Dossier) -> dict[str, object]:
    return {
        "code": d.code,
        "procedure_name": d.procedure.name,
        "agency_name": d.agency.name,
        **describe(d.status),
        # The public sees where it is, not the step's inner due time.
        **{k: v for k, v in where(d).items() if k != "step_due_at"},
        "submitted_at": d.submitted_at,
        "appointment_at": d.appointment_at,
    }


def page(items: list[dict[str, object]], total: int, number: int, size: int) -> dict[str, object]:
    return {"items": items, "total": total, "page": number, "size": size}


def queue_item(d: Dossier, deadline: dict[str, object]) -> dict[str, object]:
    party = d.applicant.party if d.applicant else None  # whom it is for: the owner, or the submitter
    return {
        **summary(d),
        "applicant_name": party.full_name if party else None,
        "applicant_kind": party.kind if party else None,
        "applicant_phone": party.phone if party else None,
        "handler": d.handler.model_dump() if d.handler else None,
        "payment_amount": d.payment_amount,
        "fee_due_at_filing": d.fee_due_at_filing,
        "fee_paid_at": d.fee_paid_at,
        "deadline": deadline,
    }
