"""The one-stop roles × the workflow's actions: every action of the submission service's table, tried by
everyone at the place it is open (its status and step), on citizen A's dossier. Only the role the table
names (the assigned specialist for a specialist's action; the consulted agency for an answer; the owner
for the citizen's) is let through; the others get the exact refusal below and change nothing.

Callers: anonymous; citizens A (the owner) and B; agency X's desk (reception only), specialist (the one
assigned), second specialist (not assigned) and leader, each a person holding one role; officer Y (every
role, in another agency); the administrator. What a stolen token of each can do is what its row says."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devstack import client

from .conftest import AGENCY_X, AGENCY_Y, S, Who, World

CALLERS = ("anon", "a", "b", "desk", "spec", "spec2", "boss", "y", "admin")
# What anyone but the allowed caller gets, by who they are (``ROLE``: an officer of X in another role).
ROLE = 403
REFUSED = {"anon": 401, "a": 403, "b": 403, "y": 404, "admin": 403}
CITIZENS_OWN = {
    "anon": 401,
    "a": 200,
    "b": 404,
    "desk": 404,
    "spec": 404,
    "spec2": 404,
    "boss": 404,
    "y": 404,
    "admin": 404,
}


class Office:
    """Agency X's people, one role each, made once for this module."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.desk = self._staff("desk X", ["reception"])
        self.spec = self._staff("specialist X", ["specialist"])
        self.spec2 = self._staff("specialist X2", ["specialist"])
        self.boss = self._staff("leader X", ["leader"])

    def _staff(self, name: str, roles: list[str]) -> Who:
        return self.w.officer(name, AGENCY_X, roles)

    def who(self, name: str) -> Who:
        w = self.w
        return {"anon": w.anon, "a": w.a, "b": w.b, "y": w.officer_y, "admin": w.admin}.get(name) or getattr(
            self, name
        )

    # -- a dossier of A at each place ------------------------------------------------------------------
    def act(self, who: Who, did: str, action: str, **kw: Any) -> dict[str, Any]:
        return self.w.act(who, did, action, **kw)

    def submitted(self) -> str:
        return self.w.file(self.w.a)["id"]

    def accepted(self) -> str:
        did = self.submitted()
        self.act(self.desk, did, "accept", json={"assignee": self.spec.user_id})
        return did

    def processing(self) -> str:
        did = self.accepted()
        self.act(self.spec, did, "start")
        return did

    def review(self) -> str:
        did = self.processing()
        self.propose(self.spec, did)
        return did

    def consulting(self) -> str:
        did = self.processing()
        self.act(self.spec, did, "consult", json={"agency": AGENCY_Y, "note": "Xin ý kiến"})
        return did

    def finished(self) -> str:
        did = self.review()
        self.act(self.boss, did, "approve")
        return did

    def supplementing(self) -> str:
        did = self.processing()
        self.act(self.spec, did, "request-supplement", json={"items": ["Ảnh chân dung"]})
        component = self.w.http.get(f"{S}/dossiers/{did}", headers=self.w.a.headers).json()["attachments"][0]
        self.w.upload(self.w.a, did, component["component_id"], "bổ sung.pdf")
        return did

    def propose(self, who: Who, did: str) -> httpx.Response:
        r = self.w.http.post(
            f"{S}/dossiers/{did}/actions/propose",
            headers=who.headers,
            data={"outcome": "grant", "note": "Đề xuất"},
            files={"file": ("kết quả.pdf", client.result_pdf(), "application/pdf")},
        )
        assert r.status_code == 200, r.text
        return r


# action: (where A's dossier must be, its body, who may take it there). "{spec2}" in a body is that
# person's account id.
CASES: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "accept": ("submitted", {"assignee": "{spec}"}, ("desk",)),
    "refuse": ("submitted", {"reason": "Sai thẩm quyền"}, ("desk",)),
    "request-supplement": ("processing", {"items": ["Ảnh"]}, ("spec",)),
    "request-payment": ("processing", {"amount": 7000}, ("spec",)),
    "assign": ("accepted", {"assignee": "{spec2}"}, ("desk", "boss")),
    "start": ("accepted", {}, ("spec",)),
    "consult": ("processing", {"agency": AGENCY_Y, "note": "Xin ý kiến"}, ("spec",)),
    "answer": ("consulting", {"note": "Đồng ý"}, ("y",)),
    "send-back": ("review", {"note": "Xem lại"}, ("boss",)),
    "approve": ("review", {}, ("boss",)),
    "transfer": ("processing", {"agency": AGENCY_Y, "reason": "Sai thẩm quyền"}, ("boss",)),
    "apologise": ("processing", {"reason": "Chờ xác minh", "days": 2}, ("spec", "boss")),
    "stop": ("processing", {"reason": "Người nộp đề nghị dừng"}, ("boss",)),
    "return-result": ("finished", {}, ("desk",)),
}


def expected(action: str, caller: str) -> int:
    """What ``caller`` gets for ``action`` at its place."""
    allowed = CASES[action][2]
    if caller in allowed:
        return 200
    if caller in REFUSED:
        return REFUSED[caller]
    return ROLE  # an officer of X in another role; or a specialist of X not assigned


def body_for(office: Office, action: str) -> dict[str, Any]:
    ids = {"{spec}": office.spec.user_id, "{spec2}": office.spec2.user_id}
    return {k: ids.get(v, v) if isinstance(v, str) else v for k, v in CASES[action][1].items()}


@pytest.fixture(scope="module")
def office(world: World) -> Office:
    return Office(world)


def snapshot(world: World, did: str) -> dict[str, Any]:
    return world.http.get(f"{S}/dossiers/{did}", headers=world.a.headers).json()


@pytest.mark.parametrize("action", sorted(CASES))
def test_each_action_only_by_its_roles(action: str, office: Office, world: World) -> None:
    place, _, allowed = CASES[action]
    body = body_for(office, action)
    did = getattr(office, place)()
    before = snapshot(world, did)
    got: dict[str, int] = {}
    for caller in [c for c in CALLERS if c not in allowed]:
        r = world.http.post(
            f"{S}/dossiers/{did}/actions/{action}", json=body, headers=office.who(caller).headers
        )
        got[caller] = r.status_code
        assert r.headers["content-type"].startswith("application/problem+json"), (caller, r.text)
        assert snapshot(world, did)["rev"] == before["rev"], f"{caller}'s refused {action} changed it"
    # Each caller allowed, on a dossier of its own at the same place (an allowed action moves it on).
    for i, caller in enumerate(allowed):
        target = did if i == 0 else getattr(office, place)()
        r = world.http.post(
            f"{S}/dossiers/{target}/actions/{action}", json=body, headers=office.who(caller).headers
        )
        got[caller] = r.status_code
        assert r.status_code == 200, (caller, r.text)
    assert got == {c: expected(action, c) for c in CALLERS}


@pytest.mark.parametrize(("action", "place"), [("withdraw", "submitted"), ("resubmit", "supplementing")])
def test_the_citizens_actions_are_the_owners(action: str, place: str, office: Office, world: World) -> None:
    did = getattr(office, place)()
    order = [c for c in CALLERS if c != "a"] + ["a"]
    got = {
        c: world.http.post(
            f"{S}/dossiers/{did}/actions/{action}", json={}, headers=office.who(c).headers
        ).status_code
        for c in order
    }
    assert got == CITIZENS_OWN


def test_a_leader_never_approves_their_own_proposal(office: Office, world: World) -> None:
    """Someone holding both roles proposes: another leader must approve."""
    both = office._staff("specialist and leader X", ["specialist", "leader"])
    did = office.submitted()
    office.act(office.desk, did, "accept", json={"assignee": both.user_id})
    office.act(both, did, "start")
    office.propose(both, did)
    r = world.http.post(f"{S}/dossiers/{did}/actions/approve", json={}, headers=both.headers)
    assert r.status_code == 403 and r.json()["code"] == "own-proposal"
    assert office.act(office.boss, did, "approve")["status"] == "finished"
