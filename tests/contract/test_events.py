"""Event contracts, checked on the consumers' side with what the producers really emit.

The producers' own code paths run (through the gateway, as people use them) and write their events to
their outboxes; every payload is then read as each consumer reads it: with the model its handler is
registered for (``Consumer.on_event``), taken from the consumer's own wiring (``create_app``), not from
a list kept here. Every event of the catalogue must have been emitted (a deprecated one excepted) and
every event a consumer is bound to must be one that someone emits."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import AsyncMongoClient

from devstack import client
from devstack.testing import CAPTCHA_TEST_ANSWER, eventually
from dvckit.consumer import read
from dvckit.contracts import CATALOGUE
from dvckit.events import EventData

PRODUCERS = ("auth", "catalog", "submission", "payment")


def consumers() -> dict[str, dict[str, type[EventData]]]:
    """Each consuming service's bindings, from its own wiring: routing key → the model it parses."""
    from audit.config import Settings as AuditSettings
    from audit.main import create_app as audit_app
    from notify.config import Settings as NotifySettings
    from notify.main import create_app as notify_app
    from payment.config import Settings as PaymentSettings
    from payment.main import create_app as payment_app
    from reporting.config import Settings as ReportingSettings
    from reporting.main import create_app as reporting_app
    from submission.config import Settings as SubmissionSettings
    from submission.main import create_app as submission_app

    out = {}
    for name, make, settings in (
        ("notify", notify_app, NotifySettings),
        ("submission", submission_app, SubmissionSettings),
        ("payment", payment_app, PaymentSettings),
        ("reporting", reporting_app, ReportingSettings),
        ("audit", audit_app, AuditSettings),
    ):
        app = make(settings())  # built, not started: the wiring is all we read
        out[name] = dict(app.state.runtime.consumer.models)
    return out


async def emitted(stack: Any, since: datetime) -> dict[str, list[dict[str, Any]]]:
    """Every event payload the producers wrote to their outboxes since ``since``, by routing key."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in PRODUCERS:  # each service's database on its own server
        mongo = AsyncMongoClient(stack.mongo_url_for(name))
        try:
            async for doc in mongo[stack.db_name(name)].outbox.find({"created_at": {"$gte": since}}):
                by_key[doc["routing_key"]].append(doc["envelope"]["data"])
        finally:
            await mongo.close()
    return by_key


def verify_through_vneid(stack: Any, person: client.Person) -> None:
    with httpx.Client(base_url=stack.url, timeout=60) as http:
        client.vneid_verify(
            http,
            f"http://127.0.0.1:{stack.cfg.idp_port}",
            citizen_id=person.citizen_id,
            full_name=person.full_name,
            password=client.PASSWORD,
        )


async def run_the_producers(stack: Any) -> None:
    """Each event's producer, through the gateway: a new procedure published, a citizen registered (and
    once more, refused), their email removed, a dossier filed, accepted and given a new appointment, another filed, withdrawn and rated, the accepting officer's second
    factor reset by the administrator, a sign-out, the procedure withdrawn, an agency of the directory created or changed, a search vocabulary entry created and deleted, a second citizen's account closed."""
    code = f"2.9{uuid.uuid4().int % 10**5:05d}"
    procedure = {**client.TEST_PROCEDURE, "code": code, "name": f"Thủ tục kiểm thử hợp đồng sự kiện {code}"}
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        admin = await client.admin(http, stack.cfg.admin_username, stack.cfg.admin_password)
        await client.add_procedure(http, admin, procedure)
        async with stack.inbox() as inbox:
            person = await client.register(http, inbox)
        again = {
            "full_name": "Người Khác",
            "citizen_id": f"0319{uuid.uuid4().int % 10**8:08d}",
            "phone": person.phone,
            "password": client.PASSWORD,
        }
        assert (await http.post("/api/v1/auth/register", json=again)).status_code == 202
        # The person verified through the development VNeID provider registers their company:
        # organisation.created and organisation.member_changed (they become its representative).
        await asyncio.to_thread(verify_through_vneid, stack, person)
        token = (await client.login(http, person, person.citizen_id, client.PASSWORD)).token
        org = {
            "tax_code": f"04{uuid.uuid4().int % 10**8:08d}",
            "name": "Công ty TNHH Kiểm thử Hợp đồng",
            "address": "Số 1 Hoàng Diệu, phường Hồng Bàng, Hải Phòng",
            "legal_representative": {"full_name": person.full_name, "citizen_id": person.citizen_id},
        }
        r = await http.post(
            "/api/v1/auth/organisations", json=org, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 201, r.text
        r = await http.patch(
            "/api/v1/auth/me", json={"current_password": client.PASSWORD, "email": None}, headers=person.auth
        )
        assert r.status_code == 200, r.text

        async def known() -> bool:
            r = await http.get(f"{client.S}/agencies", params={"procedure": code})
            return r.status_code == 200 and bool(r.json())

        await eventually(known, timeout=30)
        filed = await client.file_dossier(
            http, person, captcha_answer=CAPTCHA_TEST_ANSWER, procedure_code=code
        )
        officer = await client.officer(http, admin, filed["agency"]["code"])
        r = await http.post(
            f"{client.S}/dossiers/{filed['id']}/actions/accept",
            json={"note": "Đủ hồ sơ"},
            headers=officer.auth,
        )
        assert r.status_code == 200, r.text
        # The specialist foresees the delay: the apology and a new appointment (dossier.step_changed).
        r = await http.post(
            f"{client.S}/dossiers/{filed['id']}/actions/apologise",
            json={"reason": "Chờ ý kiến của cơ quan liên quan", "days": 2},
            headers=officer.auth,
        )
        assert r.status_code == 200, r.text
        await run_the_payments(stack, http, person, officer, admin, filed)
        # A second dossier, withdrawn by its citizen and rated (dossier.rated).
        again = await client.file_dossier(
            http, person, captcha_answer=CAPTCHA_TEST_ANSWER, procedure_code=code
        )
        r = await http.post(
            f"{client.S}/dossiers/{again['id']}/actions/withdraw",
            json={"note": "Nộp nhầm"},
            headers=person.auth,
        )
        assert r.status_code == 200, r.text
        scores = {"overall": 4, "reception": 5, "guidance": 4, "time": 3, "result": 4}
        r = await http.post(
            f"{client.S}/dossiers/{again['id']}/rating",
            json={**scores, "comment": "Hướng dẫn rõ ràng"},
            headers=person.auth,
        )
        assert r.status_code == 201, r.text
        # The officer lost their phone: the administrator resets their second factor (enrolled at the
        # officer's first sign-in, above).
        r = await http.delete(f"/api/v1/auth/users/{officer.id}/mfa", headers=admin.auth)
        assert r.status_code == 204, r.text
        r = await http.post("/api/v1/auth/logout", json={"refresh_token": person.refresh_token})
        assert r.status_code == 204, r.text
        r = await http.post(f"/api/v1/catalog/procedures/{code}/withdraw", headers=admin.auth)
        assert r.status_code == 200, r.text
        # A year's working-day calendar changed: one no deadline of the stack reaches (2099).
        r = await http.put(f"{client.S}/calendar/2099", json={"days_off": ["2099-12-31"]}, headers=admin.auth)
        assert r.status_code == 200, r.text
        # An agency of the directory created (or, on a stack that ran this before, changed).
        agency = {
            "name": "Ban Kiểm thử hợp đồng sự kiện",
            "kind": "other",
            "level": "city",
            "parent_code": "000.00.00.H26",
            "parent_name": "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG",
        }
        r = await http.put("/api/v1/catalog/agencies/000.00.98.H26", json=agency, headers=admin.auth)
        assert r.status_code in (200, 201), r.text
        # An entry of the search vocabulary created (or changed), then deleted: it is gone again.
        term = {
            "kind": "everyday",
            "terms": ["thử hợp đồng sự kiện"],
            "means": ["đăng ký tạm trú"],
            "note": "test",
        }
        r = await http.put("/api/v1/catalog/vocabulary/eve-contract-test", json=term, headers=admin.auth)
        assert r.status_code in (200, 201), r.text
        r = await http.delete("/api/v1/catalog/vocabulary/eve-contract-test", headers=admin.auth)
        assert r.status_code == 200, r.text
        # A citizen with no dossier in hand closes their account (user.closed).
        async with stack.inbox() as inbox:
            leaving = await client.register(http, inbox)
        r = await http.post(
            "/api/v1/auth/me/close",
            json={"current_password": client.PASSWORD, "confirm": True},
            headers=leaving.auth,
        )
        assert r.status_code == 204, r.text


P = "/api/v1/payments"


async def run_the_payments(
    stack: Any, http: httpx.AsyncClient, person: Any, officer: Any, admin: Any, filed: dict
) -> None:
    """payment.*: the filing fee paid through the provider's sandbox (requested, succeeded) and refunded;
    a payment the officer asks for declined (failed); one opened and never paid (expired: its time moved
    back in the payment service's database, as time passing would, then reconciled)."""

    async def pay(order_id: str, result: str) -> None:
        r = await http.post(f"{P}/orders/{order_id}/pay", headers=person.auth)
        assert r.status_code == 200, r.text
        query = r.json()["url"].split("?", 1)[1]
        r = await http.post(
            f"{stack.infra.paysandbox_url}/sandbox/pay/{order_id}", json={"query": query, "result": result}
        )
        assert r.status_code == 200, r.text

    async def order(purpose: str) -> dict:
        r = await http.post(
            f"{P}/dossiers/{filed['id']}/orders", json={"purpose": purpose}, headers=person.auth
        )
        assert r.status_code in (200, 201), r.text
        return r.json()

    async def state(order_id: str, wanted: str) -> bool:
        r = await http.get(f"{P}/orders/{order_id}", headers=person.auth)
        return r.status_code == 200 and r.json()["state"] == wanted

    filing = await eventually(lambda: _try(order, "filing"), timeout=30)  # once payment knows the dossier
    await pay(filing["id"], "success")
    await eventually(lambda: state(filing["id"], "paid"), timeout=30)
    r = await http.post(f"{P}/orders/{filing['id']}/refund", headers=admin.auth)
    assert r.status_code == 200, r.text
    # The officer asks for a payment (status 6): payment opens the order from the event; it is declined.
    r = await http.post(
        f"{client.S}/dossiers/{filed['id']}/actions/request-payment",
        json={"lines": [{"name": "Phí thẩm định", "amount": 50000}]},
        headers=officer.auth,
    )
    assert r.status_code == 200, r.text
    requested = await eventually(lambda: _try(order, "requested"), timeout=30)
    await pay(requested["id"], "failure")
    await eventually(lambda: state(requested["id"], "failed"), timeout=30)
    # Opened again and never paid: its time passes.
    again = await order("requested")
    mongo = AsyncMongoClient(stack.mongo_url_for("payment"))
    try:
        past = datetime.now(UTC) - timedelta(hours=1)
        await mongo[stack.db_name("payment")].orders.update_one(
            {"_id": again["id"]}, {"$set": {"expires_at": past, "created_at": past}}
        )
    finally:
        await mongo.close()
    r = await http.post(f"{P}/reconcile", headers=admin.auth)
    assert r.status_code == 200, r.text
    await eventually(lambda: state(again["id"], "expired"), timeout=30)


async def _try(make: Any, purpose: str) -> dict | None:
    """The order, or None while the payment service has not yet heard of the dossier or the request."""
    try:
        return await make(purpose)
    except AssertionError:
        return None


async def audit_entries(stack: Any, since: datetime) -> dict[str, list[dict[str, Any]]]:
    """The audit entries (audit.recorded.v1) each producer wrote since ``since``: stream → entries."""
    by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name in PRODUCERS:
        mongo = AsyncMongoClient(stack.mongo_url_for(name))
        try:
            query = {"created_at": {"$gte": since}, "routing_key": "audit.recorded.v1"}
            async for doc in mongo[stack.db_name(name)].outbox.find(query):
                by_stream[doc["envelope"]["producer"]].append(doc["envelope"]["data"])
        finally:
            await mongo.close()
    return by_stream


async def test_what_producers_emit_is_what_consumers_parse(stack):
    since = datetime.now(UTC)
    await run_the_producers(stack)

    by_key = await emitted(stack, since)
    # Every producer writes the audit trail (audit.recorded.v1) of what its staff did, in its own stream.
    audit = await audit_entries(stack, since)
    actions = {stream: {e["action"] for e in entries} for stream, entries in audit.items()}
    assert {"staff.signed_in", "user.created", "user.mfa_reset"} <= actions["auth"]
    assert {"procedure.created", "procedure.withdrawn", "term.created", "term.deleted"} <= actions["catalog"]
    assert {"agency.created", "agency.changed"} & actions["catalog"]
    assert {"dossier.accepted", "dossier.apologised", "dossier.payment_requested"} <= actions["submission"]
    assert "calendar.changed" in actions["submission"]
    assert {"payment.refund_requested", "payment.refunded"} <= actions["payment"]
    for entries in audit.values():
        for e in entries:
            assert e["actor"] and e["actor_roles"] and e["request_id"], e
    # The producer's own model accepts its payload as it is (no field it does not declare).
    for cls in CATALOGUE:
        if cls.deprecated:
            assert cls.routing_key() not in by_key, f"{cls.routing_key()} is deprecated but still emitted"
            continue
        assert by_key.get(cls.routing_key()), f"no producer emitted {cls.routing_key()}"
        for data in by_key[cls.routing_key()]:
            cls.model_validate(data)

    # Each consumer reads each payload with the model its handler is registered for.
    catalogue = {cls.routing_key(): cls for cls in CATALOGUE}
    for service, bindings in consumers().items():
        assert bindings, f"{service} consumes nothing?"
        for key, model in bindings.items():
            assert key in catalogue, f"{service} is bound to {key}, which is in no contract"
            if catalogue[key].deprecated:
                continue
            assert by_key.get(key), f"{service} waits for {key}, which no producer emitted"
            for data in by_key[key]:
                read(model, data)
