"""The calls people make through the gateway, for system tests and benchmarks: register and sign in,
add a procedure as the administrator, file a dossier through the four steps, act as an officer.

Every function takes an ``httpx.AsyncClient`` whose ``base_url`` is the gateway and raises on any
answer it did not expect, with the answer's text.
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

S = "/api/v1/submissions"
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


async def register(http: httpx.AsyncClient, p: Person | None = None) -> Person:
    """Register a citizen and sign in."""
    p = p or new_person()
    body = {"full_name": p.full_name, "citizen_id": p.citizen_id, "phone": p.phone, "password": PASSWORD}
    if p.email:
        body["email"] = p.email
    p.id = _check(await http.post("/api/v1/auth/register", json=body), 201).json()["id"]
    return await login(http, p, p.citizen_id, PASSWORD)


async def login(http: httpx.AsyncClient, p: Person, username: str, password: str) -> Person:
    t = _check(
        await http.post("/api/v1/auth/login", json={"username": username, "password": password}), 200
    ).json()
    p.token, p.refresh_token = t["access_token"], t["refresh_token"]
    return p


async def admin(http: httpx.AsyncClient, username: str, password: str) -> Person:
    return await login(http, Person("admin", "", "", None), username, password)


async def add_procedure(
    http: httpx.AsyncClient, admin: Person, procedure: dict[str, Any] = TEST_PROCEDURE
) -> None:
    _check(await http.post("/api/v1/catalog/procedures", json=procedure, headers=admin.auth), 201, 409)


async def officer(
    http: httpx.AsyncClient, admin: Person, agency_code: str, name: str = "Cán bộ Một Cửa"
) -> Person:
    """An officer of ``agency_code``, created by the administrator, signed in."""
    p = new_person(name)
    body = {
        "full_name": p.full_name,
        "username": f"cb{p.citizen_id}",
        "password": PASSWORD,
        "role": "officer",
        "agencies": [agency_code],
    }
    p.id = _check(await http.post("/api/v1/auth/users", json=body, headers=admin.auth), 201).json()["id"]
    return await login(http, p, body["username"], PASSWORD)


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
    applicant = {
        "submitter": {
            "full_name": p.full_name,
            "citizen_id": p.citizen_id,
            "date_of_birth": "1985-03-08",
            "phone": p.phone,
            "address": "Số 1 Lạch Tray, phường Ngô Quyền, Hải Phòng",
        }
    }
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
