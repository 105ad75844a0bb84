"""The auth service's audit entries, as pure functions: which action a change of an account is, and that a
secret never shows."""

from __future__ import annotations

from auth.service.audit import account_change, listed


def account(**over):
    return {
        "_id": "u-1",
        "full_name": "Phạm Thị Hoa",
        "username": "hoa",
        "roles": ["reception"],
        "agencies": ["000.00.31.H26"],
        "locked": False,
        "password_hash": "$argon2id$secret",
        "mfa": {"totp": "sealed"},
        **over,
    }


def test_a_creation_shows_the_account_never_its_password():
    e = account_change(None, account())
    assert e["action"] == "user.created" and e["before"] is None and e["subject"] == "u-1"
    assert e["after"]["roles"] == ["officer", "reception"] and e["after"]["mfa_enrolled"] is True
    assert "password_hash" not in e["after"] and "mfa" not in e["after"] and "secret" not in str(e)


def test_the_action_says_what_changed_and_only_that_is_shown():
    e = account_change(account(), account(locked=True))
    assert (e["action"], e["before"], e["after"]) == ("user.locked", {"locked": False}, {"locked": True})
    assert account_change(account(locked=True), account())["action"] == "user.unlocked"
    e = account_change(account(), account(roles=["leader"]))
    assert e["action"] == "user.roles_changed" and e["after"] == {"roles": ["officer", "leader"]}
    e = account_change(account(), account(full_name="Phạm Thị Hoà", password_hash="other"))
    assert e["action"] == "user.changed" and e["after"] == {"full_name": "Phạm Thị Hoà"}


def test_a_page_names_its_one_account_as_the_subject():
    assert listed("user", ["u-1"], {"q": "hoa", "role": None}, ["phone"])["subject"] == "u-1"
    two = listed("user", ["u-1", "u-2"], {"q": "hoa"}, ["phone"])
    assert two["subject"] is None and two["after"] == {"query": {"q": "hoa"}, "ids": ["u-1", "u-2"]}
    assert listed("organisation", ["o-1"], {}, ["members"])["subject"] is None
