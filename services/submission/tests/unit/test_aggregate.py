"""The Dossier aggregate's transitions: each action from each status allowed or refused, what each one
changes, the event it returns, the revision it is guarded by; and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dvckit.contracts import DossierStatusChangedV1, DossierSubmittedV1, ProcedureDuration
from dvckit.errors import Problem
from submission.domain.actions import ActionInput
from submission.domain.calendar import VN
from submission.domain.model import Actor, Attachment, Dossier, HistoryEntry
from submission.domain.status import NUMBER, Status
from submission.domain.transitions import EFFECTS, act, action_named, decide
from submission.domain.workflow import ACTIONS

S = Status
OWNER = Actor(id="citizen-1", roles=frozenset({"citizen"}))
OFFICER = Actor(id="officer-1", name="Trần Văn Tiếp", roles=frozenset({"officer"}), agencies=frozenset({"A"}))
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
NEEDS = {
    "refuse": {"reason": "Sai thẩm quyền"},
    "stop": {"reason": "Hết hạn"},
    "request-supplement": {"items": ["Ảnh"]},
}


def run(d: Dossier, name: str, body: dict[str, object] | None = None, *, result: Attachment | None = None):
    action = action_named(name)
    who = OFFICER if action.role == "officer" else OWNER
    fields = ActionInput.of(body if body is not None else NEEDS.get(name, {}))
    if name == "finish" and result is None:
        result = att("result", "result")
    return act(d, decide(d, action, who, fields, result=result, now=NOW))


def ready(status: Status) -> Dossier:
    """A dossier in ``status`` with what each action from there needs (a supplement uploaded)."""
    if status == S.SUPPLEMENT_REQUESTED:
        return dossier(status, paused_at=T0 - timedelta(days=1), supplement_count=1)
    return dossier(status)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_from_each_status_is_allowed_or_refused(status, name):
    d = ready(status)
    if status not in ACTIONS[name].sources:
        with pytest.raises(Problem) as e:
            run(d, name)
        assert e.value.status == 409 and e.value.code == "invalid-transition"
        assert e.value.extra["current"]["status"] == status.value
        return
    change = run(d, name)
    to = ACTIONS[name].to
    assert change.before is d and d.status == status and d.rev == 4  # the dossier itself is untouched
    assert change.after.status == to and change.after.rev == 5 and change.after.updated_at == NOW
    entry = change.after.history[-1]
    assert (entry.status, entry.at, entry.actor_role) == (to.value, NOW, ACTIONS[name].role)
    assert isinstance(change.event, DossierStatusChangedV1)
    e = change.event
    assert (e.old_status, e.new_status, e.old_status_code, e.new_status_code) == (
        status.value,
        to.value,
        NUMBER[status],
        NUMBER[to],
    )
    assert (e.rev, e.dossier_id, e.code, e.owner_id, e.actor_role) == (
        5,
        "d",
        "A-261201-0001",
        OWNER.id,
        ACTIONS[name].role,
    )
    assert e.appointment_at == change.after.appointment_at and e.changed_at == NOW


def test_every_action_has_one_effect():
    assert sorted(EFFECTS) == sorted(ACTIONS)


def test_unknown_action_is_404():
    with pytest.raises(Problem) as e:
        action_named("approve")
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
    d = ready(ACTIONS[name].sources and sorted(ACTIONS[name].sources)[0])
    with pytest.raises(Problem) as e:
        run(d, name, {})
    assert e.value.status == 422 and e.value.code == f"{field}-required"


def test_finish_needs_the_result_document_and_records_it_on_time():
    d = dossier(S.PROCESSING, appointment_at=NOW + timedelta(days=1), supplement_count=1)
    with pytest.raises(Problem) as e:
        act(d, decide(d, ACTIONS["finish"], OFFICER, ActionInput.of({}), result=None, now=NOW))
    assert e.value.code == "file-required"
    after = run(d, "finish").after
    assert after.finished_at == NOW and after.on_time is True and [r.id for r in after.results] == ["result"]


@pytest.mark.parametrize(
    ("appointment", "supplements", "on_time"),
    [(NOW - timedelta(seconds=1), 0, False), (NOW, 0, True), (None, 0, True), (NOW, 2, False)],
)
def test_on_time_means_by_the_appointment_with_at_most_one_supplement(appointment, supplements, on_time):
    d = dossier(S.PROCESSING, appointment_at=appointment, supplement_count=supplements)
    assert run(d, "finish").after.on_time is on_time


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
        run(dossier(S.PROCESSING), "start", {"components": []})
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
    d = ready(sorted(ACTIONS[name].sources)[0])
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
        run(ready(sorted(ACTIONS[name].sources)[0]), name, body)
    p = e.value
    assert (p.status, p.code, p.title.vi, p.title.en) == (422, f"{field}-required", vi, en)
    assert p.extra == {"errors": [{"field": field, "message": vi}]}


def test_the_missing_result_document_is_named_with_its_message():
    d = dossier(S.PROCESSING)
    with pytest.raises(Problem) as e:
        act(d, decide(d, ACTIONS["finish"], OFFICER, ActionInput.of({}), result=None, now=NOW))
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
