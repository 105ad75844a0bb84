"""A citizen files a dossier through the gateway, end to end: search, draft, the four steps (with a
file streamed through nginx to S3), the code, tracking."""

from __future__ import annotations

import hashlib
import re
import uuid

import httpx

from devstack import client
from devstack.testing import CAPTCHA_TEST_ANSWER

S = "/api/v1/submissions"


def big_pdf(size: int) -> bytes:
    head = b"%PDF-1.5\n"
    return head + (uuid.uuid4().bytes * (size // 16 + 1))[: size - len(head)]


async def test_search_and_file_a_temporary_residence_registration(stack):
    p = client.new_person("Hoàng Văn Nam", email=False)
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        async with stack.inbox() as inbox:
            h = (await client.register(http, inbox, p)).auth

        found = (await http.get("/api/v1/catalog/procedures", params={"q": "dang ky tam tru"})).json()[
            "items"
        ][0]
        assert found["code"] == "1.004194" and found["fileable"]
        wards = (await http.get(f"{S}/agencies", params={"procedure": "1.004194"})).json()
        ward = next(w for w in wards if "Lê Chân" in w["name"])

        d = (
            await http.post(
                f"{S}/dossiers", json={"procedure_code": "1.004194", "agency_code": ward["code"]}, headers=h
            )
        ).json()
        assert d["prefill"]["citizen_id"] == p.citizen_id  # from the account, through auth's API
        me = client.submitter(
            p, date_of_birth="1988-09-02", address="Số 12 Tô Hiệu, phường Lê Chân, Hải Phòng"
        )
        applicant = {"submitter": me}
        assert (
            await http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=h)
        ).status_code == 200

        needed = [m["item"].split(":")[1] for m in d["missing"] if m["item"].startswith("component:")]
        assert needed
        data = big_pdf(5 * 1024 * 1024)  # several S3 parts' worth, streamed through nginx
        for i, cid in enumerate(needed):
            body = data if i == 0 else big_pdf(200 * 1024)
            r = await http.post(
                f"{S}/dossiers/{d['id']}/attachments",
                headers=h,
                data={"component_id": cid},
                files={"file": (f"giấy tờ {i}.pdf", body, "application/pdf")},
            )
            assert r.status_code == 201, r.text
            assert r.json()["sha256"] == hashlib.sha256(body).hexdigest()
        first = (await http.get(f"{S}/dossiers/{d['id']}", headers=h)).json()["attachments"][0]
        got = await http.get(f"{S}/dossiers/{d['id']}/attachments/{first['id']}", headers=h)
        assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(data).hexdigest()

        fees = (await http.get(f"{S}/dossiers/{d['id']}/fees", headers=h)).json()
        assert fees["currency"] == "VND"
        captcha = (await http.post(f"{S}/captcha", headers=h)).json()
        r = await http.post(
            f"{S}/dossiers/{d['id']}/submit",
            headers=h,
            json={"captcha_id": captcha["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER},
        )
        assert r.status_code == 200, r.text
        code = r.json()["code"]
        assert re.match(rf"^{re.escape(ward['code'])}-\d{{6}}-\d{{4}}$", code)

        tracked = await http.get(f"{S}/track", params={"code": code, "phone": p.phone})
        assert tracked.status_code == 200 and tracked.json()["status_text"]["vi"] == "Mới đăng ký"
