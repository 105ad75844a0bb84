"""The calls people make through the gateway, for system tests and benchmarks: register and sign in,
add a procedure as the administrator, file a dossier through the four steps, act as an officer.

Officers and administrators sign in with a second factor (docs/auth.md): after the password, the code an
authenticator app would show, computed here with pyotp. The first administrator's secret is the stack's
``DVC_ADMIN_TOTP_SECRET``; an officer enrols at its first sign-in and keeps the secret on its
:class:`Person`. A code works once for an account, so this process hands each sign-in the next step no
sign-in of it used (:func:`totp_code`), waiting when it runs ahead of the clock.

Every function takes an ``httpx.AsyncClient`` whose ``base_url`` is the gateway and raises on any
answer it did not expect, with the answer's text. Registering needs the codes the system sends: an
:class:`Inbox` reads them where the development stack delivers messages (the SMS provider's record in
notify's database, the local mail server's folder), as a person reads their phone and mailbox.
"""

from __future__ import annotations

import asyncio
import email
import itertools
import os
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import pyotp
from pymongo import AsyncMongoClient

from .config import DEV_ADMIN_TOTP_SECRET

S = "/api/v1/submissions"
A = "/api/v1/auth"
PASSWORD = "Hai-Phong-Test-2026!"  # noqa: S105 - test accounts only

# A procedure with two PDF components, added by the administrator as one would for a new online service.
TEST_PROCEDURE_CODE = "2.999900"
TEST_PROCEDURE: dict[str, Any] = {
    "code": TEST_PROCEDURE_CODE,
    "name": "Thủ tục thử nghiệm nộp hồ sơ (kiểm thử tải)",
    "field": "Chứng thực",
    "agencies": ["Sở Tư pháp"],
    "levels": ["city"],
    "online_level": "full",
    "fees": [{"name": "Lệ phí", "amount": 20000, "when": "on_submit"}],
    "components": [
        {
            "id": "test00000001",
            "name": "Đơn đề nghị",
            "originals": 1,
            "file_types": ["pdf"],
            "max_bytes": 250 << 20,
        },
        {
            "id": "test00000002",
            "name": "Giấy tờ kèm theo",
            "originals": 1,
            "file_types": ["pdf"],
            "max_bytes": 250 << 20,
        },
    ],
}

_serial = itertools.count()


@dataclass
class Person:
    full_name: str
    citizen_id: str
    phone: str
    email: str | None
    token: str = ""
    refresh_token: str = ""
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    totp_secret: str = ""  # an officer's or administrator's second factor, once enrolled
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _check(r: httpx.Response, *expected: int) -> httpx.Response:
    if r.status_code not in expected:
        raise AssertionError(f"{r.request.method} {r.request.url.path}: {r.status_code} {r.text[:300]}")
    return r


def new_person(name: str = "Nguyễn Thị Test", *, email: bool = True) -> Person:
    """A person no other test or run has used (numbers from the process, a counter and randomness)."""
    n = (uuid.uuid4().int + os.getpid() * 100_003 + next(_serial)) % 10**8
    return Person(
        full_name=name,
        citizen_id=f"0318{n:08d}",
        phone=f"09{n:08d}",
        email=f"cd{n}@example.vn" if email else None,
    )


def sign_up(p: Person, password: str = PASSWORD) -> dict[str, str]:
    """What ``p`` registers with: the body of ``POST /api/v1/auth/register``."""
    body = {"full_name": p.full_name, "citizen_id": p.citizen_id, "phone": p.phone, "password": password}
    if p.email:
        body["email"] = p.email
    return body


def submitter(
    p: Person | Mapping[str, Any],
    *,
    date_of_birth: str = "1985-03-08",
    address: str = "Số 1 Lạch Tray, phường Ngô Quyền, Hải Phòng",
) -> dict[str, str]:
    """A dossier's submitter (step 1): the name, citizen ID and phone of ``p`` (a :class:`Person` or
    its details as a mapping), born on ``date_of_birth``, living at ``address``."""
    known = p if isinstance(p, Mapping) else vars(p)
    return {
        "full_name": known["full_name"],
        "citizen_id": known["citizen_id"],
        "date_of_birth": date_of_birth,
        "phone": known["phone"],
        "address": address,
    }


CODE = re.compile(r"(?<![\d/])(\d{6})(?![\d/])")
# How often a waiting person looks at their phone or mailbox: dozens wait at once in the scale test, on
# a database that serves about 1,400 operations a second.
POLL_SECONDS = 0.25


def code_in(text: str) -> str | None:
    got = CODE.search(text)
    return got.group(1) if got else None


class Mailbox:
    """The local mail server's folder (one ``.eml`` file a message), each message read once however
    many people wait for a code at the same time."""

    def __init__(self, mail_dir: Path) -> None:
        self.dir = mail_dir
        self._read: dict[str, tuple[float, str, str | None]] = {}  # file → (saved at, to, code)

    def code(self, address: str, since: datetime) -> str | None:
        """The code in the newest message to ``address`` saved since ``since``."""
        for path in self.dir.glob("*.eml"):
            if path.name not in self._read:
                msg = email.message_from_bytes(path.read_bytes(), policy=default)
                self._read[path.name] = (path.stat().st_mtime, str(msg["To"]), code_in(msg.get_content()))
        found = [
            (at, code)
            for at, to, code in self._read.values()
            if to == address and code and at >= since.timestamp()
        ]
        return max(found)[1] if found else None


async def outbox_code(outbox: Any, seal_key: str, purpose: str, timeout: float = 30.0, **match: str) -> str:
    """The latest code auth sent for ``purpose`` to ``match`` (``phone=``, ``email=``, ``user_id=``),
    read from its outbox (an async collection) and opened as the notification service opens it, with
    the shared seal key: for runs of auth without notify."""
    from dvckit.sealed import Sealer

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        docs = (
            await outbox.find({"routing_key": "user.verification_code_issued.v1"})
            .sort("created_at", -1)
            .to_list()
        )
        for d in docs:
            data = d["envelope"]["data"]
            if data["purpose"] == purpose and all(data.get(k) == v for k, v in match.items()):
                return Sealer(seal_key).open(data["sealed_code"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"auth sent no {purpose} code to {match} within {timeout}s")


def wait_code(sms: Any, mail_dir: Path, to: str, since: datetime, timeout: float = 120.0) -> str:
    """:meth:`Inbox.code` for synchronous callers (browser tests): ``sms`` is notify's
    ``sms_dev_outbox`` collection through a synchronous pymongo client."""
    deadline = time.monotonic() + timeout
    mailbox = Mailbox(mail_dir)
    while time.monotonic() < deadline:
        if "@" in to:
            found = mailbox.code(to, since)
        else:
            m = sms.find_one({"to": to, "at": {"$gte": since}}, sort=[("at", -1)])
            found = code_in(m["text"]) if m else None
        if found:
            return found
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"no code reached {to} within {timeout}s")


class Inbox:
    """The codes a person receives: by SMS (the development provider records each message in notify's
    ``sms_dev_outbox``) or by email (the local mail server writes one ``.eml`` file a message)."""

    def __init__(self, mongo_url: str, notify_db: str, mail_dir: Path) -> None:
        self.client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url)
        self.sms = self.client[notify_db]["sms_dev_outbox"]
        self.mailbox = Mailbox(mail_dir)

    async def code(self, to: str, since: datetime, timeout: float = 120.0) -> str:
        """The newest code sent to ``to`` (a phone number or an email address) since ``since``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await (self._mail(to, since) if "@" in to else self._sms(to, since))
            if found:
                return found
            await asyncio.sleep(POLL_SECONDS)
        raise AssertionError(f"no code reached {to} within {timeout}s")

    async def _sms(self, phone: str, since: datetime) -> str | None:
        async for m in self.sms.find({"to": phone, "at": {"$gte": since}}).sort("at", -1).limit(1):
            return code_in(m["text"])
        return None

    async def _mail(self, address: str, since: datetime) -> str | None:
        return self.mailbox.code(address, since)

    async def close(self) -> None:
        await self.client.close()

    async def __aenter__(self) -> Inbox:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def register(http: httpx.AsyncClient, inbox: Inbox, p: Person | None = None) -> Person:
    """Register a citizen the way a person does (ask, the code by SMS, confirm; the email confirmed
    with its own code) and sign in."""
    p = p or new_person()
    since = datetime.now(UTC)
    _check(await http.post("/api/v1/auth/register", json=sign_up(p)), 202)
    confirm = {"citizen_id": p.citizen_id, "phone": p.phone, "code": await inbox.code(p.phone, since)}
    p.id = _check(await http.post("/api/v1/auth/register/confirm", json=confirm), 201).json()["id"]
    await login(http, p, p.citizen_id, PASSWORD)
    if p.email:
        code = {"channel": "email", "code": await inbox.code(p.email, since)}
        _check(await http.post("/api/v1/auth/me/contact/confirm", json=code, headers=p.auth), 200)
    return p


async def register_many(http: httpx.AsyncClient, inbox: Inbox, n: int, at_once: int = 4) -> list[Person]:
    """``n`` new citizens, ``at_once`` registering at a time: each costs two argon2 hashes (64 MiB,
    about 0.2 s of a core), and a crowd of them at once would time the gateway out on a small machine."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> Person:
        async with gate:
            return await register(http, inbox)

    return list(await asyncio.gather(*(one() for _ in range(n))))


# -- the second factor of officers and administrators ------------------------------------------------
TOTP_STEP = 30
_used_steps: dict[tuple[str, str], int] = {}  # (scope, secret) → the last step this process sent
_steps_lock = threading.Lock()


def admin_totp_secret() -> str:
    """The first administrator's TOTP secret: the environment's DVC_ADMIN_TOTP_SECRET, else the
    development stack's."""
    return os.environ.get("DVC_ADMIN_TOTP_SECRET") or DEV_ADMIN_TOTP_SECRET


def scope_of(http: httpx.AsyncClient | httpx.Client) -> str:
    """Where an account's used steps are counted: one stack (its gateway), or one in-process auth app
    (its database: every in-process client's address is the same)."""
    app = getattr(http, "app", None)
    if app is not None and hasattr(app.state, "settings"):
        return f"app:{app.state.settings.mongo_db}"
    return str(http.base_url).rstrip("/")


def _reserve(secret: str, scope: str) -> tuple[str, float]:
    """The next code to send for ``secret`` at ``scope``, and the seconds to wait before sending it.
    Auth takes a code of one step either side of now, never of a step the account already used: each
    sign-in of this process gets the step after the last one, at least the current one; one more than a
    step ahead of the clock, it waits until that step is one ahead."""
    with _steps_lock:
        now = time.time()
        current = int(now // TOTP_STEP)
        step = max(current, _used_steps.get((scope, secret), current - 1) + 1)
        _used_steps[(scope, secret)] = step
    wait = max(0.0, (step - 1) * TOTP_STEP + 0.5 - now)
    return pyotp.TOTP(secret).generate_otp(step), wait


def totp_code(secret: str, scope: str) -> str:
    """A code auth accepts now for ``secret`` (synchronous callers: the browser and security tests)."""
    code, wait = _reserve(secret, scope)
    time.sleep(wait)
    return code


async def totp_code_async(secret: str, scope: str) -> str:
    code, wait = _reserve(secret, scope)
    await asyncio.sleep(wait)
    return code


class SecondFactor:
    """A staff member's second factor, and the requests after the password as the portal makes them
    (shared by :func:`sign_in` and :func:`sign_in_sync`): on the first sign-in the enrolment (the secret
    and recovery codes, then a first code to ``path``), later a code alone."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.recovery_codes: list[str] = []

    def first(self, challenge: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
        """The first request: the enrolment's, or None when the code can be sent at once."""
        if challenge["mfa"] == "enrol":
            return f"{A}/mfa/totp", {"mfa_token": challenge["mfa_token"]}
        if not self.secret:
            raise AssertionError("the account has a second factor, but its TOTP secret is not known here")
        return None

    def enrolled(self, made: dict[str, Any]) -> None:
        self.secret, self.recovery_codes = made["secret"], made["recovery_codes"]

    @staticmethod
    def path(challenge: dict[str, Any]) -> str:
        return f"{A}/mfa/totp/verify" if challenge["mfa"] == "enrol" else f"{A}/login/mfa"


async def sign_in(
    http: httpx.AsyncClient, username: str, password: str, totp_secret: str = ""
) -> tuple[dict[str, Any], SecondFactor]:
    """The token pair of an account (a staff member's with its second factor: enrolled at the first
    sign-in); and the second factor as it stands (``.secret``, ``.recovery_codes``)."""
    factor = SecondFactor(totp_secret)
    t = _check(await http.post(f"{A}/login", json={"username": username, "password": password}), 200).json()
    if "mfa" in t:
        first = factor.first(t)
        if first is not None:
            factor.enrolled(_check(await http.post(first[0], json=first[1]), 200).json())
        code = await totp_code_async(factor.secret, scope_of(http))
        body = {"mfa_token": t["mfa_token"], "code": code}
        t = _check(await http.post(factor.path(t), json=body), 200).json()
    return t, factor


def sign_in_sync(
    http: httpx.Client, username: str, password: str, totp_secret: str = ""
) -> tuple[dict[str, Any], SecondFactor]:
    """:func:`sign_in` for synchronous callers (the security and browser tests)."""
    factor = SecondFactor(totp_secret)
    t = _check(http.post(f"{A}/login", json={"username": username, "password": password}), 200).json()
    if "mfa" in t:
        first = factor.first(t)
        if first is not None:
            factor.enrolled(_check(http.post(first[0], json=first[1]), 200).json())
        body = {"mfa_token": t["mfa_token"], "code": totp_code(factor.secret, scope_of(http))}
        t = _check(http.post(factor.path(t), json=body), 200).json()
    return t, factor


async def login(http: httpx.AsyncClient, p: Person, username: str, password: str) -> Person:
    """Sign ``p`` in; an officer or administrator with the second factor (enrolled at the first sign-in,
    the secret kept on ``p``)."""
    t, factor = await sign_in(http, username, password, p.totp_secret)
    p.token, p.refresh_token = t["access_token"], t["refresh_token"]
    if factor.secret != p.totp_secret:
        p.totp_secret, p.recovery_codes = factor.secret, factor.recovery_codes
    return p


async def admin(
    http: httpx.AsyncClient, username: str, password: str, totp_secret: str | None = None
) -> Person:
    """The first administrator, signed in with the stack's DVC_ADMIN_TOTP_SECRET (or ``totp_secret``)."""
    who = Person("admin", "", "", None, totp_secret=totp_secret or admin_totp_secret())
    return await login(http, who, username, password)


async def add_procedure(
    http: httpx.AsyncClient,
    admin: Person,
    procedure: dict[str, Any] = TEST_PROCEDURE,
    *,
    patience: float = 180,
) -> None:
    """The administrator adds ``procedure``; while a fresh catalogue's first load is still being written
    (503 with Retry-After), asks again, as the portal's administrator would."""
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        r = await http.post("/api/v1/catalog/procedures", json=procedure, headers=admin.auth)
        if r.status_code != 503 or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(min(float(r.headers.get("Retry-After", "1")), 2.0))
    _check(r, 201, 409)


async def officer(
    http: httpx.AsyncClient,
    admin: Person,
    agency_code: str,
    name: str = "Cán bộ Một Cửa",
    roles: list[str] | None = None,
) -> Person:
    """Staff of ``agency_code``, created by the administrator, signed in: enrolled in the second factor
    at this first sign-in, the secret kept as ``totp_secret``. ``roles``: any of reception, specialist,
    leader, admin (docs/auth.md); without them the old single role "officer", which holds all three."""
    p = new_person(name)
    body: dict[str, Any] = {
        "full_name": p.full_name,
        "username": f"cb{p.citizen_id}",
        "password": PASSWORD,
        "agencies": [agency_code],
    }
    body |= {"roles": roles} if roles else {"role": "officer"}
    p.id = _check(await http.post("/api/v1/auth/users", json=body, headers=admin.auth), 201).json()["id"]
    return await login(http, p, body["username"], PASSWORD)


def result_pdf(title: str = "QUYẾT ĐỊNH", body: str = "Kết quả giải quyết thủ tục hành chính") -> bytes:
    """A real one-page PDF, as an agency's result document is (the leader's approval signs it, so it must
    parse as a PDF, which ``pdf`` below does not)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen.canvas import Canvas

    from .config import ROOT

    font = ROOT / "services" / "submission" / "src" / "submission" / "data" / "fonts" / "DejaVuSans.ttf"
    pdfmetrics.registerFont(TTFont("DejaVu", str(font)))  # the built-in fonts have no Vietnamese
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=True)
    c.setFont("DejaVu", 16)
    c.drawString(72, 760, title)
    c.setFont("DejaVu", 11)
    c.drawString(72, 730, body)
    c.showPage()
    c.save()
    return buf.getvalue()


def pdf(size: int = 2048, salt: bytes = b"") -> bytes:
    head = b"%PDF-1.5\n" + salt
    return head + b"0" * max(0, size - len(head))


Timer = Callable[[str, Awaitable[httpx.Response]], Awaitable[httpx.Response]]


async def _untimed(_step: str, call: Awaitable[httpx.Response]) -> httpx.Response:
    return await call


async def file_dossier(
    http: httpx.AsyncClient,
    p: Person,
    *,
    captcha_answer: str,
    procedure_code: str = TEST_PROCEDURE_CODE,
    agency_code: str | None = None,
    files: dict[str, bytes] | None = None,
    timed: Timer = _untimed,
) -> dict[str, Any]:
    """The four steps: draft, submitter (step 1), one file per missing component (step 2), fees and a
    captcha (step 3), submit (step 4). Returns the submitted dossier (with its ``code``)."""
    draft: dict[str, Any] = {"procedure_code": procedure_code}
    if agency_code:
        draft["agency_code"] = agency_code
    d = _check(await timed("draft", http.post(f"{S}/dossiers", json=draft, headers=p.auth)), 201).json()
    applicant = {"submitter": submitter(p)}
    _check(
        await timed(
            "applicant", http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=p.auth)
        ),
        200,
    )
    for m in d["missing"]:
        if not m["item"].startswith("component:"):
            continue
        cid = m["item"].split(":", 1)[1]
        data = (files or {}).get(cid) or pdf(salt=cid.encode())
        upload = http.post(
            f"{S}/dossiers/{d['id']}/attachments",
            headers=p.auth,
            data={"component_id": cid},
            files={"file": ("hồ sơ.pdf", data, "application/pdf")},
        )
        _check(await timed("upload", upload), 201)
    _check(await timed("fees", http.get(f"{S}/dossiers/{d['id']}/fees", headers=p.auth)), 200)
    cap = _check(await timed("captcha", http.post(f"{S}/captcha", headers=p.auth)), 201).json()
    answer = {"captcha_id": cap["captcha_id"], "captcha_answer": captcha_answer}
    r = await timed("submit", http.post(f"{S}/dossiers/{d['id']}/submit", json=answer, headers=p.auth))
    return _check(r, 200).json()


def stopwatch(into: dict[str, list[float]]) -> Timer:
    """A ``timed`` for :func:`file_dossier` that records each step's seconds in ``into``."""

    async def timed(step: str, call: Awaitable[httpx.Response]) -> httpx.Response:
        t = time.perf_counter()
        try:
            return await call
        finally:
            into.setdefault(step, []).append(time.perf_counter() - t)

    return timed


def vneid_verify(
    http: httpx.Client, idp: str, *, citizen_id: str, full_name: str, password: str, phone: str = ""
) -> dict[str, Any]:
    """Verify a self-registered citizen account through the development VNeID provider (``idp``: its base
    URL), as the person would: the provider learns an identity carrying the account's citizen ID, the
    sign-in goes through the gateway (``http``) and the provider's form, and the link ticket is redeemed
    with the account's password. The new token pair (its access token carries ``ial`` ≥ 1)."""
    from urllib.parse import parse_qs, urlsplit

    sub = f"vneid-test-{citizen_id}"
    claims = {"citizen_id": citizen_id, "name": full_name, "acr": "vneid:level2"}
    if phone:
        claims["phone_number"] = "+84" + phone[1:]
    _check(httpx.put(f"{idp}/users/{sub}", json=claims, timeout=30), 204)
    start = _check(http.get("/api/v1/auth/oidc/vneid/authorize", follow_redirects=False), 302)
    back = _check(httpx.post(start.headers["location"], data={"sub": sub}, timeout=30), 302)
    parts = urlsplit(back.headers["location"])
    done = _check(http.get(f"{parts.path}?{parts.query}", follow_redirects=False), 302)
    fragment = parse_qs(done.headers["location"].partition("#")[2])
    if "vneid_link" not in fragment:
        raise AssertionError(f"VNeID sign-in did not offer a link: {done.headers['location']}")
    body = {"ticket": fragment["vneid_link"][0], "password": password}
    return _check(http.post("/api/v1/auth/oidc/vneid/link", json=body), 200).json()
