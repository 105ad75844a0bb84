"""The Dossier aggregate's transitions: each action from each status allowed or refused, what each one
changes, the event it returns, the revision it is guarded by; and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dvckit.contracts import (
    DossierStatusChangedV1,
    DossierStepChangedV1,
    DossierSubmittedV1,
    FeeLine,
    PaymentSucceededV1,
    ProcedureDuration,
)
from dvckit.errors import Problem
from submission.domain.actions import ActionInput
from submission.domain.calendar import VN
from submission.domain.model import Actor, AgencyRef, Attachment, Dossier, HistoryEntry, StaffRef
from submission.domain.status import NUMBER, Status
from submission.domain.transitions import EFFECTS, act, action_named, decide
from submission.domain.workflow import ACTIONS, CONSULTING, RECEPTION, REVIEW, RULES, roles_for
from submission.service.payments import PAYMENT_SYSTEM

S = Status
OWNER = Actor(id="citizen-1", roles=frozenset({"citizen"}))
STAFF = frozenset({"officer", "reception", "specialist", "leader"})
OFFICER = Actor(id="officer-1", name="Trần Văn Tiếp", roles=STAFF, agencies=frozenset({"A"}))
SPECIALIST = StaffRef(id="sp-1", name="Lê Văn Chuyên")
OTHER_AGENCY = AgencyRef(code="B", name="Ủy ban nhân dân phường B")
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Hải Phòng
NOW = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def att(aid: str, component: str = "c1", at: datetime = T0) -> Attachment:
    return Attachment(
        id=aid,
        key=f"dossiers/d/{aid}",
        component_id=component,
        name=f"{aid}.pdf",
        size=100,
        sha256="0" * 64,
        content_type="application/pdf",
        uploaded_at=at,
    )


def dossier(status: Status = S.SUBMITTED, **over: object) -> Dossier:
    base: dict[str, object] = {
        "_id": "d",
        "owner_id": OWNER.id,
        "status": status,
        "code": "A-261201-0001",
        "procedure": {
            "code": "1.004194",
            "version": 2,
            "name": "Đăng ký tạm trú",
            "working_days": 3,
            "components": [{"id": "c1", "name": "Tờ khai"}, {"id": "c2", "name": "Ảnh", "required": False}],
            "fees": [{"name": "Lệ phí", "amount": 7000}],
        },
        "agency": {"code": "A", "name": "Công an phường"},
        "applicant": {
            "submitter": {
                "full_name": "Đặng Thị Mai",
                "citizen_id": "031200000001",
                "date_of_birth": "1990-05-17",
                "phone": "0912345678",
                "address": "Số 5 Lạch Tray, Hải Phòng",
            }
        },
        "attachments": [att("f1")],
        "created_at": T0,
        "updated_at": T0,
        "rev": 4,
    }
    return Dossier.model_validate(base | over)


# What each action needs besides the dossier, so that it can be decided at all.
NEEDS: dict[str, dict[str, object]] = {
    "refuse": {"reason": "Sai thẩm quyền"},
    "stop": {"reason": "Hết hạn"},
    "request-supplement": {"items": ["Ảnh"]},
    "transfer": {"reason": "Sai thẩm quyền"},
    "consult": {"note": "Xin ý kiến về hiện trạng"},
    "answer": {"note": "Đồng ý"},
    "send-back": {"note": "Xem lại căn cứ"},
    "apologise": {"reason": "Chờ ý kiến cơ quan khác", "days": 3},
    "propose": {"outcome": "grant"},
    "request-payment": {"lines": [{"name": "Lệ phí cấp giấy", "amount": 50000}]},
    # Paid at the counter (from a payment request): the receipt and the note.
    "start": {"note": "Đã nộp tại quầy", "items": ["BL 0001234"]},
}
ASKED = 50000  # what a dossier waiting for a payment was asked


def succeeded(amount: int = ASKED, order: str = "o" * 32, **over: object) -> PaymentSucceededV1:
    """The payment service's confirmation of an order of dossier "d"."""
    fields: dict[str, object] = {
        "order_id": order,
        "dossier_id": "d",
        "dossier_code": "A-261201-0001",
        "owner_id": OWNER.id,
        "purpose": "requested",
        "amount": amount,
        "provider": "vnpay",
        "provider_txn": "14700001",
        "paid_at": NOW,
        "receipt_no": "BL-2026-000001",
    }
    return PaymentSucceededV1.model_validate(fields | over)


AGENCY_ROLES = ["reception", "specialist", "leader", "consulted"]


NO_FILE = att("none", "none")  # run()'s way of saying: propose without a file


def citizens(name: str) -> bool:
    return roles_for(name) == {"citizen"}


def system(name: str) -> bool:
    return roles_for(name) == {"system"}


def roles_of(name: str) -> list[str]:
    return ["citizen"] if citizens(name) else ["system"] if system(name) else AGENCY_ROLES


def run(
    d: Dossier,
    name: str,
    body: dict[str, object] | None = None,
    *,
    result: Attachment | None = None,
    who: Actor | None = None,
    roles: list[str] | None = None,
    payment: PaymentSucceededV1 | None = None,
):
    """Decide and apply the action as the dossier's owner (a citizen's action), as the system (a payment
    confirmed) or as an officer holding every agency role, with what the service would have resolved
    (the specialist, the other agency, the payment)."""
    action = action_named(name)
    mine = citizens(name)
    who = who or (OWNER if mine else PAYMENT_SYSTEM if system(name) else OFFICER)
    fields = ActionInput.of(body if body is not None else NEEDS.get(name, {}))
    if name == "propose" and result is None:
        result = att("result", "result")
    elif result is NO_FILE:
        result = None
    return act(
        d,
        decide(
            d,
            action,
            who,
            fields,
            result=result,
            now=NOW,
            roles=roles or roles_of(name),
            assignee=SPECIALIST if name in ("accept", "assign") else None,
            agency=OTHER_AGENCY if name in ("transfer", "consult") else None,
            payment=payment or (succeeded() if name == "paid" else None),
        ),
    )


PROPOSAL = {"outcome": "grant", "by": {"id": "sp-1", "name": "Lê Văn Chuyên"}, "at": T0, "files": []}
OPEN_QUESTION = {
    "id": "q1",
    "kind": "opinion",
    "agency": {"code": "B", "name": "Ủy ban nhân dân phường B"},
    "question": "?",
    "asked_at": T0,
    "asked_by": {"id": "sp-1"},
    "due_at": NOW + timedelta(days=2),
}


def ready(status: Status, step: str | None = None) -> Dossier:
    """A dossier in ``status`` (and ``step``; else where its status puts it) with what each action from
    there needs (a supplement uploaded, a proposal to review, a question asked)."""
    extra: dict[str, object] = {"step": step}
    if status == S.SUPPLEMENT_REQUESTED:
        extra |= {"paused_at": T0 - timedelta(days=1), "supplement_count": 1}
    if status == S.PAYMENT_REQUESTED:
        extra |= {
            "paused_at": T0,
            "payment_amount": ASKED,
            "payment_lines": [{"name": "Lệ phí", "amount": ASKED}],
            "payment_requested_at": T0,
        }
    if step == REVIEW:
        extra["proposal"] = PROPOSAL
    if step == CONSULTING:
        extra["consultations"] = [OPEN_QUESTION]
    return dossier(status, **extra)


# Every status where its status puts it, and the steps a status may also be at.
PLACES = [(s, None) for s in Status] + [
    (S.PROCESSING, REVIEW),
    (S.PROCESSING, CONSULTING),
    (S.SUPPLEMENT_REQUESTED, RECEPTION),
]


@pytest.mark.parametrize(("status", "step"), PLACES)
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_from_each_place_is_allowed_or_refused(status, step, name):
    d = ready(status, step)
    roles = roles_of(name)
    rule = next(
        (RULES[(status, d.at_step, r, name)] for r in roles if (status, d.at_step, r, name) in RULES), None
    )
    if rule is None:
        with pytest.raises(Problem) as e:
            run(d, name)
        assert e.value.status == 409 and e.value.code == "invalid-transition"
        assert e.value.extra["current"]["status"] == status.value
        return
    change = run(d, name)
    to = rule.to
    assert change.before is d and d.status == status and d.rev == 4  # the dossier itself is untouched
    assert change.after.status == to and change.after.rev == 5 and change.after.updated_at == NOW
    assert change.after.step == rule.step
    entry = change.after.history[-1]
    role = "citizen" if citizens(name) else "system" if system(name) else "officer"
    assert (entry.status, entry.at, entry.actor_role, entry.action) == (to.value, NOW, role, name)
    e = change.event
    assert (e.rev, e.dossier_id, e.code, e.owner_id) == (5, "d", "A-261201-0001", OWNER.id)
    assert e.appointment_at == change.after.appointment_at and e.changed_at == NOW
    if to == status:  # a move inside the agency: its own event
        assert isinstance(e, DossierStepChangedV1) and (e.action, e.step) == (name, rule.step)
        return
    assert isinstance(e, DossierStatusChangedV1) and e.actor_role == role
    assert (e.old_status, e.new_status, e.old_status_code, e.new_status_code) == (
        status.value,
        to.value,
        NUMBER[status],
        NUMBER[to],
    )


def test_every_action_has_one_effect():
    assert sorted(EFFECTS) == sorted(ACTIONS)


def test_unknown_action_is_404():
    with pytest.raises(Problem) as e:
        action_named("finish")
    assert e.value.status == 404 and e.value.code == "unknown-action"


def test_accept_sets_the_appointment_in_working_days_and_who_accepted():
    after = run(dossier(), "accept").after
    assert (
        after.accepted_at == NOW
        and after.accepted_by == OFFICER.id
        and after.accepted_by_name == "Trần Văn Tiếp"
    )
    # Thursday 10:00 + 3 working days: the end of Tuesday 8 December.
    assert after.appointment_at == datetime(2026, 12, 8, 17, 0, tzinfo=VN)
    assert after.supplement_count == 0 and after.receipt_ready


def test_accept_without_a_processing_time_gets_the_default_and_is_flagged():
    d = dossier()
    d = d.model_copy(update={"procedure": d.procedure.model_copy(update={"working_days": None})})
    after = run(d, "accept").after
    # Thursday 10:00 + the default 10 working days: the end of Thursday 17 December.
    assert after.appointment_at == datetime(2026, 12, 17, 17, 0, tzinfo=VN) and after.deadline_defaulted
    assert not run(dossier(), "accept").after.deadline_defaulted


def test_accept_counts_the_procedures_time_in_its_own_unit():
    d = dossier()
    hours = ProcedureDuration(value=4, unit="hour", text="4 Giờ")
    d = d.model_copy(update={"procedure": d.procedure.model_copy(update={"processing_time": hours})})
    # Thursday 10:00 + 4 working hours: 1.5 before lunch, 2.5 after.
    assert run(d, "accept").after.appointment_at == datetime(2026, 12, 3, 16, 0, tzinfo=VN)


def test_submit_records_the_reception_due_time_it_is_given():
    d = dossier(S.DRAFT, code=None)
    due = datetime(2026, 12, 4, 10, tzinfo=VN)
    assert d.submit(OWNER, "A-261203-0001", NOW, due).after.reception_due_at == due


@pytest.mark.parametrize(
    ("name", "field"), [("refuse", "reason"), ("stop", "reason"), ("request-supplement", "items")]
)
def test_what_an_action_needs_is_required(name, field):
    d = ready(S.SUBMITTED if name == "refuse" else S.PROCESSING)
    with pytest.raises(Problem) as e:
        run(d, name, {})
    assert e.value.status == 422 and e.value.code == f"{field}-required"


def test_propose_needs_the_result_document_and_the_leader_approves_it_on_time():
    d = dossier(S.PROCESSING, appointment_at=NOW + timedelta(days=1), supplement_count=1)
    with pytest.raises(Problem) as e:
        run(d, "propose", result=NO_FILE)
    assert e.value.code == "file-required"
    proposed = run(d, "propose").after
    assert (
        proposed.step == REVIEW and proposed.results == [] and [r.id for r in proposed.proposed] == ["result"]
    )
    assert proposed.proposal.by.id == OFFICER.id and proposed.proposal.files == ["result"]
    approved = run(
        proposed, "approve", who=Actor(id="leader-2", name="Lãnh Đạo", roles=STAFF, agencies=frozenset({"A"}))
    ).after
    assert approved.finished_at == NOW and approved.on_time is True and approved.approved_by.id == "leader-2"


def test_a_leader_never_approves_their_own_proposal():
    proposed = run(dossier(S.PROCESSING), "propose").after
    with pytest.raises(Problem) as e:
        run(proposed, "approve")
    assert (e.value.status, e.value.code) == (403, "own-proposal")


def test_a_specialist_acts_only_on_the_dossiers_assigned_to_them():
    d = dossier(S.PROCESSING, handler={"id": "sp-1", "name": "Lê Văn Chuyên"})
    with pytest.raises(Problem) as e:
        run(d, "propose", roles=["specialist"])
    assert (e.value.status, e.value.code) == (403, "not-assigned")
    with pytest.raises(Problem) as e:
        run(d, "approve", roles=["specialist"])
    assert e.value.status == 409  # nothing to approve before a proposal


def test_a_role_that_may_not_act_at_this_step_is_403_naming_the_roles_that_may():
    with pytest.raises(Problem) as e:
        run(dossier(S.SUBMITTED), "accept", roles=["specialist", "leader"])
    assert (e.value.status, e.value.code, e.value.extra["roles"]) == (403, "role-required", ["reception"])


@pytest.mark.parametrize(
    ("appointment", "supplements", "on_time"),
    [(NOW + timedelta(seconds=1), 0, True), (NOW, 0, True), (None, 0, True), (NOW, 2, False)],
)
def test_on_time_means_by_the_appointment_with_at_most_one_supplement(appointment, supplements, on_time):
    d = ready(S.PROCESSING, REVIEW).model_copy(
        update={"appointment_at": appointment, "supplement_count": supplements}
    )
    assert run(d, "approve").after.on_time is on_time


def test_an_overdue_dossier_goes_on_only_after_its_apology_and_stays_late_on_record():
    late = dossier(S.PROCESSING, appointment_at=NOW - timedelta(hours=1))
    with pytest.raises(Problem) as e:
        run(late, "propose")
    assert (e.value.status, e.value.code) == (409, "apology-required")
    apologised = run(late, "apologise").after
    a = apologised.apologies[-1]
    assert a.old_appointment_at == late.appointment_at and a.new_appointment_at > NOW
    assert apologised.appointment_at == a.new_appointment_at
    assert apologised.original_appointment_at == late.appointment_at  # the law's due time is kept
    reviewed = run(apologised, "propose").after
    approved = run(reviewed, "approve", who=Actor(id="l", roles=STAFF, agencies=frozenset({"A"}))).after
    assert approved.on_time is False


def test_a_transfer_keeps_the_code_and_the_status_and_the_receiving_desk_assigns():
    d = dossier(S.PROCESSING, handler={"id": "sp-1"}, appointment_at=NOW + timedelta(days=5))
    change = run(d, "transfer")
    after = change.after
    assert (after.code, after.status, after.step, after.handler) == (d.code, S.PROCESSING, RECEPTION, None)
    assert after.agency.code == "B" and after.transfers[-1].from_agency.code == "A"
    assert after.appointment_at == d.appointment_at and after.step_due_at <= d.appointment_at
    assert isinstance(change.event, DossierStepChangedV1)
    assert (change.event.from_agency_code, change.event.agency_code) == ("A", "B")
    # Before acceptance, the receiving desk's reception time starts again.
    received = run(dossier(S.SUBMITTED, reception_due_at=T0), "transfer").after
    assert received.reception_due_at > NOW and received.step == RECEPTION


def test_another_agency_answers_in_its_share_of_the_time():
    d = dossier(S.PROCESSING, appointment_at=datetime(2026, 12, 17, 17, tzinfo=VN))
    asked = run(d, "consult", {"note": "Xin ý kiến", "kind": "step"}).after
    c = asked.consultations[-1]
    assert (c.kind, c.agency.code, c.question, c.open) == ("step", "B", "Xin ý kiến", True)
    assert NOW < c.due_at < d.appointment_at and asked.step == CONSULTING
    consulted = Actor(id="b-1", roles=STAFF, agencies=frozenset({"B"}))
    assert asked.in_queue_of(consulted) and asked.consulting(consulted) is not None
    answered = run(asked, "answer", {"note": "Thống nhất"}, who=consulted, roles=["consulted"]).after
    assert answered.consultations[-1].answer == "Thống nhất" and not answered.consultations[-1].open
    assert answered.step == "handling" and not answered.in_queue_of(consulted)


def test_a_supplement_request_pauses_the_clock_and_names_components():
    after = run(
        dossier(S.PROCESSING, supplement_count=1), "request-supplement", {"components": ["c2", "c2"]}
    ).after
    assert after.paused_at == NOW and after.supplement_count == 2
    assert after.supplement_components == ["c2"] and after.supplement_items == ["Ảnh"]  # the component's name
    assert after.history[-1].components == ["c2"]


def test_unknown_components_and_components_elsewhere_are_refused():
    with pytest.raises(Problem) as e:
        run(dossier(S.PROCESSING), "request-supplement", {"components": ["zz"]})
    assert e.value.code == "unknown-component" and e.value.extra["components"] == ["c1", "c2"]
    with pytest.raises(Problem) as e:
        run(dossier(S.ACCEPTED), "start", {"components": []})
    assert e.value.code == "validation-error"


def test_resubmit_needs_a_new_file_and_a_complete_dossier_and_moves_the_appointment():
    paused = T0 + timedelta(hours=1)
    d = dossier(
        S.SUPPLEMENT_REQUESTED, paused_at=paused, appointment_at=datetime(2026, 12, 4, 10, tzinfo=UTC)
    )
    with pytest.raises(Problem) as e:
        run(d, "resubmit")
    assert e.value.code == "nothing-supplemented"
    d = d.model_copy(update={"attachments": [att("f2", "c2", at=paused)]})  # c1's file gone
    with pytest.raises(Problem) as e:
        run(d, "resubmit")
    assert e.value.code == "dossier-incomplete" and e.value.extra["missing"][0]["item"] == "component:c1"
    d = d.model_copy(update={"attachments": [att("f1"), att("f2", "c2", at=paused)]})
    after = run(d, "resubmit").after
    assert after.paused_at is None and after.supplement_items == [] and after.supplement_components == []
    # Paused Tuesday 1 to Thursday 3 December: two working days lost, Friday 4 becomes Tuesday 8.
    assert after.appointment_at == datetime(2026, 12, 8, 17, 0, tzinfo=VN)


@pytest.mark.parametrize(
    ("name", "field"), [("refuse", "closed_at"), ("stop", "closed_at"), ("withdraw", "closed_at")]
)
def test_closing_actions_record_when(name, field):
    d = ready(S.SUBMITTED if name == "refuse" else S.PROCESSING)
    assert getattr(run(d, name).after, field) == NOW


def test_return_result_records_when():
    assert run(dossier(S.FINISHED), "return-result").after.returned_at == NOW


def test_submit_gives_status_1_its_code_and_the_submitted_event():
    d = dossier(S.DRAFT, code=None)
    change = d.submit(OWNER, "A-261203-0007", NOW)
    after = change.after
    assert after.status == S.SUBMITTED and after.code == "A-261203-0007" and after.rev == 5
    assert after.submitted_at == NOW and after.fee_total == 7000
    assert after.history[-1] == HistoryEntry(
        status="submitted", at=NOW, actor_role="citizen", actor_id=OWNER.id
    )
    assert after.step == RECEPTION
    assert isinstance(change.event, DossierSubmittedV1)
    assert (change.event.code, change.event.procedure_version, change.event.fee_total) == (
        "A-261203-0007",
        2,
        7000,
    )


def test_who_sees_what():
    d = dossier()
    assert d.owned_by(OWNER) and not d.owned_by(OFFICER)
    assert d.in_queue_of(OFFICER) and not dossier(S.DRAFT).in_queue_of(OFFICER)
    assert not d.in_queue_of(Actor(id="x", agencies=frozenset({"B"})))
    assert d.filed_by(OWNER) and not d.filed_by(OFFICER)
    resubmitted = d.model_copy(
        update={
            "history": [HistoryEntry(status="processing", at=NOW, actor_role="citizen", actor_id="officer-1")]
        }
    )
    assert resubmitted.filed_by(OFFICER)


@pytest.mark.parametrize("status", list(Status))
def test_the_owner_sees_results_once_finished_officers_always(status):
    d = dossier(status)
    assert d.results_visible_to(OWNER) is (status in (S.FINISHED, S.RETURNED))
    assert d.results_visible_to(OFFICER)


def test_the_receipt_exists_once_accepted_and_never_when_refused():
    assert not dossier().receipt_ready
    assert dossier(S.PROCESSING, accepted_at=NOW).receipt_ready
    assert not dossier(S.REFUSED, accepted_at=NOW).receipt_ready


def test_removing_a_file_during_a_supplement():
    paused = T0 + timedelta(hours=1)
    d = dossier(S.SUPPLEMENT_REQUESTED, paused_at=paused, supplement_components=["c2"])
    assert d.removal(att("new", at=paused)) == "file_removed"
    assert d.removal(att("old", "c2")) == "file_superseded"
    with pytest.raises(ValueError):
        d.removal(att("old", "c1"))
    assert dossier(S.DRAFT).removal(att("f1")) is None


def test_the_document_is_the_stored_shape():
    doc = dossier().document()
    assert doc["_id"] == "d" and doc["status"] == "submitted" and doc["status_no"] == 1
    assert doc["applicant"]["submitter"]["date_of_birth"] == "1990-05-17"
    assert "uploading" not in doc
    assert Dossier.model_validate(doc) == dossier()


# -- an action's input -------------------------------------------------------------------------------------


def test_texts_are_collapsed_and_empty_is_none():
    body = ActionInput.of(b'{"note": "  a \\n  b ", "reason": "   ", "items": "x\\n\\n  y  \\n"}')
    assert (body.note, body.reason, body.items) == ("a b", None, ["x", "y"])
    assert ActionInput.of(b"").items == [] and not ActionInput.of(b"{}").names_components


@pytest.mark.parametrize(
    ("raw", "code", "title"),
    [
        (b"{", "validation-error", "Nội dung JSON không hợp lệ"),
        (b"[]", "validation-error", "Dữ liệu không hợp lệ"),
        (b'{"note": 5}', "validation-error", "Dữ liệu không hợp lệ"),
        (b'{"who": 1, "zz": 2}', "validation-error", "Trường không được phép: who, zz"),
        (b'{"items": [1]}', "validation-error", "Dữ liệu không hợp lệ"),
        (b'{"components": null}', "validation-error", "Dữ liệu không hợp lệ"),
        (b'{"note": "' + b"x" * 2001 + b'"}', "too-long", "Nội dung quá dài"),
        (b'{"items": ["' + b"x" * 501 + b'"]}', "too-long", "Nội dung quá dài"),
    ],
)
def test_bad_input_is_refused_with_its_code(raw, code, title):
    with pytest.raises(Problem) as e:
        ActionInput.of(raw)
    assert (e.value.status, e.value.code, e.value.title.vi) == (422, code, title)


def test_limits_count_after_collapsing_and_fifty_items_at_most():
    assert ActionInput.of({"note": "x" * 2000 + " " * 50}).note == "x" * 2000
    assert len(ActionInput.of({"items": ["i"] * 50}).items) == 50
    with pytest.raises(Problem):
        ActionInput.of({"items": ["i"] * 51})


# -- the problems' words: what an officer or citizen reads --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "body", "field", "vi", "en"),
    [
        ("refuse", {}, "reason", "Cần nêu lý do", "A reason is required"),
        ("stop", {"reason": "  "}, "reason", "Cần nêu lý do", "A reason is required"),
        (
            "request-supplement",
            {},
            "items",
            "Cần liệt kê giấy tờ cần bổ sung",
            "List what must be supplemented",
        ),
    ],
)
def test_a_missing_field_is_named_with_its_message(name, body, field, vi, en):
    with pytest.raises(Problem) as e:
        run(ready(S.SUBMITTED if name == "refuse" else S.PROCESSING), name, body)
    p = e.value
    assert (p.status, p.code, p.title.vi, p.title.en) == (422, f"{field}-required", vi, en)
    assert p.extra == {"errors": [{"field": field, "message": vi}]}


def test_the_missing_result_document_is_named_with_its_message():
    d = dossier(S.PROCESSING)
    with pytest.raises(Problem) as e:
        run(d, "propose", result=NO_FILE)
    assert (e.value.title.vi, e.value.title.en) == (
        "Cần đính kèm văn bản kết quả",
        "Attach the result document",
    )
    assert e.value.extra == {"errors": [{"field": "file", "message": "Cần đính kèm văn bản kết quả"}]}


def test_an_action_refused_in_a_status_says_which_in_both_languages():
    with pytest.raises(Problem) as e:
        run(dossier(S.RETURNED), "accept")
    p = e.value
    assert (p.status, p.code) == (409, "invalid-transition")
    assert p.title.vi.startswith("Không thể thực hiện 'accept' khi hồ sơ đang ở trạng thái: ")
    assert p.title.en.startswith("'accept' is not allowed while the dossier is: ")


def test_an_unknown_action_is_named_in_both_languages():
    with pytest.raises(Problem) as e:
        action_named("approve-everything")
    assert (e.value.status, e.value.title.vi, e.value.title.en) == (
        404,
        "Thao tác không tồn tại",
        "No such action",
    )


def test_components_a_supplement_names_must_be_the_dossiers_own():
    with pytest.raises(Problem) as e:
        run(dossier(S.PROCESSING), "request-supplement", {"components": ["zz", "c1", "aa"]})
    p = e.value
    assert (p.status, p.code) == (422, "unknown-component")
    assert p.title.vi == "Thành phần hồ sơ không thuộc hồ sơ này: aa, zz"
    assert p.title.en == "Not components of this dossier: aa, zz"
    assert p.extra == {"components": ["c1", "c2"]}
    # Named ones become the list of what to supplement, by their names, each once.
    after = run(dossier(S.PROCESSING), "request-supplement", {"components": ["c2", "c2"]}).after
    assert after.status == S.SUPPLEMENT_REQUESTED


def test_components_belong_to_a_supplement_request_only():
    with pytest.raises(Problem) as e:
        run(dossier(S.SUBMITTED), "accept", {"components": ["c1"]})
    assert (e.value.title.vi, e.value.title.en) == (
        "Trường không được phép: components",
        "Unexpected fields: components",
    )


# -- what the dossier says of itself -------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status))
def test_files_change_only_in_a_draft_or_during_a_supplement(status):
    assert dossier(status).editable is (status in (S.DRAFT, S.SUPPLEMENT_REQUESTED))


def test_a_new_record_starts_empty_at_revision_one():
    d = Dossier.model_validate(
        {
            "_id": "n",
            "owner_id": OWNER.id,
            "status": "draft",
            "procedure": {"code": "1.004194", "version": 1, "name": "Đăng ký tạm trú"},
            "agency": {"code": "A", "name": "Công an phường"},
            "created_at": T0,
            "updated_at": T0,
        }
    )
    assert (d.rev, d.total_bytes, d.fee_total, d.supplement_count) == (1, 0, 0, 0)
    assert d.attachments == [] and d.history == [] and d.results == [] and d.code is None


def test_the_stored_document_carries_its_status_number_and_every_field():
    doc = dossier(S.ACCEPTED, accepted_at=NOW).document()
    assert doc["_id"] == "d" and doc["status"] == "accepted" and doc["status_no"] == NUMBER[S.ACCEPTED]
    assert doc["updated_at"] == T0 and doc["rev"] == 4 and "uploading" not in doc
    assert Dossier.model_validate(doc) == dossier(S.ACCEPTED, accepted_at=NOW)


def test_submitting_records_who_when_the_code_and_the_fees():
    change = dossier(S.DRAFT, history=[]).submit(OWNER, "A-261203-0007", NOW)
    after = change.after
    assert (after.status, after.code, after.submitted_at, after.updated_at) == (
        S.SUBMITTED,
        "A-261203-0007",
        NOW,
        NOW,
    )
    assert after.fee_total == 7000 and after.rev == 5
    assert [(h.status, h.actor_role, h.actor_id, h.at) for h in after.history] == [
        ("submitted", "citizen", OWNER.id, NOW)
    ]
    earlier = dossier(S.DRAFT, history=[{"status": "draft", "at": T0, "actor_role": "citizen"}])
    assert [h.status for h in earlier.submit(OWNER, "X", NOW).after.history] == ["draft", "submitted"]
    assert change.event.code == "A-261203-0007" and change.event.fee_total == 7000


def test_a_file_change_is_recorded_as_the_citizens_with_the_file():
    d = dossier(S.SUPPLEMENT_REQUESTED)
    for kind in ("file_added", "file_removed", "file_superseded"):
        h = d.file_change(OWNER, kind, att("f9", "c2"), NOW)
        assert (h.status, h.actor_role, h.actor_id, h.at) == (
            "supplement_requested",
            "citizen",
            OWNER.id,
            NOW,
        )
        assert (h.change.kind, h.change.attachment_id, h.change.component_id) == (kind, "f9", "c2")
        assert (h.change.name, h.change.size, h.change.sha256) == ("f9.pdf", 100, "0" * 64)
    with pytest.raises(ValueError):
        d.file_change(OWNER, "file_renamed", att("f9"), NOW)  # type: ignore[arg-type]


def test_who_filed_a_dossier():
    other = Actor(id="citizen-2", roles=frozenset({"citizen"}))
    d = dossier(history=[{"status": "submitted", "at": T0, "actor_role": "citizen", "actor_id": other.id}])
    assert d.filed_by(OWNER) and d.filed_by(other)
    officer_acted = dossier(
        history=[{"status": "accepted", "at": T0, "actor_role": "officer", "actor_id": other.id}]
    )
    assert not officer_acted.filed_by(other)


# -- payments (docs/submission.md, "Payments") ------------------------------------------------------------
def test_a_payment_request_carries_its_lines_and_their_sum_on_the_dossier_and_the_event():
    body = {
        "lines": [
            {"name": "  Lệ phí   cấp giấy ", "amount": 50000},
            {"name": "Phí thẩm định", "amount": 25000},
        ]
    }
    change = run(dossier(S.PROCESSING), "request-payment", body)
    after, e = change.after, change.event
    assert after.status == S.PAYMENT_REQUESTED and after.paused_at == NOW == after.payment_requested_at
    assert after.payment_lines == [
        FeeLine(name="Lệ phí cấp giấy", amount=50000),
        FeeLine(name="Phí thẩm định", amount=25000),
    ]
    assert after.payment_amount == 75000 and after.history[-1].amount == 75000
    assert isinstance(e, DossierStatusChangedV1) and e.new_status == "payment_requested"
    assert e.payment_amount == 75000 and [line.amount for line in e.payment_lines] == [50000, 25000]
    # The amount alone is one line; both, the amount must be the lines' sum.
    alone = run(dossier(S.ACCEPTED), "request-payment", {"amount": 7000}).after
    assert alone.payment_lines == [FeeLine(name="Phí, lệ phí", amount=7000)]
    assert run(dossier(S.ACCEPTED), "request-payment", body | {"amount": 75000}).after.payment_amount == 75000
    # Other events say nothing of a payment.
    assert run(dossier(S.ACCEPTED), "start").event.payment_amount is None


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "amount-required"),
        ({"lines": []}, "amount-required"),
        ({"lines": [{"name": "Lệ phí", "amount": 5000}], "amount": 6000}, "amount-mismatch"),
        ({"amount": 0}, "validation-error"),
        ({"amount": -5}, "validation-error"),
        ({"amount": "7000"}, "validation-error"),
        ({"amount": 7000.5}, "validation-error"),
        ({"lines": [{"name": "   ", "amount": 5000}]}, "validation-error"),
        ({"lines": [{"name": "Lệ phí", "amount": 0}]}, "validation-error"),
        ({"lines": [{"name": "Lệ phí", "amount": 5000, "bank": "x"}]}, "validation-error"),
        ({"lines": [{"name": f"Khoản {i}", "amount": 1000} for i in range(21)]}, "validation-error"),
    ],
)
def test_a_payment_request_needs_an_amount_that_adds_up(body, code):
    with pytest.raises(Problem) as e:
        run(dossier(S.PROCESSING), "request-payment", body)
    assert e.value.status == 422 and e.value.code == code


def test_only_a_payment_request_takes_lines_and_an_amount():
    with pytest.raises(Problem) as e:
        run(dossier(S.PROCESSING), "consult", {"note": "?", "amount": 5000})
    assert e.value.code == "validation-error" and "amount" in e.value.title.en


def test_the_confirmed_amount_moves_the_dossier_on_as_the_system_with_the_order_on_record():
    d = ready(S.PAYMENT_REQUESTED)
    change = run(d, "paid", {"note": "Đã thanh toán: đơn o…, mã giao dịch 14700001"})
    after, entry = change.after, change.after.history[-1]
    assert (after.status, after.step, after.paused_at) == (S.PROCESSING, "handling", None)
    assert (
        after.payment_order_id == "o" * 32
        and after.paid_orders == ["o" * 32]
        and after.payment_paid_at == NOW
    )
    assert (entry.actor_role, entry.action, entry.actor_id, entry.amount) == (
        "system",
        "paid",
        "system:payment",
        ASKED,
    )
    assert "14700001" in (entry.note or "")
    assert change.event.actor_role == "system" and change.event.action == "paid"


@pytest.mark.parametrize(
    ("d", "payment", "why"),
    [
        (ready(S.PAYMENT_REQUESTED), succeeded(ASKED - 1), "amount-mismatch"),
        (ready(S.PAYMENT_REQUESTED), succeeded(ASKED + 1000), "amount-mismatch"),
        (ready(S.PROCESSING), succeeded(), "no-payment-requested"),
        (
            ready(S.PAYMENT_REQUESTED).model_copy(update={"paid_orders": ["o" * 32]}),
            succeeded(),
            "already-applied",
        ),
    ],
)
def test_a_payment_that_does_not_settle_the_request_changes_nothing(d, payment, why):
    assert d.payment_refusal(payment) == why
    with pytest.raises(Problem) as e:
        run(d, "paid", payment=payment)
    assert e.value.status in (409, 403)  # refused: the request stands, nothing changed


def test_nobody_but_the_system_records_an_online_payment_and_the_counter_needs_its_receipt():
    d = ready(S.PAYMENT_REQUESTED)
    with pytest.raises(Problem) as e:
        run(d, "paid", roles=["reception", "specialist", "leader"], who=OFFICER)
    assert e.value.code == "role-required"
    for body, field in (({"note": "Đã nộp tại quầy"}, "items"), ({"items": ["BL 1"]}, "note")):
        with pytest.raises(Problem) as e:
            run(d, "start", body)
        assert e.value.code == f"{field}-required"
    after = run(d, "start").after
    assert after.status == S.PROCESSING and after.payment_paid_at == NOW and after.payment_order_id is None
    assert after.history[-1].items == ["BL 0001234"] and after.history[-1].actor_role == "officer"


def test_filing_fees_paid_are_judged_against_the_frozen_total():
    filed = dossier(S.SUBMITTED, fee_total=7000)
    assert filed.payment_refusal(succeeded(7000, purpose="filing")) is None
    assert filed.payment_refusal(succeeded(5000, purpose="filing")) == "amount-mismatch"
    assert dossier(S.DRAFT).payment_refusal(succeeded(7000, purpose="filing")) == "not-filed"
    paid = filed.model_copy(update={"fee_order_id": "x" * 32})
    assert paid.payment_refusal(succeeded(7000, purpose="filing")) == "filing-fee-already-paid"


def test_the_filed_event_carries_the_fee_lines_and_the_view_says_when_the_fee_is_due():
    d = dossier(S.DRAFT)
    e = d.submit(OWNER, "A-261201-0002", NOW).event
    assert isinstance(e, DossierSubmittedV1) and e.fee_total == 7000
    assert e.fee_lines == [FeeLine(name="Lệ phí", amount=7000)]
    assert d.fee_due_at_filing is True and d.pay_at_counter_allowed is None  # the catalogue does not say
    free = d.model_copy(update={"procedure": d.procedure.model_copy(update={"fees": []})})
    assert free.fee_due_at_filing is False and free.submit(OWNER, "A-1", NOW).event.fee_lines == []
