"""The four steps, against real MongoDB, RabbitMQ and S3 (and the real auth and catalog services)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import unquote

import altcha
from prometheus_client import REGISTRY

from devstack.testing import eventually

S = "/api/v1/submissions"
CODE = re.compile(r"^000\.01\.G5\.H26-\d{6}-\d{4}$")


async def test_a_citizen_files_a_dossier_in_four_steps(world):
    p = await world.citizen()
    sub = world.sub
    # The procedure is carried out by commune police: the citizen chooses the ward.
    r = await sub.post(f"{S}/dossiers", json={"procedure_code": "1.004194"}, headers=p["h"])
    assert r.status_code == 422 and r.json()["code"] == "agency-required"
    assert {"code": "000.01.G5.H26", "name": "Công an phường Ngô Quyền"} in r.json()["choices"]

    d = await world.draft(p)
    assert d["status"] == "draft" and d["code"] is None
    assert d["procedure"]["version"] == 1 and len(d["procedure"]["components"]) == 3  # frozen
    assert d["prefill"] == {
        "full_name": "Đặng Thị Mai",
        "citizen_id": p["citizen_id"],
        "phone": p["phone"],
        "email": p["email"],
        "date_of_birth": None,
        "address": None,
        "identity_level": 0,  # registered on the portal: self-declared
    }
    assert {m["item"] for m in d["missing"]} == {
        "applicant",
        "component:aaaaaaaaaaaa",
        "component:bbbbbbbbbbbb",
    }

    # Step 1
    r = await sub.put(f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(p), headers=p["h"])
    assert r.status_code == 200 and r.json()["applicant"]["submitter"]["citizen_id"] == p["citizen_id"]

    # Step 2: two files; the stored ones are what was sent
    doc = world.pdf(150_000)
    r = await world.upload(p, d["id"], "aaaaaaaaaaaa", doc, "Tờ khai CT01 – bản ký.pdf")
    assert r.status_code == 201, r.text
    att = r.json()
    assert att["size"] == len(doc) and att["sha256"] == hashlib.sha256(doc).hexdigest()
    assert att["content_type"] == "application/pdf" and att["name"] == "Tờ khai CT01 – bản ký.pdf"
    r = await world.upload(p, d["id"], "bbbbbbbbbbbb", world.png(), "ảnh.png", "image/png")
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"

    got = await sub.get(f"{S}/dossiers/{d['id']}/attachments/{att['id']}", headers=p["h"])
    assert got.status_code == 200 and got.content == doc
    assert unquote(got.headers["content-disposition"].split("UTF-8''")[1]) == "Tờ khai CT01 – bản ký.pdf"

    # Step 3
    fees = (await sub.get(f"{S}/dossiers/{d['id']}/fees", headers=p["h"])).json()
    assert fees["total"] == 7000 and [i["amount"] for i in fees["items"]] == [7000]  # the online fee only
    captcha = (await sub.post(f"{S}/captcha", headers=p["h"])).json()
    assert captcha["image"].startswith("data:image/png;base64,") and captcha["expires_in"] == 300

    # Step 4
    r = await sub.post(
        f"{S}/dossiers/{d['id']}/submit",
        headers=p["h"],
        json={"captcha_id": captcha["captcha_id"], "captcha_answer": "test-captcha"},
    )
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert CODE.match(receipt["code"]) and receipt["status"] == "submitted" and receipt["status_code"] == 1
    assert receipt["status_text"]["vi"] == "Mới đăng ký" and receipt["fee_total"] == 7000
    assert "Công an phường Ngô Quyền" in receipt["next"]["vi"]

    full = (await sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert [h["status"] for h in full["history"]] == ["submitted"] and full["submitted_at"]
    mine = (await sub.get(f"{S}/dossiers", headers=p["h"])).json()
    assert mine["total"] == 1 and mine["items"][0]["code"] == receipt["code"]

    rt = sub.app.state.runtime
    events = [e async for e in rt.db.outbox.find({"routing_key": "dossier.submitted.v1"})]
    mine_events = [e["envelope"]["data"] for e in events if e["envelope"]["data"]["dossier_id"] == d["id"]]
    assert len(mine_events) == 1
    assert mine_events[0]["code"] == receipt["code"] and mine_events[0]["owner_id"] == p["id"]
    assert mine_events[0]["procedure_name"] == "Đăng ký tạm trú"


async def test_submitting_twice_returns_the_same_result(world):
    p = await world.citizen()
    d = await world.ready(p)
    filed = REGISTRY.get_sample_value("dossier_submit_seconds_count") or 0
    first = await world.submit(p, d["id"])
    second = await world.submit(p, d["id"])
    assert first.status_code == second.status_code == 200
    assert first.json()["code"] == second.json()["code"]
    # /metrics: one filing timed (the second answer filed nothing)
    assert REGISTRY.get_sample_value("dossier_submit_seconds_count") == filed + 1
    rt = world.sub.app.state.runtime
    assert await rt.db.outbox.count_documents({"envelope.data.dossier_id": d["id"]}) == 1


async def test_an_incomplete_dossier_is_refused_naming_each_missing_item_and_nothing_changes(world):
    p = await world.citizen()
    d = await world.draft(p)
    await world.upload(p, d["id"], "aaaaaaaaaaaa", world.pdf())
    r = await world.submit(p, d["id"])
    assert r.status_code == 422 and r.json()["code"] == "dossier-incomplete"
    assert {m["item"] for m in r.json()["missing"]} == {"applicant", "component:bbbbbbbbbbbb"}
    assert "Giấy tờ chứng minh chỗ ở hợp pháp" in r.json()["detail"]
    after = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert after["status"] == "draft" and after["code"] is None


async def test_the_captcha_is_checked_and_single_use(world, monkeypatch):
    p = await world.citizen()
    d = await world.ready(p)
    captchas = world.sub.app.state.captchas
    monkeypatch.setattr(captchas, "test_answer", None)  # as in production
    monkeypatch.setattr(captchas, "new_answer", lambda: "KKKKK")
    cid = (await world.sub.post(f"{S}/captcha", headers=p["h"])).json()["captcha_id"]
    wrong = await world.sub.post(
        f"{S}/dossiers/{d['id']}/submit", headers=p["h"], json={"captcha_id": cid, "captcha_answer": "KKKKX"}
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "captcha-invalid"
    # One try only: the right answer after a wrong one is refused too.
    again = await world.sub.post(
        f"{S}/dossiers/{d['id']}/submit", headers=p["h"], json={"captcha_id": cid, "captcha_answer": "KKKKK"}
    )
    assert again.status_code == 400
    cid = (await world.sub.post(f"{S}/captcha", headers=p["h"])).json()["captcha_id"]
    stored = await world.sub.app.state.runtime.db.captchas.find_one({"_id": cid})
    assert "KKKKK" not in str(stored)  # kept as a keyed digest only
    ok = await world.sub.post(
        f"{S}/dossiers/{d['id']}/submit", headers=p["h"], json={"captcha_id": cid, "captcha_answer": "kkkkk"}
    )
    assert ok.status_code == 200, ok.text


def solved(challenge: dict, *, counter: int | None = None) -> str:
    """What the portal's worker sends: the ALTCHA payload of the challenge it solved (or a forged one)."""
    c = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(c, timeout=30)
    assert solution is not None
    if counter is not None:
        solution.counter = counter
    return altcha.Payload(c, solution).to_base64()


async def test_the_captcha_can_be_passed_without_the_image_by_a_proof_of_work(world, monkeypatch):
    p = await world.citizen()
    captchas = world.sub.app.state.captchas
    monkeypatch.setattr(captchas, "test_answer", None)  # as in production
    monkeypatch.setattr(captchas, "pow_work", (50, 200))  # the defaults take a browser a few seconds

    async def fresh() -> dict:
        r = await world.sub.post(f"{S}/captcha", headers=p["h"])
        assert r.status_code == 201, r.text
        return r.json()

    async def submit(dossier_id: str, body: dict) -> Any:
        return await world.sub.post(f"{S}/dossiers/{dossier_id}/submit", headers=p["h"], json=body)

    d = await world.ready(p)
    c = await fresh()
    assert c["challenge"]["parameters"]["algorithm"] == "PBKDF2/SHA-256" and c["challenge"]["signature"]
    # Neither or both ways at once: a validation error, the captcha untouched.
    for body in (
        {"captcha_id": c["captcha_id"]},
        {"captcha_id": c["captcha_id"], "captcha_answer": "X", "captcha_proof": "eA=="},
    ):
        r = await submit(d["id"], body)
        assert r.status_code == 422 and r.json()["code"] == "validation-error", r.text
    # A proof made for another captcha, a forged counter, a tampered challenge, garbage: refused.
    other = await fresh()
    tampered = {**c["challenge"], "parameters": {**c["challenge"]["parameters"], "cost": 1}}
    for cid, proof in (
        (c["captcha_id"], solved(other["challenge"])),
        (c["captcha_id"], solved(c["challenge"], counter=0)),
        (
            c["captcha_id"],
            base64.b64encode(
                json.dumps({"challenge": tampered, "solution": {"counter": 1, "derivedKey": "00"}}).encode()
            ).decode(),
        ),
        (c["captcha_id"], "not base64 at all!"),
    ):
        r = await submit(d["id"], {"captcha_id": cid, "captcha_proof": proof})
        assert r.status_code == 400 and r.json()["code"] == "captcha-invalid", r.text
        c = await fresh()  # each try spent the captcha
    assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()["status"] == "draft"

    proof = solved(c["challenge"])
    ok = await submit(d["id"], {"captcha_id": c["captcha_id"], "captcha_proof": proof})
    assert ok.status_code == 200, ok.text
    # Single use: the same proof does not file a second dossier.
    d2 = await world.ready(p)
    again = await submit(d2["id"], {"captcha_id": c["captcha_id"], "captcha_proof": proof})
    assert again.status_code == 400 and again.json()["code"] == "captcha-invalid"


async def test_the_prefill_costs_auth_one_read_a_while_and_follows_a_contact_change(world, monkeypatch):
    p = await world.citizen()
    clients = world.sub.app.state.prefills.clients
    asked: list[str] = []
    me = clients.me

    async def counted(authorization: str) -> Any:
        asked.append(authorization)
        return await me(authorization)

    monkeypatch.setattr(clients, "me", counted)
    first, second = await world.draft(p), await world.draft(p)
    assert first["prefill"] == second["prefill"] and first["prefill"]["email"] == p["email"]
    assert len(asked) == 1
    # Another citizen never gets the first one's.
    q = await world.citizen()
    assert (await world.draft(q))["prefill"]["citizen_id"] == q["citizen_id"] and len(asked) == 2
    # The email removed: user.contact_changed drops the kept prefill.
    r = await world.auth.patch(
        "/api/v1/auth/me", json={"current_password": p["password"], "email": None}, headers=p["h"]
    )
    assert r.status_code == 200, r.text

    async def email_gone() -> bool:
        return (await world.draft(p))["prefill"]["email"] is None

    await eventually(email_gone, timeout=20)


async def test_the_fees_need_no_read_and_stay_the_owners(world, monkeypatch):
    p, other = await world.citizen(), await world.citizen()
    d = await world.draft(p)
    repo = world.sub.app.state.dossiers.repo
    reads: list[str] = []
    get = repo.get

    async def counted(dossier_id: str) -> Any:
        reads.append(dossier_id)
        return await get(dossier_id)

    monkeypatch.setattr(repo, "get", counted)
    r = await world.sub.get(f"{S}/dossiers/{d['id']}/fees", headers=p["h"])
    assert r.status_code == 200 and r.json() == d["fees"] and reads == []
    r = await world.sub.get(f"{S}/dossiers/{d['id']}/fees", headers=other["h"])
    assert r.status_code == 404
    assert (await world.sub.delete(f"{S}/dossiers/{d['id']}", headers=p["h"])).status_code == 204
    r = await world.sub.get(f"{S}/dossiers/{d['id']}/fees", headers=p["h"])
    assert r.status_code == 404


async def test_idempotency_key_makes_one_draft(world):
    p = await world.citizen()
    h = {**p["h"], "Idempotency-Key": "mobile-retry-123"}
    body = {"procedure_code": "2.000815"}
    first = await world.sub.post(f"{S}/dossiers", json=body, headers=h)
    second = await world.sub.post(f"{S}/dossiers", json=body, headers=h)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"] and second.headers["idempotent-replayed"] == "true"
    assert (await world.sub.get(f"{S}/dossiers", headers=p["h"])).json()["total"] == 1
    other = await world.sub.post(f"{S}/dossiers", json={"procedure_code": "1.004194"}, headers=h)
    assert other.status_code == 422 and other.json()["code"] == "idempotency-key-reused"


async def test_only_procedures_open_to_online_filing(world):
    p = await world.citizen()
    r = await world.sub.post(f"{S}/dossiers", json={"procedure_code": "3.000348"}, headers=p["h"])
    assert r.status_code == 409 and r.json()["code"] == "not-fileable-online"
    r = await world.sub.post(f"{S}/dossiers", json={"procedure_code": "1.999999"}, headers=p["h"])
    assert r.status_code == 404
    r = await world.sub.post(f"{S}/dossiers", json={"procedure_code": "2.000815"}, headers=p["h"])
    assert r.status_code == 201 and r.json()["agency"]["code"] == "000.00.13.H26"  # Sở Tư pháp


async def test_drafts_resume_from_any_device_and_can_be_deleted(world):
    p = await world.citizen()
    d = await world.draft(p)
    await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=world.applicant(p), headers=p["h"])
    up = (await world.upload(p, d["id"], "aaaaaaaaaaaa", world.pdf())).json()
    # Another device: a new login of the same citizen sees the same draft, as left.
    login = await world.auth.post(
        "/api/v1/auth/login", json={"username": p["citizen_id"], "password": "Ben-Binh-Harbour-1"}
    )
    other = {"Authorization": f"Bearer {login.json()['access_token']}"}
    resumed = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=other)).json()
    assert resumed["applicant"]["submitter"]["full_name"] == "Đặng Thị Mai"
    assert [a["id"] for a in resumed["attachments"]] == [up["id"]]
    store = world.sub.app.state.store
    key = f"dossiers/{d['id']}/{up['id']}"
    assert await store.head(key) is not None
    assert (await world.sub.delete(f"{S}/dossiers/{d['id']}", headers=other)).status_code == 204
    assert await store.head(key) is None
    assert (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=other)).status_code == 404


async def test_a_procedure_with_cases_needs_the_files_of_the_chosen_case(world):
    p = await world.citizen()
    d = await world.draft(p, code="2.000001", agency=None)
    assert (
        d["cases"] == ["Hồ sơ cá nhân gồm", "Theo danh sách, hồ sơ gồm"] and d["case"] == "Hồ sơ cá nhân gồm"
    )
    assert {m["item"] for m in d["missing"]} == {"applicant", "component:eeeeeeeeeeee"}
    r = await world.sub.put(
        f"{S}/dossiers/{d['id']}/case", json={"case": "Theo danh sách, hồ sơ gồm"}, headers=p["h"]
    )
    assert r.status_code == 200
    assert {m["item"] for m in r.json()["missing"]} == {
        "applicant",
        "component:ffffffffffff",
        "component:111111111111",
    }
    bad = await world.sub.put(
        f"{S}/dossiers/{d['id']}/case", json={"case": "Trường hợp khác"}, headers=p["h"]
    )
    assert bad.status_code == 422 and bad.json()["cases"] == d["cases"]


async def test_a_central_only_procedure_is_refused_with_where_to_file_and_nothing_is_stored(world):
    p = await world.citizen()
    r = await world.sub.post(f"{S}/dossiers", json={"procedure_code": "1.001471"}, headers=p["h"])
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["code"] == "not-fileable-here"
    assert problem["file_at"]["vi"] and "không giải quyết tại thành phố Hải Phòng" in problem["detail"]
    agencies = await world.sub.get(f"{S}/agencies", params={"procedure": "1.001471"})
    assert agencies.status_code == 409 and agencies.json()["code"] == "not-fileable-here"
    mine = (await world.sub.get(f"{S}/dossiers", headers=p["h"])).json()
    assert mine["total"] == 0
    # The catalogue's page says so too.
    page = (await world.catalog.get("/api/v1/catalog/procedures/1.001471")).json()
    assert page["fileable"] is False and page["routing"]["fileable_here"] is False
