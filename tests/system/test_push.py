"""Push notifications through the gateway: a citizen's device subscribes (on the stack's local push
service, devstack.pushsvc, which plays the browser and its push service) with the key the gateway serves
without a token, files a dossier, and the push service receives the "filed" push, signed with that key
(VAPID) and encrypted for the device: it decrypts to the notification's title and the dossier's page."""

from __future__ import annotations

import uuid

import httpx

from devstack import client
from devstack.testing import CAPTCHA_TEST_ANSWER, eventually

S = "/api/v1/submissions"
N = "/api/v1/notifications"


async def test_a_filed_dossier_is_pushed_to_the_subscribed_device(stack):
    n = uuid.uuid4().int % 10**8
    person = client.Person("Đoàn Thị Hạ Long", f"0317{n:08d}", f"093{n % 10**7:07d}", None)
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as http, stack.inbox() as phone:
        h = (await client.register(http, phone, person)).auth
        # The portal's switch: the public key (no token), the browser subscribes with it, the page posts it.
        key = await http.get(f"{N}/push/vapid-key")
        assert key.status_code == 200, key.text
        device = stack.infra.push_subscription(key.json()["public_key"])
        r = await http.post(f"{N}/push/subscriptions", json=device, headers=h)
        assert r.status_code == 201, r.text
        assert device["endpoint"] not in r.text  # shown cut short, even to its owner
        assert (await http.get(f"{N}/preferences", headers=h)).json()["push"] is True

        d = (
            await http.post(
                f"{S}/dossiers",
                json={"procedure_code": "1.004194", "agency_code": "000.01.G4.H26"},
                headers=h,
            )
        ).json()
        r = await http.put(
            f"{S}/dossiers/{d['id']}/applicant",
            headers=h,
            json={
                "submitter": {
                    "full_name": person.full_name,
                    "citizen_id": person.citizen_id,
                    "date_of_birth": "1992-04-30",
                    "phone": person.phone,
                    "address": "Số 8 Điện Biên Phủ, phường Hồng Bàng, Hải Phòng",
                }
            },
        )
        assert r.status_code == 200, r.text
        for m in d["missing"]:
            if m["item"].startswith("component:"):
                await http.post(
                    f"{S}/dossiers/{d['id']}/attachments",
                    headers=h,
                    data={"component_id": m["item"].split(":")[1]},
                    files={"file": ("a.pdf", b"%PDF-1.4\n" + b"x" * 500, "application/pdf")},
                )
        cap = (await http.post(f"{S}/captcha", headers=h)).json()
        r = await http.post(
            f"{S}/dossiers/{d['id']}/submit",
            headers=h,
            json={"captcha_id": cap["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER},
        )
        assert r.status_code == 200, r.text
        code = r.json()["code"]

        def filed() -> list[dict]:
            got = stack.infra.push_messages(device["endpoint"])
            assert not got["refused"], got["refused"]  # every push signed and encrypted as it should be
            return [m for m in got["messages"] if m["json"] and code in m["json"]["title"]]

        (push,) = await eventually(filed, 60, 0.2)
        assert push["json"]["title"] == f"Nộp hồ sơ thành công: {code}"
        assert push["json"]["url"] == f"/ho-so/{d['id']}" and push["json"]["lang"] == "vi"
        assert push["k"] == key.json()["public_key"] and push["vapid"]["aud"] == stack.infra.pushsvc_url
        inbox = (await http.get(N, headers=h)).json()["items"]
        assert push["json"]["id"] in [i["id"] for i in inbox]  # the in-app notification it announces

        # Off on this device: nothing more is pushed to it.
        r = await http.request("DELETE", f"{N}/push/subscriptions", json=device, headers=h)
        assert r.status_code == 204
        assert (await http.get(f"{N}/push/subscriptions", headers=h)).json()["items"] == []
