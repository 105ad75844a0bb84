"""The authorisation matrix: every operation of the API document (gateway/apidocs/openapi.json) called by
anonymous, citizen A, citizen B, officer X (of the agency A's dossiers go to), officer Y (of another
agency) and the administrator, on citizen A's records. Each cell is the exact status the gateway and the
service answer. A new operation without a row fails (``test_every_operation_has_a_row...``).

After every call by anyone but A (or officer X acting on A's dossier), A's records are as they were: a
refusal changes nothing, and an allowed call on the caller's own things touches nothing of A's. An
allowed answer names nothing of A's unless its caller may see it (SEES_A)."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from devstack import client
from devstack.client import TEST_PROCEDURE, scope_of, totp_code
from devstack.config import DEV_OAUTH_CLIENT, ROOT
from devstack.testing import CAPTCHA_TEST_ANSWER

from .conftest import AGENCY_X, AGENCY_Y, PROCEDURE, Records, S, Who, World, pdf

DOC = json.loads((ROOT / "gateway" / "apidocs" / "openapi.json").read_text())
METHODS = {"get", "put", "post", "patch", "delete"}
OPERATIONS = [f"{m.upper()} {p}" for p, ops in DOC["paths"].items() for m in ops if m in METHODS]
WHO = ("anon", "a", "b", "x", "y", "admin")  # the order of the columns below
STALE = "v0"  # no procedure has version 0: an administrator's change stops at the version check (412)

Call = Callable[[World, Records, Who], httpx.Response]
PAY = "/api/v1/payments"
NO_ORDER = uuid.uuid4().hex  # an order nobody has
REP = "/api/v1/reporting"
AUD = "/api/v1/audit"
UNIT_X = {"unit": f"agency:{AGENCY_X}"}
OAUTH = "/api/v1/auth/oauth"
DEV_APP = DEV_OAUTH_CLIENT["client_id"]  # the stack's development app (devstack.config)


def app_request(**over: str) -> dict[str, str]:
    """An app's authorization request (PKCE S256) to the stack's development app's loopback redirect."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 43).digest()).rstrip(b"=").decode()
    return {
        "response_type": "code",
        "client_id": DEV_APP,
        "redirect_uri": "http://127.0.0.1:5555/callback",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "matrix",
        **over,
    }


SCORES = {"overall": 5, "reception": 5, "guidance": 4, "time": 4, "result": 5, "comment": "Nhanh, gọn"}


@dataclass
class Row:
    expect: dict[str, int]
    call: Call


def row(statuses: str, call: Call) -> Row:
    """``row("401 200 404 403 403 403", call)``: one status for each of WHO."""
    codes = [int(s) for s in statuses.split()]
    assert len(codes) == len(WHO)
    return Row(dict(zip(WHO, codes, strict=True)), call)


def get(path: str, **kw: Any) -> Call:
    return lambda w, r, who: w.http.get(path.format(r=r, w=w), headers=who.headers, **kw)


def post(path: str, **kw: Any) -> Call:
    return lambda w, r, who: w.http.post(path.format(r=r, w=w), headers=who.headers, **kw)


def send(method: str, path: str, **kw: Any) -> Call:
    return lambda w, r, who: w.http.request(method, path.format(r=r, w=w), headers=who.headers, **kw)


_addresses = itertools.count(1)


def proving(method: str, path: str, **kw: Any) -> Call:
    """A call that gives a wrong current password: auth counts it against the client's address like a
    failed sign-in, so each comes from an address of its own (X-Forwarded-For, believed from 127.0.0.1 by
    the test gateway); from 127.0.0.1 they would add up to a lockout of every later test's sign-in."""

    def call(w: World, r: Records, who: Who) -> httpx.Response:
        n = next(_addresses)
        headers = {**who.headers, "X-Forwarded-For": f"10.78.{n // 250 % 250}.{n % 250 + 1}"}
        return w.http.request(method, path.format(r=r, w=w), headers=headers, **kw)

    return call


def stale(method: str, path: str, **kw: Any) -> Call:
    """An administrator's change to the catalogue with an If-Match no version has. Accepted changes
    rebuild the search index of 6,600 procedures (seconds of CPU each) and change what other tests
    read: the administrator's cell shows the role check let them through to the version check."""

    def call(w: World, r: Records, who: Who) -> httpx.Response:
        headers = {**who.headers, "If-Match": f'"{PROCEDURE}-{STALE}"'}
        return w.http.request(method, path.format(r=r, w=w), headers=headers, **kw)

    return call


def calendar_change(w: World, r: Records, who: Who) -> httpx.Response:
    """An administrator's change of a year's calendar with an If-Match no version has: the role check lets
    the administrator through to the version check (412), and the stack's calendar stays as it was."""
    headers = {**who.headers, "If-Match": '"calendar-2031-v999"'}
    return w.http.put(f"{S}/calendar/2031", json={"days_off": ["2031-05-02"]}, headers=headers)


def person() -> dict[str, str]:
    return client.sign_up(client.new_person("Đinh Văn Mới", email=False), "Cat-Ba-Island-2026")


def register(w: World, r: Records, who: Who) -> httpx.Response:
    return w.http.post("/api/v1/auth/register", json=person(), headers=who.headers)


def confirm_registration(w: World, r: Records, who: Who) -> httpx.Response:
    body = {"citizen_id": w.a.person["citizen_id"], "phone": w.a.person["phone"], "code": "000000"}
    return w.http.post("/api/v1/auth/register/confirm", json=body, headers=who.headers)


def login(w: World, r: Records, who: Who) -> httpx.Response:
    c = w.spare
    return w.http.post(
        "/api/v1/auth/login",
        json={"username": c.person["citizen_id"], "password": c.person["password"]},
        headers=who.headers,
    )


def refresh(w: World, r: Records, who: Who) -> httpx.Response:
    # Each caller presents the refresh token the previous one got: whoever holds it may use it once.
    got = w.http.post("/api/v1/auth/refresh", json={"refresh_token": w.spare_refresh}, headers=who.headers)
    if got.status_code == 200:
        w.spare_refresh = got.json()["refresh_token"]
    return got


def a_live(w: World, session_id: str) -> bool:
    tokens = w.db("auth").refresh_tokens
    return tokens.find_one({"family": session_id, "revoked": False, "used_at": None}) is not None


def end_a_session(w: World, r: Records, who: Who) -> httpx.Response:
    """One of A's sessions (a sign-in of its own, made when there is none live): A may end it; for anyone
    else it is not found, and stays signed in."""
    if not w.a_session or not a_live(w, w.a_session):
        tokens = w.login(w.a.person["citizen_id"], w.a.person["password"])
        w.a_session = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    got = w.http.delete(f"/api/v1/auth/sessions/{w.a_session}", headers=who.headers)
    if who is not w.a:
        assert a_live(w, w.a_session), f"{who.name} ended a session of A's"
    return got


def reset(w: World, r: Records, who: Who) -> httpx.Response:
    # A's account with a made-up code: the code sent to A's phone or email is the credential.
    body = {"username": w.a.person["citizen_id"], "code": "000000", "new_password": "Lay-Mat-Khau-99!"}
    return w.http.post("/api/v1/auth/password/reset", json=body, headers=who.headers)


def track(w: World, r: Records, who: Who) -> httpx.Response:
    params = {"code": r.submitted["code"], "phone": w.a.person["phone"]}
    return w.http.get(f"{S}/track", params=params, headers=who.headers)


def new_officer(w: World, r: Records, who: Who) -> httpx.Response:
    body = {
        "full_name": "Ngô Thị Cán Bộ",
        "role": "officer",
        "agencies": [AGENCY_X],
        "username": f"cb{uuid.uuid4().hex[:10]}",
        "password": "Mot-Cua-Hai-Phong-8",
    }
    return w.http.post("/api/v1/auth/users", json=body, headers=who.headers)


# -- the second step of a staff sign-in: the MFA ticket of the password step is the credential, whoever
# sends it. Each call has an officer of its own (wrong and replayed codes count towards the account's
# lockout; a code works once), made and enrolled by the administrator's API, as in production.
def staff_ticket(w: World, *, enrol: bool) -> tuple[Who, str]:
    """A new officer's MFA ticket: enrolled already (``enrol`` False: its ticket asks for a code), or
    not (its first sign-in: the ticket enrols)."""
    username, password = f"cb{uuid.uuid4().hex[:10]}", "Mot-Cua-Hai-Phong-9"
    if enrol:
        body = {"full_name": "Hồ Văn Hai Bước", "role": "officer", "agencies": [AGENCY_X]}
        body |= {"username": username, "password": password}
        made = w.http.post("/api/v1/auth/users", json=body, headers=w.admin.headers)
        assert made.status_code == 201, made.text
        who = Who("new officer", None, made.json()["id"], body)
    else:
        who = w.officer("new officer", AGENCY_X)
        username, password = who.person["username"], who.person["password"]
    got = w.http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert got.status_code == 200 and got.json()["mfa"] == ("enrol" if enrol else "totp"), got.text
    return who, got.json()["mfa_token"]


def expire(w: World, ticket: str) -> None:
    """The ticket's time runs out (kept by its digest; moved 10 minutes back rather than waited for)."""
    digest = hashlib.sha256(ticket.encode()).hexdigest()
    past = datetime.now(UTC) - timedelta(minutes=10)
    assert w.db("auth").mfa_tickets.update_one({"_id": digest}, {"$set": {"expires_at": past}}).modified_count


def code_step(w: World, r: Records, who: Who) -> httpx.Response:
    """Another officer's ticket with that officer's right code: the caller's own token plays no part."""
    officer, ticket = staff_ticket(w, enrol=False)
    code = totp_code(officer.person["totp_secret"], scope_of(w.http))
    return w.http.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": ticket, "code": code}, headers=who.headers
    )


def replayed_code(w: World, r: Records, who: Who) -> httpx.Response:
    """The code an officer just signed in with, sent again with a new ticket of theirs."""
    officer, first = staff_ticket(w, enrol=False)
    code = totp_code(officer.person["totp_secret"], scope_of(w.http))
    assert w.http.post("/api/v1/auth/login/mfa", json={"mfa_token": first, "code": code}).status_code == 200
    body = {"username": officer.person["username"], "password": officer.person["password"]}
    again = w.http.post("/api/v1/auth/login", json=body).json()["mfa_token"]
    return w.http.post("/api/v1/auth/login/mfa", json={"mfa_token": again, "code": code}, headers=who.headers)


def expired_ticket(w: World, r: Records, who: Who) -> httpx.Response:
    officer, ticket = staff_ticket(w, enrol=False)
    expire(w, ticket)
    code = totp_code(officer.person["totp_secret"], scope_of(w.http))
    return w.http.post(
        "/api/v1/auth/login/mfa", json={"mfa_token": ticket, "code": code}, headers=who.headers
    )


def citizens_ticket(path: str, **extra: str) -> Call:
    """Citizen A's refresh token sent as a ticket: a citizen has none, and no token of A's is one."""

    def call(w: World, r: Records, who: Who) -> httpx.Response:
        refresh = w.login(w.a.person["citizen_id"], w.a.person["password"])["refresh_token"]
        return w.http.post(path, json={"mfa_token": refresh, **extra}, headers=who.headers)

    return call


def enrol(w: World, r: Records, who: Who) -> httpx.Response:
    _, ticket = staff_ticket(w, enrol=True)
    return w.http.post("/api/v1/auth/mfa/totp", json={"mfa_token": ticket}, headers=who.headers)


def enrol_with_a_code_ticket(w: World, r: Records, who: Who) -> httpx.Response:
    """A ticket that asks for a code (the officer has enrolled) opens no second enrolment."""
    _, ticket = staff_ticket(w, enrol=False)
    return w.http.post("/api/v1/auth/mfa/totp", json={"mfa_token": ticket}, headers=who.headers)


def expired_enrolment(w: World, r: Records, who: Who) -> httpx.Response:
    _, ticket = staff_ticket(w, enrol=True)
    expire(w, ticket)
    return w.http.post("/api/v1/auth/mfa/totp", json={"mfa_token": ticket}, headers=who.headers)


def first_code(w: World, r: Records, who: Who) -> httpx.Response:
    _, ticket = staff_ticket(w, enrol=True)
    made = w.http.post("/api/v1/auth/mfa/totp", json={"mfa_token": ticket})
    assert made.status_code == 200, made.text
    code = totp_code(made.json()["secret"], scope_of(w.http))
    return w.http.post(
        "/api/v1/auth/mfa/totp/verify", json={"mfa_token": ticket, "code": code}, headers=who.headers
    )


def reset_officer(w: World, r: Records, who: Who) -> httpx.Response:
    officer = w.officer("officer to reset", AGENCY_X)
    return w.http.delete(f"/api/v1/auth/users/{officer.user_id}/mfa", headers=who.headers)


def default_specialist_x(w: World, r: Records, who: Who) -> httpx.Response:
    body = {"user_id": w.officer_x.user_id}
    return w.http.put(f"/api/v1/auth/agencies/{AGENCY_X}/default-specialist", json=body, headers=who.headers)


def submit(w: World, r: Records, who: Who) -> httpx.Response:
    captcha = w.captcha(w.a)  # officers may not ask for one; the captcha is not what is refused
    body = {"captcha_id": captcha, "captcha_answer": CAPTCHA_TEST_ANSWER}
    return w.http.post(f"{S}/dossiers/{r.to_submit['id']}/submit", json=body, headers=who.headers)


def upload(w: World, r: Records, who: Who) -> httpx.Response:
    component = r.draft["procedure"]["components"][0]["id"]
    return w.http.post(
        f"{S}/dossiers/{r.draft['id']}/attachments",
        headers=who.headers,
        data={"component_id": component},
        files={"file": ("thêm.pdf", pdf(), "application/pdf")},
    )


TUS = {"Tus-Resumable": "1.0.0"}


def tus_create(w: World, r: Records, who: Who) -> httpx.Response:
    """A tus upload on A's draft (resumable uploads, docs/submission.md)."""
    data = pdf()
    pairs = {
        "dossier_id": r.draft["id"],
        "component_id": r.draft["procedure"]["components"][0]["id"],
        "filename": "thêm.pdf",
    }
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())
    headers = {**who.headers, **TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta}
    return w.http.post(f"{S}/uploads", headers=headers)


def _a_upload(w: World, r: Records) -> str:
    made = tus_create(w, r, w.a)
    assert made.status_code == 201, made.text
    return made.headers["location"]


def tus_patch(w: World, r: Records, who: Who) -> httpx.Response:
    headers = {**who.headers, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
    return w.http.patch(_a_upload(w, r), content=pdf(), headers=headers)


def tus_terminate(w: World, r: Records, who: Who) -> httpx.Response:
    return w.http.delete(_a_upload(w, r), headers={**who.headers, **TUS})


def stream(w: World, r: Records, who: Who) -> httpx.Response:
    # A fresh ticket of A's each time: the one-time ticket is the credential (EventSource sends no
    # header), so whoever holds it opens A's stream. Only the status is read; the stream stays open.
    with w.http.stream("GET", "/api/v1/notifications/stream", params={"ticket": w.ticket(w.a)}) as got:
        if got.status_code != 200:
            got.read()  # a refusal is short: keep it for the assertions
        return got


PUSH = "/api/v1/notifications/push"
_a_device: dict[str, str] = {}


def push_subscribe(w: World, r: Records, who: Who) -> httpx.Response:
    """A new device of the caller's: a subscription made on the test stack's local push service."""
    return w.http.post(PUSH + "/subscriptions", json=w.stack.infra.push_subscription(), headers=who.headers)


def push_unsubscribe_a(w: World, r: Records, who: Who) -> httpx.Response:
    """Everyone names A's device (subscribed by A in ``spare``, before any snapshot)."""
    return w.http.delete(PUSH + "/subscriptions", params=_a_device, headers=who.headers)


def applicant(w: World, r: Records, who: Who) -> httpx.Response:
    p = w.a.person
    body = {
        "submitter": {
            "full_name": p["full_name"],
            "citizen_id": p["citizen_id"],
            "date_of_birth": "1985-05-13",
            "phone": p["phone"],
            "address": "Số 9 Trần Nhân Tông, phường Kiến An, Hải Phòng",
        }
    }
    return w.http.put(f"{S}/dossiers/{r.draft['id']}/applicant", json=body, headers=who.headers)


def new_organisation(w: World, r: Records, who: Who) -> httpx.Response:
    """Citizen A's details as its legal representative, with a new tax code: only A (verified through
    VNeID, holding that citizen ID) may register it; B, unverified, is refused as a hostile claim."""
    body = {**w.org["body"], "tax_code": f"03{uuid.uuid4().int % 10**8:08d}"}
    return w.http.post(ORGS, json=body, headers=who.headers)


def org_applicant(w: World, r: Records, who: Who) -> httpx.Response:
    a = w.a.person
    body = {
        "submitter": {
            "full_name": a["full_name"],
            "citizen_id": a["citizen_id"],
            "date_of_birth": "1990-01-01",
            "phone": a["phone"],
            "address": "Số 9 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng",
        }
    }
    return w.http.put(f"{D}/{w.org['draft']}/applicant", json=body, headers=who.headers)


A_PROCEDURE = {**TEST_PROCEDURE, "code": PROCEDURE}  # valid, and the code exists: 409 for the administrator
# A valid agency (officer X's, a commune police): with a stale If-Match nothing is changed.
A_TERM = {"kind": "everyday", "terms": ["sổ hồng"], "means": ["giấy chứng nhận quyền sử dụng đất"]}
AN_AGENCY = {
    "name": "Công an phường Kiến An",
    "kind": "police",
    "level": "commune",
    "parent_code": "000.00.H1.H26",
    "parent_name": "CÔNG AN THÀNH PHỐ HẢI PHÒNG",
    "ward_code": "11443",
    "commune": "Phường Kiến An",
}
D = S + "/dossiers"
STAFF_X = f"/api/v1/auth/agencies/{AGENCY_X}/staff"
DEFAULT_X = f"/api/v1/auth/agencies/{AGENCY_X}/default-specialist"
DEFAULT_Y = f"/api/v1/auth/agencies/{AGENCY_Y}/default-specialist"
ORGS = "/api/v1/auth/organisations"
ORG = ORGS + "/{w.org[id]}"
ATT = "{r.submitted[attachments][0][id]}"

# Statuses for:  anon  A   B   X   Y  admin.
MATRIX: dict[str, list[Row]] = {
    # -- auth: public operations carry their own credential (a password, a refresh token, a code) ---------
    # The same answer for anyone, whether or not the ID or phone has an account (the code goes to the phone).
    "POST /api/v1/auth/register": [row("202 202 202 202 202 202", register)],
    # A's ID and phone with a made-up code: the code sent to the phone is the credential.
    "POST /api/v1/auth/register/confirm": [row("400 400 400 400 400 400", confirm_registration)],
    "GET /api/v1/auth/me": [row("401 200 200 200 200 200", get("/api/v1/auth/me"))],
    # Signed in, yet the current password is wrong: a stolen token alone changes no email or phone.
    "PATCH /api/v1/auth/me": [
        row(
            "401 400 400 400 400 400",
            proving(
                "PATCH",
                "/api/v1/auth/me",
                json={"current_password": "Khong-Phai-Mat-Khau-1", "email": "ke.gian@example.vn"},
            ),
        )
    ],
    # A citizen's data export (docs/auth.md, "Your data"): their own, only theirs; staff accounts are not
    # exported this way. Each service's part is asked with the caller's token (audit's part: the audit
    # service of issue 22, part A, which must be on the stack).
    "GET /api/v1/auth/me/export": [row("401 200 200 403 403 403", get("/api/v1/auth/me/export"))],
    # Closing an account: the current password (wrong here) guards it; staff accounts are not closed so.
    "POST /api/v1/auth/me/close": [
        row(
            "401 400 400 403 403 403",
            proving(
                "POST",
                "/api/v1/auth/me/close",
                json={"current_password": "Khong-Phai-Mat-Khau-1", "confirm": True},
            ),
        )
    ],
    # A code to close one's own account with (to one's own phone): citizens only.
    "POST /api/v1/auth/me/close/code": [row("401 202 202 403 403 403", post("/api/v1/auth/me/close/code"))],
    # Nothing pending, or a made-up code: each caller can only confirm their own account's new contact.
    "POST /api/v1/auth/me/contact/confirm": [
        row(
            "401 400 400 400 400 400",
            post("/api/v1/auth/me/contact/confirm", json={"channel": "email", "code": "000000"}),
        )
    ],
    # Signed in, yet the current password is wrong: it, not the role, is what guards a password.
    "POST /api/v1/auth/password/change": [
        row(
            "401 400 400 400 400 400",
            proving(
                "POST",
                "/api/v1/auth/password/change",
                json={"current_password": "Khong-Phai-Mat-Khau-1", "new_password": "Mat-Khau-Moi-2026!"},
            ),
        )
    ],
    "POST /api/v1/auth/password/forgot": [
        row("202 202 202 202 202 202", post("/api/v1/auth/password/forgot", json={"username": "khong-co-ai"}))
    ],
    "POST /api/v1/auth/password/reset": [row("400 400 400 400 400 400", reset)],
    "POST /api/v1/auth/login": [row("200 200 200 200 200 200", login)],
    "POST /api/v1/auth/refresh": [row("200 200 200 200 200 200", refresh)],
    "POST /api/v1/auth/logout": [
        row(
            "204 204 204 204 204 204",
            post("/api/v1/auth/logout", json={"refresh_token": "khong-co-phien-nay"}),
        )
    ],
    # Sign-in with VNeID: anyone may begin one (302 to the provider); a made-up state comes back to the
    # portal with an error; a made-up ticket is nobody's tokens, whoever's token comes with it.
    "GET /api/v1/auth/oidc/vneid/authorize": [
        row("302 302 302 302 302 302", get("/api/v1/auth/oidc/vneid/authorize"))
    ],
    "GET /api/v1/auth/oidc/vneid/callback": [
        row(
            "302 302 302 302 302 302",
            get("/api/v1/auth/oidc/vneid/callback", params={"state": "x" * 43, "code": "khong-co-ma-nay"}),
        )
    ],
    "POST /api/v1/auth/oidc/vneid/token": [
        row("400 400 400 400 400 400", post("/api/v1/auth/oidc/vneid/token", json={"ticket": "v" * 43}))
    ],
    "POST /api/v1/auth/oidc/vneid/link": [
        row(
            "400 400 400 400 400 400",
            post("/api/v1/auth/oidc/vneid/link", json={"ticket": "v" * 43, "password": "Bach-Dang-1288"}),
        )
    ],
    # Each caller's own sessions; someone else's is not found (A's own, offered to everyone, ends for A).
    "GET /api/v1/auth/sessions": [row("401 200 200 200 200 200", get("/api/v1/auth/sessions"))],
    "DELETE /api/v1/auth/sessions/{session_id}": [row("401 204 404 404 404 404", end_a_session)],
    # Each caller's other sessions end; the one calling stays signed in (the world's tokens go on).
    "DELETE /api/v1/auth/sessions": [
        row(
            "401 200 200 200 200 200",
            send("DELETE", "/api/v1/auth/sessions", params={"keep_current": "true"}),
        )
    ],
    # Public: every service polls it without a token. Session ids and digests of account ids only.
    "GET /api/v1/auth/.well-known/revoked": [
        row("200 200 200 200 200 200", get("/api/v1/auth/.well-known/revoked"))
    ],
    "GET /api/v1/auth/.well-known/jwks.json": [
        row("200 200 200 200 200 200", get("/api/v1/auth/.well-known/jwks.json"))
    ],
    "GET /api/v1/auth/.well-known/edge-keys.json": [
        row("200 200 200 200 200 200", get("/api/v1/auth/.well-known/edge-keys.json"))
    ],
    "POST /api/v1/auth/users": [row("401 403 403 403 403 201", new_officer)],
    "GET /api/v1/auth/users": [row("401 403 403 403 403 200", get("/api/v1/auth/users"))],
    "PATCH /api/v1/auth/users/{user_id}": [
        row(
            "401 403 403 403 403 200",
            send("PATCH", "/api/v1/auth/users/{w.a.user_id}", json={"locked": False}),
        )
    ],
    "POST /api/v1/auth/keys/rotate": [row("401 403 403 403 403 200", post("/api/v1/auth/keys/rotate"))],
    # A staff member's second step: the ticket and the code are the credential, whoever sends them; an
    # expired ticket, a replayed code or a citizen's token as the ticket open nothing for anyone.
    "POST /api/v1/auth/login/mfa": [
        row("200 200 200 200 200 200", code_step),
        row("401 401 401 401 401 401", replayed_code),
        row("401 401 401 401 401 401", expired_ticket),
        row("401 401 401 401 401 401", citizens_ticket("/api/v1/auth/login/mfa", code="123456")),
    ],
    "POST /api/v1/auth/mfa/totp": [
        row("200 200 200 200 200 200", enrol),
        row("401 401 401 401 401 401", enrol_with_a_code_ticket),
        row("401 401 401 401 401 401", expired_enrolment),
        row("401 401 401 401 401 401", citizens_ticket("/api/v1/auth/mfa/totp")),
    ],
    "POST /api/v1/auth/mfa/totp/verify": [
        row("200 200 200 200 200 200", first_code),
        row("401 401 401 401 401 401", citizens_ticket("/api/v1/auth/mfa/totp/verify", code="123456")),
    ],
    # Another's second factor, by an administrator only; A (a citizen) has none (409, nothing changes),
    # and no administrator resets their own (409).
    "DELETE /api/v1/auth/users/{user_id}/mfa": [
        row("401 403 403 403 403 204", reset_officer),
        row("401 403 403 403 403 409", send("DELETE", "/api/v1/auth/users/{w.a.user_id}/mfa")),
        row("401 403 403 403 403 409", send("DELETE", "/api/v1/auth/users/{w.admin.user_id}/mfa")),
    ],
    # An agency's staff: its own staff (officer X: the old single role, every agency role) and
    # administrators. Its default specialist: administrators only (officer X is a specialist of X; the
    # clearing is of Y's, so X keeps its default). Each role of the agency: test_agency_roles below.
    "GET /api/v1/auth/agencies/{code}/staff": [row("401 403 403 200 403 200", get(STAFF_X))],
    "PUT /api/v1/auth/agencies/{code}/default-specialist": [
        row("401 403 403 403 403 200", default_specialist_x)
    ],
    "DELETE /api/v1/auth/agencies/{code}/default-specialist": [
        row("401 403 403 403 403 204", send("DELETE", DEFAULT_Y))
    ],
    # -- catalog: reads are public; changes are the administrator's -------------------------------------
    "GET /api/v1/catalog/procedures": [
        row("200 200 200 200 200 200", get("/api/v1/catalog/procedures", params={"q": "tạm trú"}))
    ],
    "POST /api/v1/catalog/procedures": [
        row("401 403 403 403 403 409", post("/api/v1/catalog/procedures", json=A_PROCEDURE))
    ],
    "GET /api/v1/catalog/procedures/summary": [
        row("200 200 200 200 200 200", get("/api/v1/catalog/procedures/summary"))
    ],
    "GET /api/v1/catalog/procedures/{code}": [
        row("200 200 200 200 200 200", get(f"/api/v1/catalog/procedures/{PROCEDURE}"))
    ],
    "PUT /api/v1/catalog/procedures/{code}": [
        row(
            "401 403 403 403 403 412",
            stale("PUT", f"/api/v1/catalog/procedures/{PROCEDURE}", json=A_PROCEDURE),
        )
    ],
    "GET /api/v1/catalog/procedures/{code}/versions/{version}": [
        row("200 200 200 200 200 200", get(f"/api/v1/catalog/procedures/{PROCEDURE}/versions/1"))
    ],
    "GET /api/v1/catalog/suggest": [
        row("200 200 200 200 200 200", get("/api/v1/catalog/suggest", params={"q": "đăng ký t"}))
    ],
    "GET /api/v1/catalog/fields": [row("200 200 200 200 200 200", get("/api/v1/catalog/fields"))],
    "GET /api/v1/catalog/agencies": [row("200 200 200 200 200 200", get("/api/v1/catalog/agencies"))],
    "GET /api/v1/catalog/agencies/{code}": [
        row("200 200 200 200 200 200", get(f"/api/v1/catalog/agencies/{AGENCY_X}"))
    ],
    "GET /api/v1/catalog/implementing-agencies": [
        row("200 200 200 200 200 200", get("/api/v1/catalog/implementing-agencies"))
    ],
    # The directory's changes carry a stale If-Match too: the administrator reaches the version check.
    "PUT /api/v1/catalog/agencies/{code}": [
        row("401 403 403 403 403 412", stale("PUT", f"/api/v1/catalog/agencies/{AGENCY_X}", json=AN_AGENCY))
    ],
    "DELETE /api/v1/catalog/agencies/{code}": [
        row("401 403 403 403 403 412", stale("DELETE", f"/api/v1/catalog/agencies/{AGENCY_X}"))
    ],
    "GET /api/v1/catalog/vocabulary": [row("200 200 200 200 200 200", get("/api/v1/catalog/vocabulary"))],
    "GET /api/v1/catalog/vocabulary/{term_id}": [
        row("200 200 200 200 200 200", get("/api/v1/catalog/vocabulary/eve-so-hong"))
    ],
    # The search vocabulary's changes carry a stale If-Match: the administrator reaches the version check.
    "PUT /api/v1/catalog/vocabulary/{term_id}": [
        row("401 403 403 403 403 412", stale("PUT", "/api/v1/catalog/vocabulary/eve-so-hong", json=A_TERM))
    ],
    "DELETE /api/v1/catalog/vocabulary/{term_id}": [
        row("401 403 403 403 403 412", stale("DELETE", "/api/v1/catalog/vocabulary/eve-so-hong"))
    ],
    "PUT /api/v1/catalog/procedures/{code}/online-level": [
        row(
            "401 403 403 403 403 412",
            stale(
                "PUT", f"/api/v1/catalog/procedures/{PROCEDURE}/online-level", json={"online_level": "full"}
            ),
        )
    ],
    "POST /api/v1/catalog/procedures/{code}/withdraw": [
        row("401 403 403 403 403 412", stale("POST", f"/api/v1/catalog/procedures/{PROCEDURE}/withdraw"))
    ],
    "POST /api/v1/catalog/procedures/{code}/publish": [
        row("401 403 403 403 403 412", stale("POST", f"/api/v1/catalog/procedures/{PROCEDURE}/publish"))
    ],
    # -- submissions: a citizen's own dossiers; anyone else's is "not found" ----------------------------
    "GET /api/v1/submissions/agencies": [
        row("200 200 200 200 200 200", get(f"{S}/agencies", params={"procedure": PROCEDURE}))
    ],
    "POST /api/v1/submissions/dossiers": [
        row("401 201 201 403 403 403", post(D, json={"procedure_code": PROCEDURE, "agency_code": AGENCY_X})),
        # For A's organisation: B is no member of it, and learns nothing of it (404).
        row(
            "401 201 404 403 403 403",
            lambda w, r, who: w.http.post(
                D,
                json={"procedure_code": PROCEDURE, "agency_code": AGENCY_X, "organisation_id": w.org["id"]},
                headers=who.headers,
            ),
        ),
    ],
    "GET /api/v1/submissions/dossiers": [
        row("401 200 200 403 403 403", get(D)),
        row(
            "401 200 404 403 403 403",
            lambda w, r, who: w.http.get(D, params={"organisation": w.org["id"]}, headers=who.headers),
        ),
    ],
    "GET /api/v1/submissions/dossiers/{dossier_id}": [
        row("401 200 404 403 403 403", get(D + "/{r.submitted[id]}")),
        row("401 200 404 403 403 403", get(D + "/{w.org[draft]}")),
    ],
    "DELETE /api/v1/submissions/dossiers/{dossier_id}": [
        row("401 204 404 403 403 403", send("DELETE", D + "/{r.to_delete[id]}"))
    ],
    # 1.004194 has one case or none: any value is refused after the owner check (422), by then allowed.
    "PUT /api/v1/submissions/dossiers/{dossier_id}/case": [
        row(
            "401 422 404 403 403 403",
            send("PUT", D + "/{r.draft[id]}/case", json={"case": "Không có trường hợp này"}),
        )
    ],
    "PUT /api/v1/submissions/dossiers/{dossier_id}/applicant": [row("401 200 404 403 403 403", applicant)],
    "POST /api/v1/submissions/dossiers/{dossier_id}/attachments": [row("401 201 404 403 403 403", upload)],
    "DELETE /api/v1/submissions/dossiers/{dossier_id}/attachments/{attachment_id}": [
        row("401 204 404 403 403 403", send("DELETE", D + "/{r.draft[id]}/attachments/{r.spare_file}"))
    ],
    "GET /api/v1/submissions/dossiers/{dossier_id}/attachments/{attachment_id}": [
        row("401 200 404 403 403 403", get(D + "/{r.submitted[id]}/attachments/" + ATT))
    ],
    "GET /api/v1/submissions/dossiers/{dossier_id}/fees": [
        row("401 200 404 403 403 403", get(D + "/{r.draft[id]}/fees"))
    ],
    "POST /api/v1/submissions/captcha": [row("401 201 201 403 403 403", post(f"{S}/captcha"))],
    "POST /api/v1/submissions/dossiers/{dossier_id}/submit": [row("401 200 404 403 403 403", submit)],
    # The public lookup answers whoever has the code and the submitter's phone (a receipt's details).
    "GET /api/v1/submissions/track": [row("200 200 200 200 200 200", track)],
    # Anyone checks a signed result (issue 19): by its code (none is A's: a code no document has), or by
    # uploading a PDF (an unsigned one here: the verdict says so, and names nothing of anyone's).
    "GET /api/v1/submissions/verify": [
        row("404 404 404 404 404 404", get(f"{S}/verify", params={"code": "ZZZZZZZZZZ"})),
        row("422 422 422 422 422 422", get(f"{S}/verify", params={"code": "../../etc"})),
    ],
    "POST /api/v1/submissions/verify": [
        row(
            "200 200 200 200 200 200",
            post(f"{S}/verify", files={"file": ("a.pdf", pdf(), "application/pdf")}),
        ),
        row(
            "422 422 422 422 422 422", post(f"{S}/verify", files={"file": ("a.txt", b"hello", "text/plain")})
        ),
    ],
    # -- an agency's officers: only their agencies' dossiers ----------------------------------------------
    "GET /api/v1/submissions/officer/dossiers": [
        row("401 403 403 200 200 403", get(f"{S}/officer/dossiers"))
    ],
    "GET /api/v1/submissions/officer/dossiers/{dossier_id}": [
        row("401 403 403 200 404 403", get(f"{S}/officer/dossiers/" + "{r.submitted[id]}"))
    ],
    "GET /api/v1/submissions/officer/dossiers/{dossier_id}/attachments/{file_id}": [
        row("401 403 403 200 404 403", get(f"{S}/officer/dossiers/" + "{r.submitted[id]}/attachments/" + ATT))
    ],
    "POST /api/v1/submissions/dossiers/{dossier_id}/actions/{action}": [
        row("401 403 403 200 404 403", post(D + "/{r.to_accept[id]}/actions/accept")),
        row("401 200 404 404 404 404", post(D + "/{r.to_withdraw[id]}/actions/withdraw")),
    ],
    # The rating: the owner's alone (others' dossiers do not exist for a citizen; officers and the
    # administrator are not citizens), once the dossier is closed (A's filed one: 409 not-rateable).
    "POST /api/v1/submissions/dossiers/{dossier_id}/rating": [
        row("401 409 404 403 403 403", post(D + "/{r.submitted[id]}/rating", json=SCORES)),
        row("401 201 404 403 403 403", post(D + "/{r.to_rate[id]}/rating", json=SCORES)),
    ],
    "GET /api/v1/submissions/dossiers/{dossier_id}/receipt": [
        row("401 200 404 200 404 404", get(D + "/{r.accepted[id]}/receipt"))
    ],
    "GET /api/v1/submissions/dossiers/{dossier_id}/results/{file_id}": [
        row("401 200 404 200 404 404", get(D + "/{r.finished[id]}/results/{r.finished[results][0][id]}"))
    ],
    # The papers of Circular 03/2025 (forms 01-06): as the receipt, the owner's and the agency's; a paper
    # the dossier does not have yet is 409 for them, and still 404 for everyone else.
    "GET /api/v1/submissions/dossiers/{dossier_id}/forms/{form}": [
        row("401 200 404 200 404 404", get(D + "/{r.submitted[id]}/forms/06")),
        row("401 200 404 200 404 404", get(D + "/{r.accepted[id]}/forms/01")),
        row("401 409 404 409 404 404", get(D + "/{r.accepted[id]}/forms/03")),
    ],
    # The register of dossiers (form 07): the agency's staff (X of A's agency, Y of its own) and the
    # administrator; nobody else.
    "GET /api/v1/submissions/agencies/{code}/register.xlsx": [
        row("401 403 403 200 403 200", get(f"{S}/agencies/{AGENCY_X}/register.xlsx")),
        row("401 403 403 403 200 200", get(f"{S}/agencies/{AGENCY_Y}/register.xlsx")),
    ],
    # -- the working-day calendar: read by anyone signed in, changed by the administrator ----------------------
    "GET /api/v1/submissions/calendar/{year}": [row("401 200 200 200 200 200", get(f"{S}/calendar/2031"))],
    "PUT /api/v1/submissions/calendar/{year}": [row("401 403 403 403 403 412", calendar_change)],
    # -- notifications: each caller's own ------------------------------------------------------------------
    "GET /api/v1/notifications": [row("401 200 200 200 200 200", get("/api/v1/notifications"))],
    "GET /api/v1/notifications/unread-count": [
        row("401 200 200 200 200 200", get("/api/v1/notifications/unread-count"))
    ],
    "POST /api/v1/notifications/{notification_id}/read": [
        row("401 204 404 404 404 404", post("/api/v1/notifications/{r.notification}/read"))
    ],
    "POST /api/v1/notifications/read-all": [
        row("401 200 200 200 200 200", post("/api/v1/notifications/read-all"))
    ],
    # The per-person parts of a data export: each caller's own, nothing of anyone else's.
    "GET /api/v1/submissions/me/export": [row("401 200 200 403 403 403", get(S + "/me/export"))],
    "GET /api/v1/submissions/me/in-hand": [row("401 200 200 403 403 403", get(S + "/me/in-hand"))],
    "GET /api/v1/notifications/me/export": [
        row("401 200 200 200 200 200", get("/api/v1/notifications/me/export"))
    ],
    "GET /api/v1/payments/me/export": [row("401 200 200 200 200 200", get(PAY + "/me/export"))],
    "GET /api/v1/notifications/preferences": [
        row("401 200 200 200 200 200", get("/api/v1/notifications/preferences"))
    ],
    # -- organisations: A (verified through VNeID) represents one; B, officers and the administrator do not
    # belong to it, so it does not exist for them (404), but the administrator sees every organisation.
    "POST /api/v1/auth/organisations": [
        row("401 201 403 403 403 403", new_organisation),
        # A's organisation's tax code again: one organisation a code, even for its representative.
        row(
            "401 409 403 403 403 403",
            lambda w, r, who: w.http.post(ORGS, json=w.org["body"], headers=who.headers),
        ),
    ],
    "GET /api/v1/auth/organisations": [row("401 200 200 200 200 200", get(ORGS))],
    "GET /api/v1/auth/organisations/all": [row("401 403 403 403 403 200", get(ORGS + "/all"))],
    "GET /api/v1/auth/organisations/{org_id}": [
        row("401 200 404 404 404 200", get(ORG)),
        row("401 404 404 404 404 404", get(ORGS + "/" + str(uuid.uuid4()))),
    ],
    # Nobody adds themself: only a representative adds anyone (B naming himself gets 404).
    "POST /api/v1/auth/organisations/{org_id}/members": [
        row(
            "401 201 404 404 404 403",
            lambda w, r, who: w.http.post(
                ORG.format(w=w) + "/members",
                json={"login": w.org["joining"].person["citizen_id"], "role": "viewer"},
                headers=who.headers,
            ),
        ),
        row(
            "401 404 404 404 404 404",
            lambda w, r, who: w.http.post(
                ORGS + f"/{uuid.uuid4()}/members",
                json={"login": w.b.person["phone"], "role": "staff"},
                headers=who.headers,
            ),
        ),
    ],
    "PATCH /api/v1/auth/organisations/{org_id}/members/{user_id}": [
        row(
            "401 200 404 404 404 403",
            send("PATCH", ORG + "/members/{w.org[staff].user_id}", json={"role": "staff"}),
        )
    ],
    "DELETE /api/v1/auth/organisations/{org_id}/members/{user_id}": [
        row("401 200 404 404 404 403", send("DELETE", ORG + "/members/{w.org[leaving].user_id}"))
    ],
    "PUT /api/v1/notifications/preferences": [
        row("401 200 200 200 200 200", send("PUT", "/api/v1/notifications/preferences", json={"sms": True}))
    ],
    "POST /api/v1/notifications/stream-ticket": [
        row("401 201 201 201 201 201", post("/api/v1/notifications/stream-ticket"))
    ],
    "GET /api/v1/notifications/stream": [row("200 200 200 200 200 200", stream)],
    # -- payments (issue 20): A's dossier's payments are seen by A, the officer of its agency and the
    # administrator; only A (its owner) opens and pays them.
    "GET /api/v1/payments/dossiers/{dossier_id}": [
        row("401 200 404 200 404 200", get(PAY + "/dossiers/{r.submitted[id]}"))
    ],
    "POST /api/v1/payments/dossiers/{dossier_id}/orders": [
        row(
            "401 200 404 403 404 403",
            post(PAY + "/dossiers/{r.submitted[id]}/orders", json={"purpose": "filing"}),
        ),
        row(
            "401 404 404 404 404 404",
            post(PAY + f"/dossiers/{uuid.uuid4()}/orders", json={"purpose": "filing"}),
        ),
    ],
    "GET /api/v1/payments/orders/{order_id}": [
        row("401 200 404 200 404 200", get(PAY + "/orders/{r.order[id]}")),
        row("401 404 404 404 404 404", get(PAY + f"/orders/{NO_ORDER}")),
    ],
    "POST /api/v1/payments/orders/{order_id}/pay": [
        row("401 200 404 403 404 403", post(PAY + "/orders/{r.order[id]}/pay")),
        row("401 404 404 404 404 404", post(PAY + f"/orders/{NO_ORDER}/pay")),
    ],
    "GET /api/v1/payments/orders/{order_id}/receipt": [
        row("401 200 404 200 404 200", get(PAY + "/orders/{r.paid[id]}/receipt")),
        row("401 404 404 404 404 404", get(PAY + f"/orders/{NO_ORDER}/receipt")),
    ],
    "POST /api/v1/payments/orders/{order_id}/refund": [
        row("401 403 403 403 403 404", post(PAY + f"/orders/{NO_ORDER}/refund"))
    ],
    "POST /api/v1/payments/reconcile": [row("401 403 403 403 403 200", post(PAY + "/reconcile"))],
    # The provider's notification: public, its signature the credential (an unsigned one: 200, RspCode 97).
    "POST /api/v1/payments/providers/{provider}/ipn": [
        row("200 200 200 200 200 200", post(PAY + "/providers/vnpay/ipn", data={"vnp_TxnRef": NO_ORDER}))
    ],
    "GET /api/v1/payments/providers/{provider}/ipn": [
        row("200 200 200 200 200 200", get(PAY + "/providers/vnpay/ipn", params={"vnp_TxnRef": NO_ORDER}))
    ],
    # The public scorecard: aggregates only, the same for everyone (issue 21).
    "GET /api/v1/reporting/public/scorecard": [
        row("200 200 200 200 200 200", get(REP + "/public/scorecard", params={"months": 2}))
    ],
    # Reports: a leader's own agency (officer X leads A's ward police; Y another ward's), any unit for the
    # administrator; the city's and the ranking of all units only for the administrator here (neither X
    # nor Y leads the city's People's Committee). Citizens see no report but the public scorecard.
    "GET /api/v1/reporting/indexes": [
        row("401 403 403 200 403 200", get(REP + "/indexes", params=UNIT_X)),
        row("401 403 403 403 403 200", get(REP + "/indexes", params={"unit": "city"})),
    ],
    "GET /api/v1/reporting/indexes.xlsx": [
        row("401 403 403 200 403 200", get(REP + "/indexes.xlsx", params=UNIT_X))
    ],
    "GET /api/v1/reporting/indexes.csv": [
        row("401 403 403 200 403 200", get(REP + "/indexes.csv", params=UNIT_X))
    ],
    "GET /api/v1/reporting/dossiers": [
        row("401 403 403 200 403 200", get(REP + "/dossiers", params=UNIT_X | {"metric": "received"}))
    ],
    "GET /api/v1/reporting/trend": [row("401 403 403 200 403 200", get(REP + "/trend", params=UNIT_X))],
    "GET /api/v1/reporting/ranking": [
        row("401 403 403 403 403 200", get(REP + "/ranking", params={"kind": "commune"}))
    ],
    "GET /api/v1/reporting/overdue": [row("401 403 403 200 403 200", get(REP + "/overdue", params=UNIT_X))],
    "GET /api/v1/reporting/units": [row("401 403 403 200 200 200", get(REP + "/units"))],
    # The audit trail: auditors (test_an_auditor_reads_the_trail_and_nothing_else) and administrators;
    # anyone signed in reads the entries about their own data, and only those.
    "GET /api/v1/audit/events": [row("401 403 403 403 403 200", get(AUD + "/events"))],
    "GET /api/v1/audit/events.csv": [row("401 403 403 403 403 200", get(AUD + "/events.csv"))],
    "GET /api/v1/audit/events.jsonl": [row("401 403 403 403 403 200", get(AUD + "/events.jsonl"))],
    "GET /api/v1/audit/chains": [row("401 403 403 403 403 200", get(AUD + "/chains"))],
    "GET /api/v1/audit/me": [row("401 200 200 200 200 200", get(AUD + "/me"))],
    # issue 23 (D: native app sign-in, OAuth 2.0 + PKCE; docs/mobile.md)
    # The browser's start: anyone, a good request goes on to the portal's consent page; a redirect URI not
    # the app's is a problem, never a redirect.
    "GET /api/v1/auth/oauth/authorize": [
        row(
            "302 302 302 302 302 302", get(OAUTH + "/authorize", params=app_request(), follow_redirects=False)
        ),
        row(
            "400 400 400 400 400 400",
            get(OAUTH + "/authorize", params=app_request(redirect_uri="https://evil.example/cb")),
        ),
    ],
    # The consent: each signed-in person answers for themself only (staff with their second factor, as the
    # matrix's officers and administrator signed in); the code made is the caller's.
    "POST /api/v1/auth/oauth/authorize": [
        row("401 200 200 200 200 200", post(OAUTH + "/authorize", json={**app_request(), "approve": True})),
        row("401 200 200 200 200 200", post(OAUTH + "/authorize", json={**app_request(), "approve": False})),
    ],
    "GET /api/v1/auth/oauth/clients/{client_id}": [
        row("200 200 200 200 200 200", get(OAUTH + f"/clients/{DEV_APP}")),
        row("400 400 400 400 400 400", get(OAUTH + "/clients/no-such-app")),
    ],
    # A code nobody was given: the code and its verifier are the credential, whoever calls.
    "POST /api/v1/auth/oauth/token": [
        row(
            "400 400 400 400 400 400",
            post(
                OAUTH + "/token",
                data={
                    "grant_type": "authorization_code",
                    "client_id": DEV_APP,
                    "code": "khong-co-ma-nay-" + "x" * 30,
                    "redirect_uri": "http://127.0.0.1:5555/callback",
                    "code_verifier": "v" * 43,
                },
            ),
        )
    ],
    "GET /api/v1/auth/.well-known/oauth-authorization-server": [
        row("200 200 200 200 200 200", get("/api/v1/auth/.well-known/oauth-authorization-server"))
    ],
    # issue 23 (C — push notifications): the key is public; subscriptions are each caller's own. Anyone
    # naming A's endpoint to remove it gets 204 and A keeps it (the snapshot has A's devices); A's own
    # call, last, removes it.
    "GET /api/v1/notifications/push/vapid-key": [row("200 200 200 200 200 200", get(PUSH + "/vapid-key"))],
    "POST /api/v1/notifications/push/subscriptions": [row("401 201 201 201 201 201", push_subscribe)],
    "GET /api/v1/notifications/push/subscriptions": [
        row("401 200 200 200 200 200", get(PUSH + "/subscriptions"))
    ],
    "DELETE /api/v1/notifications/push/subscriptions": [row("401 204 204 204 204 204", push_unsubscribe_a)],
    # issue 23 (A: resumable uploads, tus). Each call acts on a fresh upload of A's to A's draft; another
    # citizen's upload does not exist for the caller (404, never 403), staff are not filers (403).
    "POST /api/v1/submissions/uploads": [row("401 201 404 403 403 403", tus_create)],
    "PATCH /api/v1/submissions/uploads/{upload_id}": [row("401 204 404 403 403 403", tus_patch)],
    "DELETE /api/v1/submissions/uploads/{upload_id}": [row("401 204 404 403 403 403", tus_terminate)],
}

# Besides A, who may change A's records with an allowed call: officer X, acting on A's dossier.
ACTS_ON_A = {"POST /api/v1/submissions/dossiers/{dossier_id}/actions/{action}": {"x"}}
# Besides A, who reads A's records by design: officer X A's dossiers, the administrator A's account, and
# whoever holds the code and phone (the public lookup) or a ticket (A's stream).
SEES_A = {
    "GET /api/v1/submissions/officer/dossiers": {"x"},
    "GET /api/v1/submissions/officer/dossiers/{dossier_id}": {"x"},
    "GET /api/v1/submissions/officer/dossiers/{dossier_id}/attachments/{file_id}": {"x"},
    "POST /api/v1/submissions/dossiers/{dossier_id}/actions/{action}": {"x"},
    "GET /api/v1/submissions/dossiers/{dossier_id}/receipt": {"x"},
    "GET /api/v1/submissions/dossiers/{dossier_id}/results/{file_id}": {"x"},
    "GET /api/v1/submissions/dossiers/{dossier_id}/forms/{form}": {"x"},
    # The register lists the agency's dossiers, A's among them, with A's phone.
    "GET /api/v1/submissions/agencies/{code}/register.xlsx": {"x", "admin"},
    "GET /api/v1/auth/users": {"admin"},
    "GET /api/v1/auth/organisations/all": {"admin"},
    "GET /api/v1/auth/organisations/{org_id}": {"admin"},
    "PATCH /api/v1/auth/users/{user_id}": {"admin"},
    "GET /api/v1/submissions/track": set(WHO),
    "GET /api/v1/notifications/stream": set(WHO),
    "GET /api/v1/payments/dossiers/{dossier_id}": {"x", "admin"},
    "GET /api/v1/payments/orders/{order_id}": {"x", "admin"},
    "GET /api/v1/payments/orders/{order_id}/receipt": {"x", "admin"},
    # The drill-down and the overdue list name the agency's dossiers, A's among them, to its leader.
    "GET /api/v1/reporting/dossiers": {"x", "admin"},
    "GET /api/v1/reporting/overdue": {"x", "admin"},
    # The audit trail names whose data staff read or changed (A's among them) to those who audit it.
    "GET /api/v1/audit/events": {"admin"},
    "GET /api/v1/audit/events.csv": {"admin"},
    "GET /api/v1/audit/events.jsonl": {"admin"},
}


def test_every_operation_has_a_row_and_every_row_an_operation():
    missing, orphans = sorted(set(OPERATIONS) - set(MATRIX)), sorted(set(MATRIX) - set(OPERATIONS))
    assert not missing and not orphans, (
        f"operations without a row: {missing}; rows of no operation: {orphans}"
    )


def secrets_of(w: World, r: Records) -> list[str]:
    """What identifies citizen A and A's records in an answer."""
    a = w.a.person
    codes = [d["code"] for d in (r.submitted, r.accepted, r.finished) if d.get("code")]
    return [w.a.user_id, a["citizen_id"], a["phone"], r.notification, *r.ids, *codes]


@pytest.fixture(scope="module")
def spare(world: World) -> World:
    """Citizen C, whose password and refresh token the login and refresh rows pass around."""
    world.spare = world.citizen("citizen C", "Trịnh Thị Dự Phòng")
    world.spare_refresh = world.login(world.spare.person["citizen_id"], world.spare.person["password"])[
        "refresh_token"
    ]
    # issue 23 (C): a device of A's subscribed to push notifications, which the DELETE row names.
    sub = world.stack.infra.push_subscription()
    got = world.http.post(PUSH + "/subscriptions", json=sub, headers=world.a.headers)
    assert got.status_code in (200, 201), got.text
    _a_device["endpoint"] = sub["endpoint"]
    return world


@pytest.mark.parametrize("op", OPERATIONS)
def test_matrix(op: str, spare: World, records: Records, org: dict[str, Any]) -> None:
    w = spare
    rows = MATRIX.get(op)
    assert rows, f"{op} has no row in the authorisation matrix: say who may call it"
    people = {"anon": w.anon, "a": w.a, "b": w.b, "x": w.officer_x, "y": w.officer_y, "admin": w.admin}
    secrets = secrets_of(w, records)
    for r in rows:
        # Refusals first, then the allowed calls, A's last: an allowed call may use up its record.
        order = sorted(WHO, key=lambda k: (r.expect[k] < 400, k == "a"))
        for k in order:
            who = people[k]
            before = w.snapshot(w.a)
            got = r.call(w, records, who)
            expected = r.expect[k]
            assert got.status_code == expected, f"{op} as {who.name}: {got.status_code} {got.text[:300]}"
            if expected >= 400:
                assert got.headers["content-type"].startswith("application/problem+json"), (op, who.name)
                assert got.json()["code"], (op, who.name)
            elif k != "a" and k not in SEES_A.get(op, set()):
                leaked = [s for s in secrets if s in got.text]
                assert not leaked, f"{op} as {who.name} names A's {leaked}"
            if expected >= 400 or (k != "a" and k not in ACTS_ON_A.get(op, set())):
                assert w.snapshot(w.a) == before, f"{op} as {who.name} changed citizen A's records"


def test_an_auditor_reads_the_trail_and_nothing_else(world: World) -> None:
    """The auditor (staff: signed in with a second factor) reads and exports the audit trail; it is no
    officer and no administrator, so neither dossiers, accounts nor the catalogue's changes are theirs."""
    auditor = world.officer("auditor", AGENCY_X, ["auditor"])
    for path in ("/events", "/events.csv", "/events.jsonl", "/chains", "/me"):
        got = world.http.get(AUD + path, headers=auditor.headers)
        assert got.status_code == 200, (path, got.text[:300])
    for path in (f"{S}/officer/dossiers", "/api/v1/auth/users", f"{REP}/units"):
        got = world.http.get(path, headers=auditor.headers)
        assert got.status_code == 403, (path, got.text[:300])
        assert got.headers["content-type"].startswith("application/problem+json")


# -- the organisation's own roles --------------------------------------------------------------------
ORG_ROLES = ("representative", "staff", "viewer", "outsider")


def test_an_organisations_members_act_by_role_and_nobody_else_sees_it(
    world: World, org: dict[str, Any]
) -> None:
    """Each role of A's organisation (A its representative; B an outsider) × what may be done with its
    dossiers. A viewer filing or changing is refused and changes nothing; an outsider gets 404."""
    people = {"representative": world.a, "staff": org["staff"], "viewer": org["viewer"], "outsider": world.b}
    draft_body = {"procedure_code": PROCEDURE, "agency_code": AGENCY_X, "organisation_id": org["id"]}
    ops: dict[str, tuple[Callable[[Who], httpx.Response], str]] = {
        "list": (
            lambda who: world.http.get(D, params={"organisation": org["id"]}, headers=who.headers),
            "200 200 200 404",
        ),
        "read": (lambda who: world.http.get(f"{D}/{org['draft']}", headers=who.headers), "200 200 200 404"),
        "file": (lambda who: world.http.post(D, json=draft_body, headers=who.headers), "201 201 403 404"),
        "step 1": (lambda who: org_applicant(world, None, who), "200 200 403 404"),  # type: ignore[arg-type]
        "read organisation": (
            lambda who: world.http.get(ORG.format(w=world), headers=who.headers),
            "200 200 200 404",
        ),
        "add a member": (
            lambda who: world.http.post(
                ORG.format(w=world) + "/members",
                json={"login": who.person["phone"], "role": "representative"},
                headers=who.headers,
            ),
            "409 403 403 404",
        ),
    }
    for name, (call, statuses) in ops.items():
        for role, status in zip(ORG_ROLES, statuses.split(), strict=True):
            before = world.db("submission").dossiers.find_one({"_id": org["draft"]})
            members = world.db("auth").organisations.find_one({"_id": org["id"]})["members"]
            got = call(people[role])
            assert got.status_code == int(status), f"{name} as {role}: {got.status_code} {got.text[:300]}"
            if got.status_code >= 400:
                assert got.headers["content-type"].startswith("application/problem+json")
                assert world.db("submission").dossiers.find_one({"_id": org["draft"]}) == before, (name, role)
                assert world.db("auth").organisations.find_one({"_id": org["id"]})["members"] == members
            if role == "outsider":
                # (The draft's id is in a 404's "instance": the path the caller sent, not a leak.)
                leaked = [x for x in (org["tax_code"], org["name"], world.a.user_id) if x in got.text]
                assert not leaked, (name, "leaks", leaked)


def test_a_removed_member_keeps_access_only_until_the_token_is_refreshed(
    world: World, org: dict[str, Any]
) -> None:
    """Memberships travel in the access token: a removed member's current token still names the
    organisation (at most 15 minutes, docs/auth.md); the next token does not."""
    gone = world.citizen("removed member", "Đỗ Văn Rời")
    r = world.http.post(
        ORG.format(w=world) + "/members",
        json={"login": gone.person["phone"], "role": "staff"},
        headers=world.a.headers,
    )
    assert r.status_code == 201, r.text
    tokens = world.login(gone.person["phone"], gone.person["password"])
    gone.token = tokens["access_token"]
    assert world.http.get(f"{D}/{org['draft']}", headers=gone.headers).status_code == 200
    r = world.http.delete(ORG.format(w=world) + f"/members/{gone.user_id}", headers=world.a.headers)
    assert r.status_code == 200, r.text
    assert world.http.get(f"{D}/{org['draft']}", headers=gone.headers).status_code == 200  # the old token
    fresh = world.http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert fresh.status_code == 200, fresh.text
    gone.token = fresh.json()["access_token"]
    assert world.http.get(f"{D}/{org['draft']}", headers=gone.headers).status_code == 404
    r = world.http.get(D, params={"organisation": org["id"]}, headers=gone.headers)
    assert r.status_code == 404
    # Filing with the old token is checked against auth too: the organisation is no longer theirs.
    assert world.http.get(ORG.format(w=world), headers=gone.headers).status_code == 404


# -- an agency's roles ---------------------------------------------------------------------------------
AGENCY_CALLERS = ("anon", "citizen", "other agency", "reception", "specialist", "leader", "admin")


@pytest.fixture(scope="module")
def agency_people(world: World) -> dict[str, Who]:
    """Each caller of the agency's operations: staff of agency X by one role each (made with `roles`),
    a reception officer of agency Y, citizen A, anonymous and the administrator."""
    return {
        "anon": world.anon,
        "citizen": world.a,
        "other agency": world.officer("reception of Y", AGENCY_Y, ["reception"]),
        "reception": world.officer("reception of X", AGENCY_X, ["reception"]),
        "specialist": world.officer("specialist of X", AGENCY_X, ["specialist"]),
        "leader": world.officer("leader of X", AGENCY_X, ["leader"]),
        "admin": world.admin,
    }


def test_agency_roles(world: World, agency_people: dict[str, Who]) -> None:
    """Every operation on an agency's staff × anonymous, a citizen, staff of another agency, each of the
    agency's roles and the administrator. Refusals are problems, name nobody of the agency and change
    nothing of its default specialist."""
    people = agency_people
    spec = people["specialist"]
    settings = world.db("auth").agency_settings
    default = f"/api/v1/auth/agencies/{AGENCY_X}/default-specialist"
    ops: dict[str, tuple[Callable[[Who], httpx.Response], str]] = {
        "list the staff": (
            lambda who: world.http.get(STAFF_X, headers=who.headers),
            "401 403 403 200 200 200 200",
        ),
        "set the default": (
            lambda who: world.http.put(default, json={"user_id": spec.user_id}, headers=who.headers),
            "401 403 403 403 403 403 200",
        ),
        "clear the default": (
            lambda who: world.http.delete(default, headers=who.headers),
            "401 403 403 403 403 403 204",
        ),
    }
    for name, (call, statuses) in ops.items():
        for k, status in zip(AGENCY_CALLERS, statuses.split(), strict=True):
            before = settings.find_one({"_id": AGENCY_X})
            got = call(people[k])
            assert got.status_code == int(status), f"{name} as {k}: {got.status_code} {got.text[:300]}"
            if got.status_code >= 400:
                assert got.headers["content-type"].startswith("application/problem+json"), (name, k)
                assert got.json()["code"], (name, k)
                assert settings.find_one({"_id": AGENCY_X}) == before, (name, k)
                assert spec.user_id not in got.text and "Trần Văn Một Cửa" not in got.text, (name, k)
    listed = world.http.get(STAFF_X, headers=people["leader"].headers).json()["items"]
    mine = {s["id"]: s["roles"] for s in listed}
    assert mine[spec.user_id] == ["officer", "specialist"]
    assert mine[people["reception"].user_id] == ["officer", "reception"]
    assert people["other agency"].user_id not in mine
    # Only an active specialist of the agency may be its default: the receptionist is not one.
    r = world.http.put(default, json={"user_id": people["reception"].user_id}, headers=world.admin.headers)
    assert r.status_code == 422 and r.json()["code"] == "not-a-specialist"
    r = world.http.put(default, json={"user_id": people["other agency"].user_id}, headers=world.admin.headers)
    assert r.status_code == 422 and r.json()["code"] == "not-a-specialist"


def test_another_agencys_token_cannot_list_this_agencys_staff(
    world: World, agency_people: dict[str, Who]
) -> None:
    """Y's staff token, as it is, or with its agencies changed to X's (the signature no longer holds),
    lists nothing of X; nor does a token of X's staff once moved to Y (its sessions end with the change)."""
    theirs = agency_people["other agency"]
    r = world.http.get(STAFF_X, headers=theirs.headers)
    assert r.status_code == 403 and r.json()["code"] == "not-agency-staff"
    head, payload, sig = str(theirs.token).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "agencies": [AGENCY_X]}).encode()).rstrip(b"=")
    r = world.http.get(STAFF_X, headers={"Authorization": f"Bearer {head}.{forged.decode()}.{sig}"})
    assert r.status_code == 401 and "items" not in r.text

    moved = world.officer("moved away", AGENCY_X, ["specialist"])
    assert world.http.get(STAFF_X, headers=moved.headers).status_code == 200
    r = world.http.patch(
        f"/api/v1/auth/users/{moved.user_id}", json={"agencies": [AGENCY_Y]}, headers=world.admin.headers
    )
    assert r.status_code == 200, r.text
    deadline = time.monotonic() + 15  # the revocation list is polled every second by the test stack
    while (got := world.http.get(STAFF_X, headers=moved.headers)).status_code == 200:
        assert time.monotonic() < deadline, "a token of X's staff moved to Y still lists X's staff"
        time.sleep(0.25)
    assert got.status_code == 401, got.text
