"""Step 4 ends with a notification: a citizen submits a dossier and, within a second, the in-app
notification reaches the page live (Server-Sent Events through the gateway) and the email arrives."""

from __future__ import annotations

import asyncio
import email
import json
import uuid
from email.policy import default

import httpx

from devstack import client
from devstack.testing import CAPTCHA_TEST_ANSWER, eventually

S = "/api/v1/submissions"
N = "/api/v1/notifications"


async def test_submit_then_live_notification_and_email(stack):
    n = uuid.uuid4().int % 10**8
    address = f"nop{n}@example.vn"
    person = {
        "full_name": "Trịnh Văn Hải",
        "citizen_id": f"0316{n:08d}",
        "phone": f"094{n % 10**7:07d}",
        "email": address,
        "password": "Hon-Dau-Island-2026",
    }
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http, stack.inbox() as phone:
        p = client.Person(person["full_name"], person["citizen_id"], person["phone"], address)
        h = (await client.register(http, phone, p)).auth
        d = (
            await http.post(
                f"{S}/dossiers",
                json={"procedure_code": "1.004194", "agency_code": "000.01.G4.H26"},
                headers=h,
            )
        ).json()
        await http.put(
            f"{S}/dossiers/{d['id']}/applicant",
            headers=h,
            json={
                "submitter": {
                    "full_name": person["full_name"],
                    "citizen_id": person["citizen_id"],
                    "date_of_birth": "1990-01-01",
                    "phone": person["phone"],
                    "address": "Số 3 Hoàng Văn Thụ, phường Hồng Bàng, Hải Phòng",
                }
            },
        )
        for m in d["missing"]:
            if m["item"].startswith("component:"):
                await http.post(
                    f"{S}/dossiers/{d['id']}/attachments",
                    headers=h,
                    data={"component_id": m["item"].split(":")[1]},
                    files={"file": ("a.pdf", b"%PDF-1.4\n" + b"x" * 500, "application/pdf")},
                )
        # The page opens its live stream.
        ticket = (await http.post(f"{N}/stream-ticket", headers=h)).json()["ticket"]
        received: asyncio.Queue[dict] = asyncio.Queue()

        async def listen() -> None:
            async with http.stream("GET", f"{N}/stream", params={"ticket": ticket}) as r:
                assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
                event = None
                async for line in r.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "notification":
                        await received.put(json.loads(line[6:]))

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the stream is open (its first event, the unread count, came through)
        cap = (await http.post(f"{S}/captcha", headers=h)).json()
        r = await http.post(
            f"{S}/dossiers/{d['id']}/submit",
            headers=h,
            json={"captcha_id": cap["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER},
        )
        code = r.json()["code"]
        # How fast is measured by the benchmarks (bench/load.py's submit_to_notification), not here: a
        # deadline in a test fails on a loaded machine. Here: it comes through the open stream, once.
        while True:
            note = await asyncio.wait_for(received.get(), 30)
            if note["kind"] == "dossier_submitted":
                break
        listener.cancel()
        assert code in note["title"] and note["dossier_id"] == d["id"]
        inbox = (await http.get(N, headers=h)).json()
        # The email added at registration was announced too (to the phone, and in the inbox).
        assert {i["kind"] for i in inbox["items"]} == {"welcome", "contact_changed", "dossier_submitted"}

    def mail() -> list[email.message.EmailMessage]:
        found = []
        for path in stack.infra.mail_dir.glob("*.eml"):
            msg = email.message_from_bytes(path.read_bytes(), policy=default)
            if msg["To"] == address and code in (msg["Subject"] or ""):
                found.append(msg)
        return found

    arrived = await eventually(mail, 30, 0.05)
    assert len(arrived) == 1, "one email for the dossier"
    body = arrived[0].get_content()
    assert code in body and "Đăng ký tạm trú" in body and f"/ho-so/{d['id']}" in body
