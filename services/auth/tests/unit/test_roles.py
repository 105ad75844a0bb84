"""Staff roles: what an account holds for the roles given (domain/roles.py)."""

from __future__ import annotations

import pytest

from auth.domain import mfa
from auth.domain import roles as r
from dvckit.errors import Invalid


@pytest.mark.parametrize(
    ("given", "held"),
    [
        (["reception"], ["officer", "reception"]),
        (["specialist", "leader"], ["officer", "specialist", "leader"]),
        (["leader", "reception", "leader"], ["officer", "reception", "leader"]),  # once each, in order
        (["admin"], ["admin"]),
        (["admin", "specialist"], ["officer", "specialist", "admin"]),
        # The old single role "officer": every agency role.
        (["officer"], ["officer", "reception", "specialist", "leader"]),
        (["officer", "admin"], ["officer", "reception", "specialist", "leader", "admin"]),
        # "officer" beside agency roles is only the marker, never more roles.
        (["officer", "specialist"], ["officer", "specialist"]),
        (["citizen"], ["citizen"]),
        ([], []),
    ],
)
def test_roles_are_normalised_with_the_officer_marker(given, held):
    assert r.normalise_roles(given) == held
    assert r.normalise_roles(held) == held  # normalising twice changes nothing


def test_an_unknown_role_is_refused_when_given_and_dropped_when_stored():
    with pytest.raises(Invalid):
        r.normalise_roles(["reception", "superuser"])
    assert r.held_roles(["officer", "superuser"]) == ["officer", "reception", "specialist", "leader"]


def test_the_old_single_role_stands_for_the_new_ones():
    assert r.normalise_roles(r.legacy_roles("officer")) == ["officer", "reception", "specialist", "leader"]
    assert r.normalise_roles(r.legacy_roles("admin")) == ["admin"]


@pytest.mark.parametrize(
    ("roles", "agencies", "refused"),
    [
        (["reception"], [], True),
        (["officer", "leader"], [], True),
        (["admin"], [], False),
        (["specialist"], ["000.01.H1.H26"], False),
        (["citizen"], [], False),
    ],
)
def test_agency_roles_need_an_agency(roles, agencies, refused):
    assert r.needs_agency(roles, agencies) is refused


@pytest.mark.parametrize("role", ["reception", "specialist", "leader", "officer", "admin"])
def test_every_staff_role_needs_the_second_factor(role):
    assert mfa.needs_second_factor([role])
    assert not mfa.needs_second_factor(["citizen"])


@pytest.mark.parametrize(
    ("roles", "agencies", "allowed"),
    [
        (("officer", "reception"), ("X",), True),
        (("officer", "leader"), ("Y", "X"), True),
        (("officer", "specialist"), ("Y",), False),  # staff of another agency
        (("admin",), (), True),
        (("citizen",), ("X",), False),  # agencies without the marker mean nothing
        (("reception",), ("X",), False),  # a token without the marker (never issued) is not staff
        ((), (), False),
    ],
)
def test_who_may_list_an_agencys_staff(roles, agencies, allowed):
    assert r.may_list_staff(roles, agencies, "X") is allowed


def test_an_unlocked_holder_of_the_role_in_the_agency_is_its_staff():
    user = {"roles": ["officer", "specialist"], "agencies": ["X", "Z"], "locked": False}
    assert r.is_staff_of(user, "X") and r.is_staff_of(user, "Z", "specialist")
    assert not r.is_staff_of(user, "X", "leader")
    assert not r.is_staff_of(user, "Y")
    assert not r.is_staff_of({**user, "locked": True}, "X")
    assert not r.is_staff_of({"roles": ["admin"], "agencies": ["X"]}, "X")
    assert r.is_staff_of({"roles": ["officer"], "agencies": ["X"]}, "X", "leader")  # the old single role


def test_the_auditor_is_staff_of_no_agency_and_signs_in_with_a_second_factor():
    assert r.normalise_roles(["auditor"]) == ["auditor"]
    assert r.normalise_roles(["auditor", "admin"]) == ["admin", "auditor"]
    assert not r.needs_agency(["auditor"], [])
    assert mfa.needs_second_factor(["auditor"])
