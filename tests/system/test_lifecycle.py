"""A dossier's whole life through the gateway: a citizen files it; a one-stop officer accepts it,
asks for a supplement, gets it, proposes the result document, a leader approves (signs) it, and the desk
returns it. The history and the events on the bus tell the same story."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import httpx

from devstack import client
from devstack.testing import CAPTCHA_TEST_ANSWER, eventually

S = "/api/v1/submissions"


def pdf(n: int = 3000) -> bytes:
    return b"%PDF-1.4\n" + b"x" * n


async def test_file_accept_supplement_finish_return(stack):
    exchange = f"{stack.infra.namespace}dvc.events"
    # Bounded: the observer's connection once waited without end in a loaded CI run (no timer left in
    # the loop), and pytest-timeout's 300 s then said nothing of where.
    conn = await aio_pika.connect(stack.infra.amqp_url, timeout=30)
    ch = await conn.channel()
    ex = await ch.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    q = await ch.declare_queue(f"{stack.infra.namespace}lifecycle-observer", arguments={"x-expires": 600_000})
    await q.bind(ex, "dossier.#")

    p = client.new_person("Bùi Thị Lan", email=False)
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        async with stack.inbox() as phone:
            citizen = (await client.register(http, phone, p)).auth
        admin = (await client.admin(http, stack.cfg.admin_username, stack.cfg.admin_password)).auth
        ward = "000.01.H1.H26"  # Công an Phường Kiến An
        officer_body = {
            "full_name": "Phạm Văn Tiếp Nhận",
            "role": "officer",
            "agencies": [ward],
            "username": f"tiepnhan{p.citizen_id[4:]}",
            "password": "Mot-Cua-Kien-An-1",
        }
        assert (await http.post("/api/v1/auth/users", json=officer_body, headers=admin)).status_code == 201
        # The officer's first sign-in enrols the second factor (devstack.client: pyotp codes).
        desk = client.Person(officer_body["full_name"], "", "", None)
        officer = (await client.login(http, desk, officer_body["username"], officer_body["password"])).auth

        d = (
            await http.post(
                f"{S}/dossiers", json={"procedure_code": "1.004194", "agency_code": ward}, headers=citizen
            )
        ).json()
        me = client.submitter(
            p, date_of_birth="1979-12-01", address="Số 8 Trần Thành Ngọ, phường Kiến An, Hải Phòng"
        )
        applicant = {"submitter": me}
        await http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=citizen)
        for m in d["missing"]:
            if m["item"].startswith("component:"):
                r = await http.post(
                    f"{S}/dossiers/{d['id']}/attachments",
                    headers=citizen,
                    data={"component_id": m["item"].split(":")[1]},
                    files={"file": ("tờ khai.pdf", pdf(), "application/pdf")},
                )
                assert r.status_code == 201, r.text
        cap = (await http.post(f"{S}/captcha", headers=citizen)).json()
        code = (
            await http.post(
                f"{S}/dossiers/{d['id']}/submit",
                headers=citizen,
                json={"captcha_id": cap["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER},
            )
        ).json()["code"]

        queue = (await http.get(f"{S}/officer/dossiers", params={"q": p.citizen_id}, headers=officer)).json()
        assert [i["code"] for i in queue["items"]] == [code]

        async def act(who, action, **kw):
            r = await http.post(f"{S}/dossiers/{d['id']}/actions/{action}", headers=who, **kw)
            assert r.status_code == 200, (action, r.text)
            return r.json()

        accepted = await act(officer, "accept", json={"note": "Đủ hồ sơ"})
        receipt = await http.get(f"{S}/dossiers/{d['id']}/receipt", headers=citizen)
        assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
        await act(officer, "request-supplement", json={"items": ["Giấy xác nhận của chủ nhà"]})
        comp = d["procedure"]["components"][0]["id"]
        await http.post(
            f"{S}/dossiers/{d['id']}/attachments",
            headers=citizen,
            data={"component_id": comp},
            files={"file": ("xác nhận chủ nhà.pdf", pdf(), "application/pdf")},
        )
        await act(citizen, "resubmit", json={"note": "Đã bổ sung"})
        await act(
            officer,
            "propose",
            data={"note": "Đã đăng ký", "outcome": "grant"},
            files={"file": ("kết quả.pdf", client.result_pdf(), "application/pdf")},
        )
        leader_body = officer_body | {
            "full_name": "Vũ Thị Lãnh Đạo",
            "roles": ["leader"],
            "username": f"lanhdao{p.citizen_id[4:]}",
        }
        leader_body.pop("role")
        assert (await http.post("/api/v1/auth/users", json=leader_body, headers=admin)).status_code == 201
        boss = client.Person(leader_body["full_name"], "", "", None)
        leader = (await client.login(http, boss, leader_body["username"], leader_body["password"])).auth
        await act(leader, "approve", json={"note": "Đồng ý"})
        done = await act(officer, "return-result")

        # Status changes; the file added during the supplement is an entry with a "change" besides.
        assert [h["status"] for h in done["history"] if not h.get("change")] == [
            "submitted",
            "accepted",
            "supplement_requested",
            "processing",
            "processing",  # proposed to the leader
            "finished",
            "returned",
        ]
        assert done["appointment_at"] >= accepted["appointment_at"]  # the supplement time was added

        seen: list[dict] = []

        async def drained() -> bool:
            while (m := await q.get(no_ack=True, fail=False)) is not None:
                body = json.loads(m.body)
                if body["data"]["dossier_id"] == d["id"]:
                    seen.append(body)
            return len(seen) >= 7

        await eventually(drained, 15, 0.2)
    await asyncio.wait_for(conn.close(), 30)
    seen.sort(key=lambda e: e["occurred_at"])  # delivery order is not promised; time order is the story
    kinds = [(e["type"], e["data"].get("new_status_code")) for e in seen]
    assert kinds == [
        ("dossier.submitted", None),
        ("dossier.status_changed", 2),
        ("dossier.status_changed", 5),
        ("dossier.status_changed", 4),
        ("dossier.step_changed", None),  # proposed to the leader
        ("dossier.status_changed", 9),
        ("dossier.status_changed", 10),
    ]
    assert all(e["data"]["code"] == code for e in seen)
