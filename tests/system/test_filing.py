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


async def test_a_business_files_a_business_procedure_through_the_gateway(stack):
    """An organisation's dossier: its legal representative signs in as themself and files for the
    business (enterprise code, representative); the officer's queue finds it by that code."""
    p = client.new_person("Phạm Thị Doanh", email=False)
    code = "1.000314"  # Chấp thuận vị trí đấu nối tạm vào đường bộ: for businesses and organisations
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        async with stack.inbox() as inbox:
            h = (await client.register(http, inbox, p)).auth
        page = (await http.get(f"/api/v1/catalog/procedures/{code}")).json()
        assert page["fileable"] and page["routing"]["level"] == "city"
        (agency,) = (await http.get(f"{S}/agencies", params={"procedure": code})).json()
        assert agency["name"].startswith("Sở Xây dựng")
        d = (await http.post(f"{S}/dossiers", json={"procedure_code": code}, headers=h)).json()
        assert "individual" not in d["applicant_kinds"] and "business" in d["applicant_kinds"]
        me = client.submitter(p, date_of_birth="1979-03-08", address="Số 8 Trần Phú, phường Ngô Quyền")
        business = {
            "kind": "business",
            "name": "Công ty Cổ phần Vận tải Bạch Đằng",
            "tax_code": "0200123456",
            "representative": {
                "full_name": p.full_name,
                "position": "Tổng Giám đốc",
                "citizen_id": p.citizen_id,
            },
            "phone": "0225 3745 678",
            "address": "Số 3 Lê Thánh Tông, phường Ngô Quyền, Hải Phòng",
        }
        refused = await http.put(f"{S}/dossiers/{d['id']}/applicant", json={"submitter": me}, headers=h)
        assert refused.status_code == 422 and refused.json()["code"] == "applicant-kind-not-allowed"
        r = await http.put(
            f"{S}/dossiers/{d['id']}/applicant", json={"submitter": me, "owner": business}, headers=h
        )
        assert r.status_code == 200, r.text
        d = r.json()
        needed = [m["item"].split(":")[1] for m in d["missing"] if m["item"].startswith("component:")]
        assert needed and "authorization" not in needed  # the representative files: no authorisation
        for cid in needed:
            up = await http.post(
                f"{S}/dossiers/{d['id']}/attachments",
                headers=h,
                data={"component_id": cid},
                files={"file": ("hồ sơ.pdf", big_pdf(50 * 1024), "application/pdf")},
            )
            assert up.status_code == 201, up.text
        captcha = (await http.post(f"{S}/captcha", headers=h)).json()
        r = await http.post(
            f"{S}/dossiers/{d['id']}/submit",
            headers=h,
            json={"captcha_id": captcha["captcha_id"], "captcha_answer": CAPTCHA_TEST_ANSWER},
        )
        assert r.status_code == 200, r.text
        assert r.json()["code"].startswith(agency["code"] + "-")
        filed = (await http.get(f"{S}/dossiers/{d['id']}", headers=h)).json()
        assert filed["applicant"]["owner"]["tax_code"] == "0200123456"


async def test_a_central_only_procedure_is_refused_through_the_gateway(stack):
    p = client.new_person("Trịnh Văn Hộ", email=False)
    code = "1.001471"  # a passport issued at central level
    async with httpx.AsyncClient(base_url=stack.url, timeout=60) as http:
        async with stack.inbox() as inbox:
            h = (await client.register(http, inbox, p)).auth
        page = (await http.get(f"/api/v1/catalog/procedures/{code}")).json()
        assert page["fileable"] is False and page["routing"]["fileable_here"] is False
        assert page["routing"]["file_at"]["vi"]
        r = await http.post(f"{S}/dossiers", json={"procedure_code": code}, headers=h)
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "not-fileable-here" and r.json()["file_at"] == page["routing"]["file_at"]
        assert (await http.get(f"{S}/dossiers", headers=h)).json()["total"] == 0
