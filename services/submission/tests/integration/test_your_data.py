"""A citizen's rights over their data (docs/auth.md, "Your data"), across the services in-process: the
export (auth asks submission, notify, payment and the audit trail with the citizen's own token, and
writes one ZIP) and closing the account (``user.closed.v1``: drafts and their files gone in submission,
notifications and contacts gone in notify, filed dossiers kept; nobody signs in; no more notifications).

The audit service (``GET /api/v1/audit/me``) is another part of issue 22, not here yet: this module runs
an in-process stand-in of that endpoint, with its paged shape (``items``, ``total``)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse

from auth.adapters.peers import Peers
from devstack.testing import eventually, register_in_process, running, sent_code
from dvckit.auth import TokenVerifier
from dvckit.contracts import DossierStatusChangedV1
from notify.config import Settings as NotifySettings
from notify.main import create_app as notify_app
from payment.config import Settings as PaymentSettings
from payment.main import create_app as payment_app

from .conftest import PASSWORD, S, World, pdf, png

A = "/api/v1/auth"
pytestmark = pytest.mark.timeout(180)


class AuditStandIn:
    """``GET /api/v1/audit/me`` as part A describes it: the entries whose subject is the caller, paged.
    ``down``: answers 503, as a service that is not there."""

    def __init__(self) -> None:
        self.down = False
        self.calls: list[str] = []
        self.app = FastAPI()

        @self.app.get("/api/v1/audit/me")
        async def me(
            authorization: str = Header(""), page: int = Query(1), size: int = Query(20)
        ) -> JSONResponse:
            self.calls.append(authorization)
            if self.down:
                return JSONResponse({"type": "about:blank", "status": 503}, status_code=503)
            entries = [
                {
                    "at": "2026-12-01T03:00:00Z",
                    "kind": "read",
                    "action": "dossier.viewed",
                    "actor_roles": ["officer", "reception"],
                    "actor_agencies": ["000.01.G5.H26"],
                    "target_type": "dossier",
                    "target_id": f"d-{i}",
                }
                for i in range(3)
            ]
            items = entries[(page - 1) * size : page * size]
            return JSONResponse({"items": items, "total": len(entries), "page": page, "size": size})


@pytest.fixture(scope="module")
async def rights(world: World, infra) -> AsyncIterator[dict[str, Any]]:
    """Notify and payment in-process beside the world's auth and submission, the audit stand-in, and
    auth's per-person calls routed to them (as through the gateway)."""
    auth = world.auth.app
    keys = auth.state.keys.jwks
    settings = auth.state.settings
    audit = AuditStandIn()
    stack = contextlib.AsyncExitStack()
    async with stack:
        apps = {
            "notify": notify_app(infra.settings(NotifySettings)),
            "payment": payment_app(infra.settings(PaymentSettings)),
        }
        clients = {}
        for name, app in apps.items():
            app.state.runtime.tokens = TokenVerifier(
                keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience
            )
            clients[name] = await stack.enter_async_context(running(app))
        transports = {
            "submission": httpx.ASGITransport(app=world.sub.app),
            "notify": httpx.ASGITransport(app=apps["notify"]),
            "payment": httpx.ASGITransport(app=apps["payment"]),
            "audit": httpx.ASGITransport(app=audit.app),
        }
        your_data = auth.state.your_data
        old = your_data.peers
        your_data.peers = Peers(
            submission_url="http://submission",
            notify_url="http://notify",
            payment_url="http://payment",
            audit_url="http://audit",
            transports=transports,
        )
        try:
            yield {"audit": audit, "notify": clients["notify"], "apps": apps}
        finally:
            await your_data.peers.close()
            your_data.peers = old


async def export(world: World, p: dict[str, Any]) -> httpx.Response:
    return await world.auth.get(f"{A}/me/export", headers=p["h"])


def members(r: httpx.Response) -> dict[str, bytes]:
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert z.testzip() is None
    return {n: z.read(n) for n in z.namelist()}


async def test_the_export_holds_every_part(world: World, rights: dict[str, Any]) -> None:
    p = await world.citizen()
    draft = await world.ready(p)
    filed = await world.submitted(p)
    notify = rights["notify"]
    # Notify heard of the filing (dossier.submitted.v1): the notification is part of the export.
    await eventually(
        lambda: rights["apps"]["notify"].state.runtime.db.notifications.count_documents(
            {"user_id": p["id"], "dossier_id": filed["id"]}
        ),
        timeout=30,
    )
    assert notify is not None

    # Every list read page by page: pages of one dossier, two notifications, two audit entries.
    your_data = world.auth.app.state.your_data
    your_data.page_size = 1
    try:
        r = await export(world, p)
    finally:
        your_data.page_size = 50
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert r.headers["content-disposition"] == f'attachment; filename="du-lieu-ca-nhan-{today}.zip"'
    got = members(r)
    assert {
        "README.txt",
        "account.json",
        "dossiers.json",
        "notifications.json",
        "payments.json",
        "audit.json",
    } <= set(got)
    readme = got["README.txt"].decode()
    assert readme.startswith("DỮ LIỆU CÁ NHÂN") and "PERSONAL DATA" in readme
    assert readme.index("DỮ LIỆU CÁ NHÂN") < readme.index("PERSONAL DATA")  # Vietnamese first

    account = json.loads(got["account.json"])
    assert account["account"]["citizen_id"] == p["citizen_id"]
    assert account["account"]["phone"] == p["phone"]
    assert account["sessions"] and account["sign_ins"]
    assert "password_hash" not in got["account.json"].decode()

    dossiers = {d["id"]: d for d in json.loads(got["dossiers.json"])}
    assert set(dossiers) == {draft["id"], filed["id"]}
    # Every file is in the archive, byte for byte as uploaded.
    sent = {hashlib.sha256(pdf()).hexdigest(), hashlib.sha256(png()).hexdigest()}
    for d in dossiers.values():
        assert len(d["attachments"]) == 2
        for f in d["attachments"]:
            data = got[f["archive_path"]]
            assert hashlib.sha256(data).hexdigest() == f["sha256"] in sent
            assert f["archive_path"].startswith("tep/")

    notes = json.loads(got["notifications.json"])
    assert {n["dossier_id"] for n in notes["notifications"]} >= {filed["id"]}
    assert notes["preferences"]["language"] == "vi"
    assert notes["contact"]["phone"] == p["phone"]
    assert isinstance(notes["deliveries"], list)
    assert json.loads(got["payments.json"]) == []
    audit = json.loads(got["audit.json"])
    assert [e["target_id"] for e in audit] == ["d-0", "d-1", "d-2"]
    # Each service was asked with the citizen's own token.
    assert rights["audit"].calls[-1] == p["h"]["Authorization"]


async def test_a_service_that_does_not_answer_makes_no_archive(world: World, rights: dict[str, Any]) -> None:
    p = await world.citizen()
    rights["audit"].down = True
    try:
        r = await export(world, p)
    finally:
        rights["audit"].down = False
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "export-unavailable" and body["service"] == "audit"
    assert r.headers["retry-after"]


async def test_export_and_close_are_the_citizens(world: World, rights: dict[str, Any]) -> None:
    officer = await world.officer(["000.01.G5.H26"])
    assert (await world.auth.get(f"{A}/me/export", headers=officer["h"])).status_code == 403
    body = {"current_password": "whatever-it-is", "confirm": True}
    assert (await world.auth.post(f"{A}/me/close", json=body, headers=officer["h"])).status_code == 403
    assert (await world.auth.get(f"{A}/me/export")).status_code == 401


async def test_closing_the_account(world: World, rights: dict[str, Any]) -> None:
    p = await world.citizen()
    draft = await world.ready(p)
    filed = await world.submitted(p)
    notify_db = rights["apps"]["notify"].state.runtime.db
    await eventually(lambda: notify_db.notifications.count_documents({"user_id": p["id"]}), timeout=30)
    close = f"{A}/me/close"
    sub_db = world.sub.app.state.runtime.db
    store = world.sub.app.state.store
    keys = [a["key"] for a in (await sub_db.dossiers.find_one({"_id": draft["id"]}))["attachments"]]
    assert len(keys) == 2 and all([await store.head(k) for k in keys])

    # Asked again: the password, and an explicit confirmation.
    r = await world.auth.post(
        close, json={"current_password": "Not-The-One-123", "confirm": True}, headers=p["h"]
    )
    assert r.status_code == 400 and r.json()["code"] == "wrong-password"
    r = await world.auth.post(close, json={"current_password": PASSWORD, "confirm": False}, headers=p["h"])
    assert r.status_code == 422 and r.json()["code"] == "confirmation-required"
    # A filed dossier still in hand: not yet.
    r = await world.auth.post(close, json={"current_password": PASSWORD, "confirm": True}, headers=p["h"])
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "dossiers-in-hand" and r.json()["in_hand"] == 1

    r = await world.sub.post(f"{S}/dossiers/{filed['id']}/actions/withdraw", json={}, headers=p["h"])
    assert r.status_code == 200, r.text
    r = await world.auth.post(close, json={"current_password": PASSWORD, "confirm": True}, headers=p["h"])
    assert r.status_code == 204, r.text

    # Nobody signs in to it; its tokens stop (this replica of auth at once).
    login = {"username": p["phone"], "password": PASSWORD}
    assert (await world.auth.post(f"{A}/login", json=login)).status_code == 401
    assert (
        await world.auth.post(f"{A}/login", json={**login, "username": p["citizen_id"]})
    ).status_code == 401
    assert (await world.auth.get(f"{A}/me", headers=p["h"])).status_code == 401
    users = world.auth.app.state.runtime.db.users
    left = await users.find_one({"_id": p["id"]})
    assert left is not None and left["closed_at"] and left["locked"] is True
    for gone in ("citizen_id", "phone", "email", "password_hash", "identity", "external_ids"):
        assert gone not in left
    assert left["full_name"] == ""

    # Submission: the draft and its files deleted; the filed dossier kept, as the archive law requires.
    await eventually(lambda: _gone(sub_db, draft["id"]), timeout=30)

    async def objects_gone() -> bool:
        return not any([await store.head(k) for k in keys])

    await eventually(objects_gone, timeout=30)
    kept = await sub_db.dossiers.find_one({"_id": filed["id"]})
    assert kept is not None and kept["status"] == "withdrawn"

    # Notify: its notifications, deliveries and contacts deleted, the contact document says closed.
    async def erased() -> bool:
        contact = await notify_db.contacts.find_one({"_id": p["id"]})
        return (
            contact is not None
            and "closed_at" in contact
            and await notify_db.notifications.count_documents({"user_id": p["id"]}) == 0
            and await notify_db.deliveries.count_documents({"user_id": p["id"]}) == 0
        )

    await eventually(erased, timeout=30)
    contact = await notify_db.contacts.find_one({"_id": p["id"]})
    assert set(contact) == {"_id", "closed_at"}

    # A later event about a kept dossier reaches nobody: no notification, no message.
    sub_rt = world.sub.app.state.runtime
    event = DossierStatusChangedV1(
        dossier_id=filed["id"],
        code=kept["code"] or "X",
        owner_id=p["id"],
        procedure_code="1.004194",
        procedure_name="x",
        agency_code="000.01.G5.H26",
        agency_name="x",
        old_status="withdrawn",
        new_status="withdrawn",
        old_status_code=7,
        new_status_code=7,
        actor_role="reception",
        rev=99,
        changed_at=datetime.now(UTC),
    )
    seen = await notify_db.processed_events.count_documents({})

    async def txn(session: Any) -> None:
        await sub_rt.outbox.add(session, event)

    await sub_rt.transaction(txn)
    await eventually(
        lambda: _more(notify_db, seen), timeout=30
    )  # notify handled it (the processed-event record) ...
    assert await notify_db.notifications.count_documents({"user_id": p["id"]}) == 0  # ... and sent nothing
    assert await notify_db.deliveries.count_documents({"user_id": p["id"]}) == 0

    # The citizen ID and phone are free: the person may register again, as a new account.
    person = {k: p[k] for k in ("full_name", "citizen_id", "phone", "email")} | {"password": PASSWORD}
    # (the test reads codes from auth's outbox: the first registration's must not be taken for the new)
    outbox = world.auth.app.state.runtime.db.outbox
    await outbox.delete_many(
        {"routing_key": "user.verification_code_issued.v1", "envelope.data.phone": p["phone"]}
    )
    await outbox.delete_many(
        {"routing_key": "user.verification_code_issued.v1", "envelope.data.email": p["email"]}
    )
    again = await register_in_process(world.auth, person)
    assert again["id"] != p["id"]


async def _gone(db: Any, dossier_id: str) -> bool:
    return await db.dossiers.find_one({"_id": dossier_id}) is None


async def _more(db: Any, seen: int) -> bool:
    return await db.processed_events.count_documents({}) > seen


async def test_the_last_representative_of_an_organisation_stays(world: World, rights: dict[str, Any]) -> None:
    # Organisations are registered by VNeID-verified citizens only; set one up in auth's store directly
    # (the rule under test is closing, not registering).
    p = await world.citizen()
    orgs = world.auth.app.state.runtime.db.organisations
    org_id = str(uuid.uuid4())
    await orgs.insert_one(
        {
            "_id": org_id,
            "tax_code": f"{uuid.uuid4().int % 10**10:010d}",
            "name": "Công ty TNHH Cảng Xanh",
            "address": "Hải Phòng",
            "legal_representative": {"full_name": p["full_name"], "citizen_id": p["citizen_id"]},
            "members": [{"user_id": p["id"], "role": "representative"}],
            "version": 0,
            "created_at": datetime.now(UTC),
        }
    )
    body = {"current_password": PASSWORD, "confirm": True}
    r = await world.auth.post(f"{A}/me/close", json=body, headers=p["h"])
    assert r.status_code == 409 and r.json()["code"] == "last-representative", r.text
    assert r.json()["organisations"] == ["Công ty TNHH Cảng Xanh"]


async def test_closing_with_a_code_instead_of_the_password(world: World, rights: dict[str, Any]) -> None:
    # An account made through VNeID has no password: its holder closes it with a code to their phone.
    p = await world.citizen()
    users = world.auth.app.state.runtime.db.users
    await users.update_one({"_id": p["id"]}, {"$unset": {"password_hash": ""}})
    close = f"{A}/me/close"
    r = await world.auth.post(close, json={"current_password": PASSWORD, "confirm": True}, headers=p["h"])
    assert r.status_code == 409 and r.json()["code"] == "password-not-set", r.text
    # Both, or neither: refused.
    r = await world.auth.post(close, json={"confirm": True}, headers=p["h"])
    assert r.status_code == 422 and r.json()["code"] == "password-or-code", r.text

    r = await world.auth.post(f"{A}/me/close/code", headers=p["h"])
    assert r.status_code == 202, r.text
    assert r.json()["channel"] == "sms"
    code = await sent_code(world.auth.app, "account_close", phone=p["phone"])
    wrong = "000000" if code != "000000" else "111111"
    r = await world.auth.post(close, json={"code": wrong, "confirm": True}, headers=p["h"])
    assert r.status_code == 400 and r.json()["code"] == "invalid-code", r.text
    r = await world.auth.post(close, json={"code": code, "confirm": True}, headers=p["h"])
    assert r.status_code == 204, r.text
    left = await users.find_one({"_id": p["id"]})
    assert left["closed_at"] and "phone" not in left
    # The code worked once.
    r = await world.auth.post(close, json={"code": code, "confirm": True}, headers=p["h"])
    assert r.status_code == 401
