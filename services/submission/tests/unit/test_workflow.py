"""The dossier's status machine (docs/submission.md, officer actions): who may move a dossier from which
status to which, what each move needs, and in which statuses the clock runs."""

from __future__ import annotations

import dataclasses

import pytest

from submission.domain.status import Status
from submission.domain.workflow import ACTIONS, CLOCK_RUNS, CLOSED, Action

S = Status

# action: (status it leads to, statuses it may start from, who may do it, needs reason / items / file)
TABLE = {
    "accept": (S.ACCEPTED, {S.SUBMITTED}, "officer", (False, False, False)),
    "refuse": (S.REFUSED, {S.SUBMITTED}, "officer", (True, False, False)),
    "start": (S.PROCESSING, {S.ACCEPTED, S.PAYMENT_REQUESTED}, "officer", (False, False, False)),
    "request-supplement": (
        S.SUPPLEMENT_REQUESTED,
        {S.ACCEPTED, S.PROCESSING},
        "officer",
        (False, True, False),
    ),
    "request-payment": (S.PAYMENT_REQUESTED, {S.ACCEPTED, S.PROCESSING}, "officer", (False, False, False)),
    "stop": (
        S.STOPPED,
        {S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED},
        "officer",
        (True, False, False),
    ),
    "finish": (S.FINISHED, {S.PROCESSING}, "officer", (False, False, True)),
    "return-result": (S.RETURNED, {S.FINISHED}, "officer", (False, False, False)),
    "withdraw": (
        S.WITHDRAWN,
        {S.SUBMITTED, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED},
        "citizen",
        (False, False, False),
    ),
    "resubmit": (S.PROCESSING, {S.SUPPLEMENT_REQUESTED}, "citizen", (False, False, False)),
}


def test_the_actions_are_exactly_the_documented_ones():
    assert sorted(ACTIONS) == sorted(TABLE)
    assert all(action.name == name for name, action in ACTIONS.items())


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_action_leads_to_its_status_for_its_role_with_what_it_needs(name):
    to, _sources, role, (reason, items, file) = TABLE[name]
    action = ACTIONS[name]
    assert action.to is to
    assert action.role == role
    assert (action.needs_reason, action.needs_items, action.needs_file) == (reason, items, file)


# Every (status, action) pair: allowed exactly when the status is one the action starts from.
@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("name", sorted(TABLE))
def test_an_action_is_allowed_only_from_its_statuses(status, name):
    allowed = status in TABLE[name][1]
    assert (status in ACTIONS[name].sources) is allowed


def test_nothing_moves_a_draft_the_citizen_submits_it_through_its_own_step():
    assert [name for name, a in ACTIONS.items() if S.DRAFT in a.sources] == []


def test_a_closed_dossier_only_ever_moves_from_finished_to_returned():
    moves = {(s, name) for name, a in ACTIONS.items() for s in a.sources if s in CLOSED}
    assert moves == {(S.FINISHED, "return-result")}


def test_the_clock_runs_while_accepted_or_processing():
    assert CLOCK_RUNS == {S.ACCEPTED, S.PROCESSING}


@pytest.mark.parametrize(
    "status", [S.DRAFT, S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED, *sorted(CLOSED)]
)
def test_the_clock_stands_still_before_acceptance_while_the_citizen_supplements_or_pays_and_once_closed(
    status,
):
    assert status not in CLOCK_RUNS


def test_the_closed_statuses_are_refused_withdrawn_stopped_finished_and_returned():
    assert CLOSED == {S.REFUSED, S.WITHDRAWN, S.STOPPED, S.FINISHED, S.RETURNED}


def test_an_action_needs_nothing_extra_unless_it_says_so():
    plain = Action("x", S.ACCEPTED, frozenset({S.SUBMITTED}), "officer")
    assert (plain.needs_reason, plain.needs_items, plain.needs_file) == (False, False, False)


def test_the_shared_action_table_cannot_be_changed_at_run_time():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ACTIONS["accept"].role = "citizen"  # type: ignore[misc]
