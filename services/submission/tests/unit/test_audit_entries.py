"""The submission service's audit entries, as pure functions."""

from __future__ import annotations

from submission.domain.workflow import ACTIONS
from submission.service.audit import PAST, _agencies, action_name


def test_every_persons_action_has_a_past_tense_name():
    names = set(ACTIONS)
    assert names <= set(PAST)
    assert action_name("request-supplement") == "dossier.supplement_requested"
    assert action_name("return-result") == "dossier.result_returned"


def test_the_queues_target_fits_the_entry():
    assert _agencies([]) == "-" and _agencies(["000.01.G5.H26"]) == "000.01.G5.H26"
    many = [f"000.{i:02d}.31.H26" for i in range(40)]
    assert _agencies(many) == "40 agencies"
