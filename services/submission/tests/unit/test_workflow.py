"""The one-stop workflow's table (docs/submission.md, "One-stop processing"): who may take which action
where the dossier is (status and step), and where it leads."""

from __future__ import annotations

import dataclasses

import pytest

from submission.domain.status import Status
from submission.domain.workflow import (
    ACTIONS,
    CLOCK_RUNS,
    CLOSED,
    CONSULTING,
    HANDLING,
    RECEPTION,
    RETURNING,
    REVIEW,
    RULES,
    available,
    roles_for,
    rule,
)

S = Status

# The path of a dossier from the desk to the citizen: each (status, step, role, action) → (status, step).
HAPPY_PATH = [
    ((S.SUBMITTED, RECEPTION, "reception", "accept"), (S.ACCEPTED, HANDLING)),
    ((S.ACCEPTED, HANDLING, "specialist", "start"), (S.PROCESSING, HANDLING)),
    ((S.PROCESSING, HANDLING, "specialist", "propose"), (S.PROCESSING, REVIEW)),
    ((S.PROCESSING, REVIEW, "leader", "send-back"), (S.PROCESSING, HANDLING)),
    ((S.PROCESSING, HANDLING, "specialist", "consult"), (S.PROCESSING, CONSULTING)),
    ((S.PROCESSING, CONSULTING, "consulted", "answer"), (S.PROCESSING, HANDLING)),
    ((S.PROCESSING, REVIEW, "leader", "approve"), (S.FINISHED, RETURNING)),
    ((S.FINISHED, RETURNING, "reception", "return-result"), (S.RETURNED, None)),
]


@pytest.mark.parametrize(("key", "to"), HAPPY_PATH)
def test_each_step_of_the_path_leads_where_the_rules_say(key, to):
    found = RULES[key]
    assert (found.to, found.step) == to


def test_the_completion_request_at_the_desk_comes_back_to_the_desk_not_to_processing():
    asked = RULES[(S.SUBMITTED, RECEPTION, "reception", "request-supplement")]
    assert (asked.to, asked.step) == (S.SUPPLEMENT_REQUESTED, RECEPTION)
    back = RULES[(S.SUPPLEMENT_REQUESTED, RECEPTION, "citizen", "resubmit")]
    assert (back.to, back.step) == (S.SUBMITTED, RECEPTION)
    # Asked during processing, it comes back to the specialist.
    back = RULES[(S.SUPPLEMENT_REQUESTED, HANDLING, "citizen", "resubmit")]
    assert (back.to, back.step) == (S.PROCESSING, HANDLING)


def test_only_a_leader_approves_and_only_a_proposal_under_review():
    assert roles_for("approve") == {"leader"}
    assert {(k[0], k[1]) for k in RULES if k[3] == "approve"} == {(S.PROCESSING, REVIEW)}


def test_nobody_finishes_a_dossier_without_the_leader_approval():
    into_finished = {k for k, r in RULES.items() if r.to == S.FINISHED and k[0] != S.FINISHED}
    assert {k[3] for k in into_finished} == {"approve"}
    assert "finish" not in ACTIONS


def test_a_transfer_keeps_the_status_and_waits_for_the_receiving_desk():
    for key, r in RULES.items():
        if key[3] == "transfer":
            assert r.to == key[0] and r.step == RECEPTION


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_every_action_has_a_rule_and_every_rule_an_action(name):
    assert any(k[3] == name for k in RULES)


def test_a_closed_dossier_only_ever_moves_from_finished_to_returned():
    moves = {(k[0], k[3]) for k in RULES if k[0] in CLOSED}
    assert moves == {(S.FINISHED, "return-result"), (S.FINISHED, "apologise")}


def test_nothing_moves_a_draft_the_citizen_submits_it_through_its_own_step():
    assert [k for k in RULES if k[0] == S.DRAFT] == []


def test_the_citizen_only_withdraws_and_resubmits():
    assert {k[3] for k in RULES if k[2] == "citizen"} == {"withdraw", "resubmit"}


def test_the_screen_offers_what_the_rules_allow_the_roles_held():
    assert available(S.SUBMITTED, RECEPTION, ["reception"]) == [
        "accept",
        "refuse",
        "request-supplement",
        "transfer",
    ]
    assert available(S.PROCESSING, REVIEW, ["specialist"]) == ["apologise"]
    assert "approve" in available(S.PROCESSING, REVIEW, ["specialist", "leader"])


def test_a_rule_is_found_for_the_first_role_that_may_act():
    assert rule(S.PROCESSING, HANDLING, ["reception", "leader"], "assign") is not None
    assert rule(S.PROCESSING, HANDLING, ["specialist"], "assign") is None


def test_the_clock_runs_while_accepted_or_processing():
    assert CLOCK_RUNS == {S.ACCEPTED, S.PROCESSING}


def test_the_closed_statuses_are_refused_withdrawn_stopped_finished_and_returned():
    assert CLOSED == {S.REFUSED, S.WITHDRAWN, S.STOPPED, S.FINISHED, S.RETURNED}


def test_the_shared_tables_cannot_be_changed_at_run_time():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACTIONS["accept"].needs_file = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        next(iter(RULES.values())).to = S.RETURNED  # type: ignore[misc]


def test_a_payment_asked_for_is_settled_online_by_the_system_or_at_the_counter_by_the_specialist():
    online = RULES[(S.PAYMENT_REQUESTED, HANDLING, "system", "paid")]
    assert (online.to, online.step) == (S.PROCESSING, HANDLING)
    assert roles_for("paid") == {"system"} and {k[0] for k in RULES if k[3] == "paid"} == {
        S.PAYMENT_REQUESTED
    }
    counter = RULES[(S.PAYMENT_REQUESTED, HANDLING, "specialist", "start")]
    assert (counter.to, counter.step) == (S.PROCESSING, HANDLING)
    # Nobody else moves a dossier waiting for a payment on (a leader may still stop it).
    out = {k[2:] for k, r in RULES.items() if k[0] == S.PAYMENT_REQUESTED and r.to == S.PROCESSING}
    assert out == {("system", "paid"), ("specialist", "start")}
    # The officer's screen never offers the system's action.
    assert "paid" not in available(S.PAYMENT_REQUESTED, HANDLING, ["reception", "specialist", "leader"])
