"""The audit trail the auth service writes (audit.recorded.v1 through its outbox): staff sign-ins and their
failures, administrators' changes of accounts with before → after, their reads of accounts; and that none
of these succeeds when its entry cannot be written."""

from __future__ import annotations

import itertools
from typing import Any

from pymongo.errors import ConnectionFailure

R = "/api/v1/auth"
AUDIT = "audit.recorded.v1"
OFFICER_PASSWORD = "Mot-Cua-Officer-9"
_n = itertools.count(1)


async def entries(app, **match: Any) -> list[dict[str, Any]]:
    query = {"routing_key": AUDIT} | {f"envelope.data.{k}": v for k, v in match.items()}
    docs = await app.state.runtime.db.outbox.find(query).sort("created_at", 1).to_list()
    return [d["envelope"]["data"] for d in docs]


def broken_audit(app, monkeypatch) -> None:
    async def refuse(session, record):
        raise ConnectionFailure("the audit entry could not be written")

    monkeypatch.setattr(app.state.runtime.audit, "_add_event", refuse)


async def new_officer(auth, h, admin: str) -> dict[str, Any]:
    n = next(_n)
    body = {
        "full_name": "Phạm Thị Hoa",
        "roles": ["reception"],
        "agencies": ["000.00.31.H26"],
        "username": f"hoa.audit{n}",
        "phone": f"0977{n:06d}",
        "password": OFFICER_PASSWORD,
    }
    r = await auth.post(f"{R}/users", json=body, headers=h.bearer(admin))
    assert r.status_code == 201, r.text
    return r.json() | {"username": body["username"]}


async def test_staff_sign_ins_and_their_failures_are_recorded_a_citizens_are_not(auth, h, person):
    admin = await h.admin_token(auth)
    officer = await new_officer(auth, h, admin)
    uid = officer["id"]

    [created] = await entries(auth.app, target_id=uid, action="user.created")
    assert created["kind"] == "change" and created["before"] is None and "admin" in created["actor_roles"]
    assert created["after"]["roles"] == ["officer", "reception"] and created["after"]["locked"] is False
    assert "password_hash" not in created["after"] and OFFICER_PASSWORD not in str(created)

    r = await h.login(auth, officer["username"], "Not-The-Password-1", headers={"X-Real-IP": "10.1.2.3"})
    assert r.status_code == 401
    [failed] = await entries(auth.app, target_id=uid, action="staff.sign_in_failed")
    assert failed["kind"] == "login" and failed["outcome"] == "failed" and failed["actor"] == uid
    assert failed["after"] == {"reason": "bad-credentials"} and failed["ip"] == "10.1.2.3"

    tokens, _ = await h.sign_in(auth, officer["username"], OFFICER_PASSWORD)  # enrols the second factor
    assert tokens["access_token"]
    [signed_in] = await entries(auth.app, target_id=uid, action="staff.signed_in")
    assert signed_in["outcome"] == "ok" and signed_in["actor_agencies"] == ["000.00.31.H26"]
    assert signed_in["after"] == {"reason": "totp-enrolled"} and signed_in["subject"] == uid

    # The first administrator's own sign-in (with its code) is a staff sign-in too.
    admin_entries = await entries(auth.app, action="staff.signed_in", after={"reason": "totp"})
    assert admin_entries and all("admin" in e["actor_roles"] for e in admin_entries)

    # A citizen's sign-in, and a name that is no account: not the trail's business.
    p = person()
    citizen = await h.register(auth, p)
    assert (await h.login(auth, p["phone"], p["password"])).status_code == 200
    assert (await h.login(auth, p["phone"], "Wrong-Password-77")).status_code == 401
    assert await entries(auth.app, target_id=citizen["id"]) == []
    before = await auth.app.state.runtime.db.outbox.count_documents({"routing_key": AUDIT})
    assert (await h.login(auth, "nobody.at.all", "Wrong-Password-77")).status_code == 401
    assert await auth.app.state.runtime.db.outbox.count_documents({"routing_key": AUDIT}) == before


async def test_administrators_changes_and_reads_of_accounts_are_recorded(auth, h):
    admin = await h.admin_token(auth)
    officer = await new_officer(auth, h, admin)
    uid = officer["id"]
    await h.sign_in(auth, officer["username"], OFFICER_PASSWORD)

    r = await auth.patch(
        f"{R}/users/{uid}", json={"roles": ["specialist", "leader"]}, headers=h.bearer(admin)
    )
    assert r.status_code == 200, r.text
    [roles] = await entries(auth.app, target_id=uid, action="user.roles_changed")
    assert roles["before"] == {"roles": ["officer", "reception"]}
    assert roles["after"] == {"roles": ["officer", "specialist", "leader"]}

    r = await auth.patch(f"{R}/users/{uid}", json={"locked": True}, headers=h.bearer(admin))
    assert r.status_code == 200
    [locked] = await entries(auth.app, target_id=uid, action="user.locked")
    assert locked["before"] == {"locked": False} and locked["after"] == {"locked": True}
    # Locked: the right password is refused, and that is recorded as denied.
    assert (await h.login(auth, officer["username"], OFFICER_PASSWORD)).status_code == 403
    [denied] = await entries(auth.app, target_id=uid, action="staff.sign_in_failed")
    assert denied["outcome"] == "denied" and denied["after"] == {"reason": "account-locked"}

    r = await auth.patch(
        f"{R}/users/{uid}", json={"locked": False, "full_name": "Phạm Thị Hoà"}, headers=h.bearer(admin)
    )
    assert r.status_code == 200
    [unlocked] = await entries(auth.app, target_id=uid, action="user.unlocked")
    assert unlocked["after"] == {"locked": False, "full_name": "Phạm Thị Hoà"}

    assert (await auth.delete(f"{R}/users/{uid}/mfa", headers=h.bearer(admin))).status_code == 204
    [reset] = await entries(auth.app, target_id=uid, action="user.mfa_reset")
    assert reset["before"] == {"mfa_enrolled": True} and reset["after"] == {"mfa_enrolled": False}

    r = await auth.put(
        f"{R}/agencies/000.00.31.H26/default-specialist", json={"user_id": uid}, headers=h.bearer(admin)
    )
    assert r.status_code == 200, r.text
    [default] = await entries(auth.app, target_id="000.00.31.H26", action="agency.default_specialist_changed")
    assert default["after"] == {"default_specialist": uid}

    r = await auth.get(f"{R}/users", params={"q": officer["username"]}, headers=h.bearer(admin))
    assert r.status_code == 200 and r.json()["total"] == 1
    listed = [e for e in await entries(auth.app, action="user.listed") if e["after"]["ids"] == [uid]]
    assert len(listed) == 1 and listed[0]["subject"] == uid and "citizen_id" in listed[0]["fields"]
    assert listed[0]["after"]["query"]["q"] == officer["username"]

    r = await auth.post(f"{R}/keys/rotate", headers=h.bearer(admin))
    assert r.status_code == 200, r.text
    [rotated] = await entries(auth.app, action="signing_key.rotated", target_id=r.json()["kid"])
    assert rotated["after"] == {"active": r.json()["kid"]} and rotated["before"]["active"] != r.json()["kid"]


async def test_no_sign_in_or_change_succeeds_without_its_entry(make_auth, h, monkeypatch):
    auth = await make_auth(staff_mfa="off")  # the password alone signs staff in: one step to break
    admin = await h.admin_token(auth)
    officer = await new_officer(auth, h, admin)
    uid = officer["id"]
    broken_audit(auth.app, monkeypatch)

    r = await auth.patch(f"{R}/users/{uid}", json={"locked": True}, headers=h.bearer(admin))
    assert r.status_code == 503
    r = await auth.post(
        f"{R}/users",
        json={
            "full_name": "Không Được Tạo",
            "roles": ["admin"],
            "username": "never.made",
            "password": OFFICER_PASSWORD,
        },
        headers=h.bearer(admin),
    )
    assert r.status_code == 503
    r = await auth.get(f"{R}/users", params={"q": officer["username"]}, headers=h.bearer(admin))
    assert r.status_code == 503 and officer["username"] not in r.text
    users = auth.app.state.runtime.db.users
    assert await users.count_documents({"username": "never.made"}) == 0
    assert (await users.find_one({"_id": uid}))["locked"] is False

    # The password is right, but the sign-in cannot be recorded: no tokens.
    r = await h.login(auth, officer["username"], OFFICER_PASSWORD)
    assert r.status_code == 503 and "access_token" not in r.text

    monkeypatch.undo()
    r = await h.login(auth, officer["username"], OFFICER_PASSWORD)
    assert r.status_code == 200 and r.json()["access_token"]
    [signed_in] = await entries(auth.app, target_id=uid, action="staff.signed_in")
    assert signed_in["after"] == {"reason": "password"}
