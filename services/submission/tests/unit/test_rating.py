"""The citizen's rating (who may rate when, what a rating may say) and what reporting reads off a decided
dossier: the procedure's legal time in days, the working days it took with the pauses left out, and the
fields every status change carries."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from dvckit.errors import Problem
from submission.domain.actions import ActionInput
from submission.domain.calendar import Calendar
from submission.domain.model import HistoryEntry, Rating, StaffRef
from submission.domain.rating import RATEABLE, RatingIn, clean_comment, legal_days, rate, rateable, used_days
from submission.domain.status import Status
from submission.domain.transitions import act, action_named, decide, measures

from .test_aggregate import OFFICER, dossier

S = Status
CAL = Calendar()
SCORES = {"overall": 5, "reception": 4, "guidance": 3, "time": 2, "result": 1}
# Tuesday 1 December 2026, 09:00 in Hải Phòng (UTC+7); office hours 07:30-11:30, 13:30-17:00 (7.5 h).
TUE_9 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def given(**over: object) -> RatingIn:
    return RatingIn.model_validate(SCORES | over)


@pytest.mark.parametrize("status", list(Status))
def test_only_a_returned_refused_or_withdrawn_dossier_is_rateable(status):
    d = dossier(status)
    assert rateable(d) is (status in (S.RETURNED, S.REFUSED, S.WITHDRAWN))
    if status in RATEABLE:
        rating, event = rate(d, given(comment="Nhanh"), TUE_9)
        assert rating.scores.overall == 5 and rating.comment == "Nhanh" and rating.rated_at == TUE_9
        assert event.status_code == {S.RETURNED: 10, S.REFUSED: 3, S.WITHDRAWN: 7}[status]
        assert (event.dossier_id, event.owner_id, event.agency_code) == ("d", "citizen-1", "A")
        assert event.scores.result == 1 and event.comment == "Nhanh"
    else:
        with pytest.raises(Problem) as e:
            rate(d, given(), TUE_9)
        assert (e.value.status, e.value.code) == (409, "not-rateable")


def test_a_dossier_is_rated_once():
    first = Rating(scores=given().scores, rated_at=TUE_9)
    d = dossier(S.RETURNED, rating=first.model_dump())
    assert not rateable(d)
    with pytest.raises(Problem) as e:
        rate(d, given(), TUE_9)
    assert (e.value.status, e.value.code) == (409, "already-rated")


@pytest.mark.parametrize(
    "bad",
    [
        {"overall": 0},
        {"overall": 6},
        {"time": True},  # not a number of points
        {"guidance": 4.0},
        {"result": "5"},
        {"stars": 5},  # a field the rating does not have
        {"comment": "x" * 1001},
        {"comment": 5},
    ],
)
def test_a_score_outside_one_to_five_an_unknown_field_or_a_long_comment_is_refused(bad):
    with pytest.raises(ValidationError):
        RatingIn.model_validate(SCORES | bad)


def test_a_missing_criterion_is_refused():
    with pytest.raises(ValidationError):
        RatingIn.model_validate({k: v for k, v in SCORES.items() if k != "time"})


def test_the_comment_is_nfc_without_control_characters_and_trimmed():
    decomposed = unicodedata.normalize("NFD", "Cán bộ hướng dẫn tận tình")
    got = clean_comment(f"  {decomposed}\x00\u200b \x1b[31m\r\nCảm ơn\t\t ")
    assert got == "Cán bộ hướng dẫn tận tình [31m\nCảm ơn"
    assert unicodedata.is_normalized("NFC", got)
    assert clean_comment(" \u200b\x07 ") is None
    # A decomposed comment of 1000 letters is 1000 once composed: it is not refused for its raw length.
    assert len(clean_comment(unicodedata.normalize("NFD", "ộ" * 1000)) or "") == 1000


def test_the_legal_time_is_the_procedures_time_in_days_else_none():
    def of(**p: object) -> float | None:
        return legal_days(dossier(procedure={"code": "1", "version": 1, "name": "x", **p}).procedure)

    def time(value: int, unit: str) -> dict[str, object]:
        return {"processing_time": {"value": value, "unit": unit, "text": f"{value} {unit}"}}

    assert of(**time(5, "working_day")) == 5.0
    assert of(**time(30, "day")) == 30.0
    assert of(**time(4, "hour")) is None
    assert of(**time(1, "month")) is None
    assert of(working_days=3) == 3.0
    assert of() is None


def test_used_days_count_office_time_from_acceptance_to_the_result_without_the_pauses():
    # Accepted Tuesday 09:00; supplement asked Wednesday 09:00, resubmitted Monday 09:00; decided Monday
    # 16:00. Worked: Tue 09:00-17:00 (6 h, the lunch break out), Wed 07:30-09:00 (1.5 h), Mon 09:00-16:00
    # (5 h) = 12.5 h of 7.5 h days.
    wed_9, mon_9 = TUE_9 + timedelta(days=1), TUE_9 + timedelta(days=6)
    decided = mon_9 + timedelta(hours=7)
    history = [
        HistoryEntry(at=TUE_9 - timedelta(hours=1), status="submitted", actor_role="citizen"),
        HistoryEntry(at=TUE_9, status="accepted", actor_role="officer"),
        HistoryEntry(at=wed_9, status="supplement_requested", actor_role="officer"),
        HistoryEntry(at=mon_9, status="processing", actor_role="citizen"),
        HistoryEntry(at=decided, status="finished", actor_role="officer"),
    ]
    d = dossier(S.FINISHED, accepted_at=TUE_9, finished_at=decided, history=history)
    assert used_days(d, CAL) == round(12.5 / 7.5, 2) == 1.67
    # Never accepted, or not decided yet: nothing to count.
    assert used_days(dossier(S.REFUSED, finished_at=decided), CAL) is None
    assert used_days(dossier(S.PROCESSING, accepted_at=TUE_9), CAL) is None


def test_a_pause_before_acceptance_does_not_count():
    history = [
        HistoryEntry(at=TUE_9 - timedelta(days=1), status="supplement_requested", actor_role="officer"),
        HistoryEntry(at=TUE_9 - timedelta(hours=1), status="submitted", actor_role="citizen"),
        HistoryEntry(at=TUE_9, status="accepted", actor_role="officer"),
    ]
    d = dossier(S.FINISHED, accepted_at=TUE_9, finished_at=TUE_9 + timedelta(hours=2), history=history)
    assert used_days(d, CAL) == round(2 / 7.5, 2)


def test_every_status_change_says_when_and_where_it_was_filed_and_its_legal_due_time():
    accepted = dossier(S.SUBMITTED, submitted_at=TUE_9 - timedelta(hours=1), step="reception")
    x = decide(
        accepted,
        action_named("accept"),
        OFFICER,
        ActionInput(),
        result=None,
        now=TUE_9,
        roles=["reception"],
        assignee=StaffRef(id="sp", name="Lê Văn Chuyên"),
    )
    e = act(accepted, x).event
    assert e.submitted_at == TUE_9 - timedelta(hours=1) and e.channel == "online"
    assert e.legal_due_at == e.appointment_at is not None
    assert e.legal_days == 3.0  # the fixture's procedure: 3 working days
    assert e.finished_at is None and e.on_time is None and e.digital_result is None and e.used_days is None


def test_from_status_nine_the_event_says_on_time_digital_and_the_days_used():
    due = TUE_9 + timedelta(days=2)
    d = dossier(
        S.FINISHED,
        accepted_at=TUE_9,
        finished_at=TUE_9 + timedelta(hours=2),
        on_time=True,
        appointment_at=due + timedelta(days=3),  # moved by an apology: the law counts the original
        original_appointment_at=due,
        results=[],
    )
    m = measures(d, CAL)
    assert m["legal_due_at"] == due and m["on_time"] is True and m["digital_result"] is False
    assert m["used_days"] == round(2 / 7.5, 2) and m["finished_at"] == TUE_9 + timedelta(hours=2)
    # Closed without a decision (refused): nothing of a result.
    assert "on_time" not in measures(dossier(S.REFUSED), CAL)
