"""The people and records the security tests play with, made once per run through the gateway of the
test stack (``stack``): an administrator, two citizens (A and B), two officers of two agencies, and
citizen A's dossiers in the states the tests need (``records``). Officers and the administrator sign in
with their second factor (devstack.client: pyotp codes; officers enrol at their first sign-in). Everything is made through the public
API, the way tests/system/test_filing.py and test_lifecycle.py do it; MongoDB is read for what the API
does not show (``World.snapshot``: what a refused or someone else's call must leave as it was)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from devstack import client
from devstack.client import admin_totp_secret, sign_in_sync, wait_code
from devstack.config import SERVICES
from devstack.testing import CAPTCHA_TEST_ANSWER

S = "/api/v1/submissions"
PAY = "/api/v1/payments"
PROCEDURE = "1.004194"  # temporary residence registration: fileable, commune police receive it
AGENCY_X = "000.01.H1.H26"  # Công an phường Kiến An: citizen A's dossiers go here
AGENCY_Y = "000.01.G4.H26"  # another ward's police: its officer must see nothing of A's


def pdf(n: int = 2000) -> bytes:
    return b"%PDF-1.4\n" + b"x" * n


# Access tokens live 15 minutes (AUTH_ACCESS_TTL_SECONDS); the run's people are made once and a slow run
# outlives them. Past this age a person's next request first rotates the refresh token, as an app would.
RENEW_AFTER_SECONDS = 600


@dataclass
class Who:
    """One principal: a name for tables, its token (None: anonymous) and account; with ``refresh`` and
    ``http``, a token that renews itself before it expires."""

    name: str
    token: str | None = None
    user_id: str | None = None
    person: dict[str, Any] = field(default_factory=dict)
    refresh: str = field(default="", repr=False)
    http: httpx.Client | None = field(default=None, repr=False)
    issued: float = field(default_factory=time.monotonic, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        if self.token and self.refresh and self.http is not None:
            if time.monotonic() - self.issued > RENEW_AFTER_SECONDS:
                self.renew()
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def renew(self) -> None:
        """A fresh pair from the refresh token; one refused (the session was ended on purpose by a test)
        leaves the old token, so what the test meant to see still shows."""
        assert self.http is not None
        r = self.http.post("/api/v1/auth/refresh", json={"refresh_token": self.refresh})
        if r.status_code == 200:
            self.token, self.refresh = r.json()["access_token"], r.json()["refresh_token"]
        self.issued = time.monotonic()


@dataclass
class World:
    url: str
    http: httpx.Client
    mongo: dict[str, MongoClient]  # a client of each service's server
    stack: Any
    anon: Who = field(default_factory=lambda: Who("anonymous"))
    a: Who = field(default_factory=lambda: Who("citizen A"))
    b: Who = field(default_factory=lambda: Who("citizen B"))
    officer_x: Who = field(default_factory=lambda: Who("officer X"))
    officer_y: Who = field(default_factory=lambda: Who("officer Y"))
    leader_x: Who = field(default_factory=lambda: Who("leader X"))  # approves what officer X proposes
    admin: Who = field(default_factory=lambda: Who("admin"))
    fuzzer: Who | None = None  # test_fuzz's own citizen
    spare: Who | None = None  # citizen C, whose password and refresh token test_authz passes around
    spare_refresh: str = ""
    org: dict[str, Any] = field(default_factory=dict)  # citizen A's organisation and its members (``org``)
    fuzz_sessions: Who | None = None  # test_fuzz's citizen for the sessions operations (they end sessions)
    a_session: str = ""  # a session of A's that test_authz offers everyone to end

    # -- databases: snapshots and counts for "nothing changed" (read only, but for one account removal) --
    def db(self, service: str) -> Any:
        return self.mongo[service][self.stack.db_name(service)]

    # -- people --------------------------------------------------------------------------------------
    def login(self, username: str, password: str, totp: str = "") -> dict[str, Any]:
        """The token pair after the whole sign-in (an officer's or administrator's with the TOTP code
        of ``totp``; enrolled now when it has none yet: the secret is then ``["totp_secret"]``)."""
        tokens, factor = sign_in_sync(self.http, username, password, totp)
        return {**tokens, "totp_secret": factor.secret, "recovery_codes": factor.recovery_codes}

    def code(self, to: str, since: datetime) -> str:
        """The newest code sent to a phone or an email address since ``since``: what the person reads."""
        return wait_code(self.db("notify").sms_dev_outbox, self.stack.infra.mail_dir, to, since)

    def register(self, person: dict[str, Any]) -> dict[str, Any]:
        """A citizen account made as a person makes one: ask, the SMS code, confirm, the email's code."""
        since = datetime.now(UTC)
        r = self.http.post("/api/v1/auth/register", json=person)
        assert r.status_code == 202, r.text
        confirm = {
            "citizen_id": person["citizen_id"],
            "phone": person["phone"],
            "code": self.code(person["phone"], since),
        }
        r = self.http.post("/api/v1/auth/register/confirm", json=confirm)
        assert r.status_code == 201, r.text
        user = r.json()
        if person.get("email"):
            token = self.login(person["citizen_id"], person["password"])["access_token"]
            r = self.http.post(
                "/api/v1/auth/me/contact/confirm",
                json={"channel": "email", "code": self.code(person["email"], since)},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert r.status_code == 200, r.text
            user = r.json()
        return user

    def citizen(self, name: str, full_name: str = "Nguyễn Thị Hoa") -> Who:
        person = client.sign_up(client.new_person(full_name), "Bach-Dang-Giang-1288")
        user = self.register(person)
        tokens = self.login(person["citizen_id"], person["password"])
        return Who(name, tokens["access_token"], user["id"], person, tokens["refresh_token"], self.http)

    def officer(self, name: str, agency: str, roles: list[str] | None = None) -> Who:
        """Staff of ``agency``: with ``roles`` (reception, specialist, leader, admin), or the old single
        role "officer" (every agency role) when none are given."""
        n = uuid.uuid4().hex[:10]
        body: dict[str, Any] = {
            "full_name": "Trần Văn Một Cửa",
            "agencies": [agency],
            "username": f"canbo{n}",
            "password": "Mot-Cua-Hai-Phong-7",
        }
        body |= {"roles": roles} if roles else {"role": "officer"}
        r = self.http.post("/api/v1/auth/users", json=body, headers=self.admin.headers)
        assert r.status_code == 201, r.text
        tokens = self.login(body["username"], body["password"])  # the first sign-in: enrolled
        person = {**body, "totp_secret": tokens["totp_secret"], "recovery_codes": tokens["recovery_codes"]}
        return Who(name, tokens["access_token"], r.json()["id"], person, tokens["refresh_token"], self.http)

    # -- dossiers ------------------------------------------------------------------------------------
    def draft(self, who: Who, agency: str = AGENCY_X, procedure: str = PROCEDURE) -> dict[str, Any]:
        r = self.http.post(
            f"{S}/dossiers", json={"procedure_code": procedure, "agency_code": agency}, headers=who.headers
        )
        assert r.status_code == 201, r.text
        d = r.json()
        p = who.person
        me = client.submitter(
            p, date_of_birth="1985-05-13", address="Số 5 Trần Thành Ngọ, phường Kiến An, Hải Phòng"
        )
        applicant = {"submitter": me}
        r = self.http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=who.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def upload(self, who: Who, dossier_id: str, component: str, name: str = "tờ khai.pdf") -> dict[str, Any]:
        r = self.http.post(
            f"{S}/dossiers/{dossier_id}/attachments",
            headers=who.headers,
            data={"component_id": component},
            files={"file": (name, pdf(), "application/pdf")},
        )
        assert r.status_code == 201, r.text
        return r.json()

    def captcha(self, who: Who) -> str:
        r = self.http.post(f"{S}/captcha", headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()["captcha_id"]

    def file(self, who: Who, agency: str = AGENCY_X) -> dict[str, Any]:
        """A submitted dossier (status 1) of ``who``: draft, files for every required component, submit."""
        d = self.draft(who, agency)
        for m in d["missing"]:
            if m["item"].startswith("component:"):
                self.upload(who, d["id"], m["item"].split(":", 1)[1])
        r = self.http.post(
            f"{S}/dossiers/{d['id']}/submit",
            headers=who.headers,
            json={"captcha_id": self.captcha(who), "captcha_answer": CAPTCHA_TEST_ANSWER},
        )
        assert r.status_code == 200, r.text
        return self.http.get(f"{S}/dossiers/{d['id']}", headers=who.headers).json()

    def act(self, who: Who, dossier_id: str, action: str, **kw: Any) -> dict[str, Any]:
        r = self.http.post(f"{S}/dossiers/{dossier_id}/actions/{action}", headers=who.headers, **kw)
        assert r.status_code == 200, (action, r.text)
        return r.json()

    def withdrawn(self, who: Who) -> dict[str, Any]:
        """A dossier ``who`` filed and withdrew (status 7: it may be rated)."""
        return self.act(who, self.file(who)["id"], "withdraw", json={"note": "Nộp nhầm"})

    def accepted(self, who: Who) -> dict[str, Any]:
        """A dossier of ``who`` that officer X accepted (status 2: it has a receipt)."""
        return self.act(self.officer_x, self.file(who)["id"], "accept")

    def finished(self, who: Who) -> dict[str, Any]:
        """A dossier of ``who`` that officer X decided with a result document, approved (and signed) by
        leader X (status 9)."""
        d = self.accepted(who)
        self.act(self.officer_x, d["id"], "start")
        self.act(
            self.officer_x,
            d["id"],
            "propose",
            data={"note": "Đã giải quyết", "outcome": "grant"},
            files={"file": ("kết quả.pdf", client.result_pdf(), "application/pdf")},
        )
        return self.act(self.leader_x, d["id"], "approve")

    def filing_order(self, who: Who, dossier_id: str) -> dict[str, Any]:
        """The filing-fee order of ``who``'s dossier (made when the payment service has heard of it)."""
        deadline = time.monotonic() + 30
        while True:
            r = self.http.post(
                f"{PAY}/dossiers/{dossier_id}/orders", json={"purpose": "filing"}, headers=who.headers
            )
            if r.status_code in (200, 201):
                return r.json()
            assert time.monotonic() < deadline and r.status_code == 404, r.text
            time.sleep(0.2)

    def paid_order(self, who: Who, dossier_id: str) -> dict[str, Any]:
        """That order, paid through the provider's sandbox (its notification applied, and the payment
        recorded on the dossier: submission learns of it by an event, which bumps the dossier's revision;
        a test's snapshot taken before that would see the revision move under it)."""
        order = self.filing_order(who, dossier_id)
        dossiers = self.db("submission").dossiers
        rev = dossiers.find_one({"_id": dossier_id})["rev"]
        r = self.http.post(f"{PAY}/orders/{order['id']}/pay", headers=who.headers)
        assert r.status_code == 200, r.text
        query = r.json()["url"].split("?", 1)[1]
        r = httpx.post(
            f"{self.stack.infra.paysandbox_url}/sandbox/pay/{order['id']}",
            json={"query": query, "result": "success"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        deadline = time.monotonic() + 30
        while (got := self.http.get(f"{PAY}/orders/{order['id']}", headers=who.headers).json())[
            "state"
        ] != "paid":
            assert time.monotonic() < deadline, got
            time.sleep(0.2)
        while dossiers.find_one({"_id": dossier_id})["rev"] == rev:
            assert time.monotonic() < deadline, "the payment never reached the dossier"
            time.sleep(0.2)
        return got

    def ticket(self, who: Who) -> str:
        r = self.http.post("/api/v1/notifications/stream-ticket", headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()["ticket"]

    # -- what a test must not change ---------------------------------------------------------------
    def snapshot(self, who: Who) -> dict[str, Any]:
        """Everything of ``who``'s that another caller could change by mistake: the account, each dossier
        (status, revision, files, results), the notifications already read, the channels chosen and the
        devices subscribed to push notifications.
        Notifications that arrive meanwhile (events are asynchronous) come unread and change nothing."""
        user = self.db("auth").users.find_one({"_id": who.user_id}) or {}
        dossiers = {
            d["_id"]: (d["status"], d.get("rev"), len(d.get("attachments", [])), len(d.get("results", [])))
            for d in self.db("submission").dossiers.find({"owner_id": who.user_id})
        }
        read = {
            n["_id"] for n in self.db("notify").notifications.find({"user_id": who.user_id, "read": True})
        }
        contact = self.db("notify").contacts.find_one({"_id": who.user_id}) or {}
        devices = sorted(
            d["_id"] for d in self.db("notify").push_subscriptions.find({"user_id": who.user_id})
        )
        orgs = {
            o["_id"]: (
                o["tax_code"],
                o.get("version"),
                sorted((m["user_id"], m["role"]) for m in o["members"]),
            )
            for o in self.db("auth").organisations.find({"members.user_id": who.user_id})
        }
        keep = ("phone", "email", "full_name", "locked", "roles", "agencies", "password_hash", "mfa")
        return {
            "user": {k: user.get(k) for k in keep},
            "dossiers": dossiers,
            "read": read,
            "prefs": contact.get("prefs"),
            "push_devices": devices,
            "organisations": orgs,
        }


def tax_code() -> str:
    return f"02{uuid.uuid4().int % 10**8:08d}"


@pytest.fixture(scope="session")
def org(world: World) -> dict[str, Any]:
    """Citizen A verified through the development VNeID provider (the account linked with its password),
    A's organisation (A its representative), its staff member S, its viewer V and a member to remove
    (T); citizen F with an account to add. Every token taken after the memberships were made."""
    a = world.a
    idp = f"http://127.0.0.1:{world.stack.cfg.idp_port}"
    client.vneid_verify(
        world.http,
        idp,
        citizen_id=a.person["citizen_id"],
        full_name=a.person["full_name"],
        password=a.person["password"],
    )
    a.token = world.login(a.person["citizen_id"], a.person["password"])["access_token"]
    body = {
        "tax_code": tax_code(),
        "name": "Công ty TNHH Thương mại Lê An",
        "address": "Số 9 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng",
        "legal_representative": {"full_name": a.person["full_name"], "citizen_id": a.person["citizen_id"]},
    }
    r = world.http.post("/api/v1/auth/organisations", json=body, headers=a.headers)
    assert r.status_code == 201, r.text
    made = r.json()
    people = {}
    for key, role in (("staff", "staff"), ("viewer", "viewer"), ("leaving", "viewer"), ("joining", None)):
        who = world.citizen(f"organisation {key}", "Hoàng Văn Thành")
        if role:
            r = world.http.post(
                f"/api/v1/auth/organisations/{made['id']}/members",
                json={"login": who.person["citizen_id"], "role": role},
                headers=a.headers,
            )
            assert r.status_code == 201, r.text
            who.token = world.login(who.person["citizen_id"], who.person["password"])["access_token"]
        people[key] = who
    a.token = world.login(a.person["citizen_id"], a.person["password"])["access_token"]
    draft = world.http.post(
        f"{S}/dossiers",
        json={"procedure_code": PROCEDURE, "agency_code": AGENCY_X, "organisation_id": made["id"]},
        headers=a.headers,
    )
    assert draft.status_code == 201, draft.text
    world.org = {**made, **people, "draft": draft.json()["id"], "body": body}
    return world.org


@dataclass
class Records:
    """Citizen A's records, one for each state the tests need. Tests that change one (an allowed
    delete, submit or action) have one of their own here, so the order tests run in does not matter."""

    draft: dict[str, Any]  # submitter given, two files for one component: steps 1 to 3
    spare_file: str  # an attachment of ``draft`` the owner may remove
    to_delete: dict[str, Any]  # a draft
    to_submit: dict[str, Any]  # a complete draft
    submitted: dict[str, Any]  # status 1, with files
    to_accept: dict[str, Any]  # status 1
    to_withdraw: dict[str, Any]  # status 1
    to_rate: dict[str, Any]  # status 7, not rated
    accepted: dict[str, Any]  # status 2: a receipt
    finished: dict[str, Any]  # status 9: a result document
    order: dict[str, Any]  # the filing-fee order of ``submitted``, not paid
    paid: dict[str, Any]  # the filing-fee order of ``accepted``, paid (it has an e-receipt)
    notification: str  # one of A's notifications, unread

    @property
    def ids(self) -> set[str]:
        dossiers = (self.draft, self.to_delete, self.to_submit, self.submitted, self.to_accept)
        return {d["id"] for d in (*dossiers, self.to_withdraw, self.to_rate, self.accepted, self.finished)}


@pytest.fixture(scope="session")
def world(stack) -> Iterator[World]:
    """Administrator, citizens A and B, officers of agencies X and Y, made once for the security tests."""
    # A client of each service's server (one MongoDB a service, as `make up` runs them).
    mongo = {
        s.name: MongoClient(stack.mongo_url_for(s.name), serverSelectionTimeoutMS=5000) for s in SERVICES
    }
    try:
        with httpx.Client(base_url=stack.url, timeout=60) as http:
            w = World(stack.url, http, mongo, stack)
            secret = stack.cfg.admin_totp_secret or admin_totp_secret()
            admin = w.login(stack.cfg.admin_username, stack.cfg.admin_password, secret)
            person = {"username": stack.cfg.admin_username, "totp_secret": secret}
            w.admin = Who("admin", admin["access_token"], None, person, admin["refresh_token"], http)
            w.admin.user_id = http.get("/api/v1/auth/me", headers=w.admin.headers).json()["id"]
            w.a = w.citizen("citizen A", "Lê Thị An")
            w.b = w.citizen("citizen B", "Phạm Văn Bình")
            w.officer_x = w.officer("officer X", AGENCY_X)
            w.officer_y = w.officer("officer Y", AGENCY_Y)
            w.leader_x = w.officer("leader X", AGENCY_X)
            yield w
    finally:
        for c in mongo.values():
            c.close()


@pytest.fixture(scope="session")
def records(world: World) -> Records:
    """Citizen A's dossiers, files and a notification, made once through the API."""
    a = world.a
    draft = world.draft(a)
    component = next(
        m["item"].split(":", 1)[1] for m in draft["missing"] if m["item"].startswith("component:")
    )
    world.upload(a, draft["id"], component)
    spare = world.upload(a, draft["id"], component, "bản sao.pdf")["id"]
    to_submit = world.draft(a)
    for m in to_submit["missing"]:
        if m["item"].startswith("component:"):
            world.upload(a, to_submit["id"], m["item"].split(":", 1)[1])
    submitted = world.file(a)

    def first_notification() -> str | None:
        r = world.http.get("/api/v1/notifications", headers=a.headers)
        items = [n for n in r.json()["items"] if not n["read"]]
        return items[0]["id"] if items else None

    deadline = time.monotonic() + 15
    while not (note := first_notification()):  # "submitted" reaches notify through the broker
        assert time.monotonic() < deadline, "no notification for citizen A"
        time.sleep(0.1)
    accepted = world.accepted(a)
    return Records(
        draft=world.http.get(f"{S}/dossiers/{draft['id']}", headers=a.headers).json(),
        spare_file=spare,
        to_delete=world.draft(a),
        to_submit=to_submit,
        submitted=submitted,
        to_accept=world.file(a),
        to_withdraw=world.file(a),
        to_rate=world.withdrawn(a),
        accepted=accepted,
        finished=world.finished(a),
        order=world.filing_order(a, submitted["id"]),
        paid=world.paid_order(a, accepted["id"]),
        notification=note,
    )
