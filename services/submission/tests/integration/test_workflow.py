"""The one-stop officer workflow against real servers: every transition, the agency boundary, the
concurrency conflict, deadlines, history and events, the receipt PDF."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"  # Công an phường Ngô Quyền: where world.ready() files


async def events_of(world, dossier_id):
    rt = world.sub.app.state.runtime
    docs = (
        await rt.db.outbox.find(
            {"routing_key": "dossier.status_changed.v1", "envelope.data.dossier_id": dossier_id}
        )
        .sort("created_at", 1)
        .to_list()
    )
    return [d["envelope"]["data"] for d in docs]


async def test_the_whole_way_with_a_supplement(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    did = d["id"]

    r = await world.act(officer, did, "accept", {"note": "Hồ sơ hợp lệ"})
    assert r.status_code == 200, r.text
    accepted = r.json()
    assert accepted["status"] == "accepted" and accepted["appointment_at"] and accepted["receipt_available"]

    pdf = await world.sub.get(f"{S}/dossiers/{did}/receipt", headers=p["h"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages).split()
    )
    appointment = datetime.fromisoformat(accepted["appointment_at"]).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")
    )
    assert d["code"] in text
    assert f"ngày {appointment:%d} tháng {appointment:%m} năm {appointment:%Y}" in text
    assert (
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
        and "Đặng Thị Mai" in text
        and "Trần Văn Tiếp" in text
    )

    r = await world.act(
        officer,
        did,
        "request-supplement",
        {"items": ["Bản sao sổ hộ khẩu", "Ảnh 3x4"], "note": "Thiếu giấy tờ"},
    )
    assert r.status_code == 200 and r.json()["supplement_items"] == ["Bản sao sổ hộ khẩu", "Ảnh 3x4"]
    # The citizen resubmits only after uploading the supplement.
    r = await world.act(p, did, "resubmit")
    assert r.status_code == 422 and r.json()["code"] == "nothing-supplemented"
    assert (await world.upload(p, did, "cccccccccccc", world.pdf())).status_code == 201
    r = await world.act(p, did, "resubmit", {"note": "Đã bổ sung"})
    assert r.status_code == 200 and r.json()["status"] == "processing"

    r = await world.act(officer, did, "request-payment", {"amount": 7000})
    assert r.status_code == 200, r.text
    counter = {"note": "Đã nộp tại quầy", "items": ["BL 0001234"]}  # paid at the counter, with the receipt
    assert (await world.act(officer, did, "start", counter)).status_code == 200
    finished = await world.decided(officer, did)
    result = finished["results"][0]
    assert finished["on_time"] is True and finished["step"] == "returning"
    got = await world.sub.get(f"{S}/dossiers/{did}/results/{result['id']}", headers=p["h"])
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
    assert (await world.act(officer, did, "return-result")).status_code == 200

    full = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()
    # The file the citizen added during the supplement is in the history too, as a change of files.
    changes = [
        (h["status"], h["change"]["kind"], h["change"]["component_id"])
        for h in full["history"]
        if h["change"]
    ]
    assert changes == [("supplement_requested", "file_added", "cccccccccccc")]
    assert [h["status"] for h in full["history"] if not h["change"]] == [
        "submitted",
        "accepted",
        "supplement_requested",
        "processing",
        "payment_requested",
        "processing",
        "processing",  # proposed to the leader
        "finished",
        "returned",
    ]
    assert [h["actor_role"] for h in full["history"]][1:3] == ["officer", "officer"]
    assert full["history"][2]["items"] == ["Bản sao sổ hộ khẩu", "Ảnh 3x4"]
    events = await events_of(world, did)
    assert [(e["old_status_code"], e["new_status_code"]) for e in events] == [
        (1, 2),
        (2, 5),
        (5, 4),
        (4, 6),
        (6, 4),
        (4, 9),
        (9, 10),
    ]
    assert events[0]["appointment_at"] and events[0]["note"] == "Hồ sơ hợp lệ"
    assert events[1]["supplement_items"] == ["Bản sao sổ hộ khẩu", "Ảnh 3x4"]
    assert [e["rev"] for e in events] == sorted(e["rev"] for e in events)


async def test_refused_transitions_name_the_current_status(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    for action in ("start", "approve", "return-result", "request-payment"):
        r = await world.act(officer, did, action)
        assert r.status_code == 409 and r.json()["code"] == "invalid-transition", action
        assert r.json()["current"]["status"] == "submitted" and "Mới đăng ký" in r.json()["detail"]
    r = await world.act(officer, did, "refuse")
    assert r.status_code == 422 and r.json()["code"] == "reason-required"
    r = await world.act(officer, did, "accept")
    r = await world.act(officer, did, "request-supplement", {"items": []})
    assert r.status_code == 422
    r = await world.act(officer, did, "start")
    r = await world.sub.post(
        f"{S}/dossiers/{did}/actions/propose",
        headers=officer["h"],
        data={"note": "x", "outcome": "grant"},
        files={"other": ("a.txt", b"x", "text/plain")},
    )
    assert r.status_code == 422
    r = await world.act(officer, did, "propose", {"outcome": "grant"})
    assert r.status_code == 422 and r.json()["code"] == "file-required"
    assert (await world.act(officer, did, "fly")).status_code == 404
    assert (await world.act(officer, did, "request-payment", {"note": "x", "extra": 1})).status_code == 422
    assert (await world.act(officer, did, "request-payment", {"note": {"$ne": 1}})).status_code == 422
    for body in (b"[1,2]", b"{not json", b"{}" + b" " * 70_000):
        r = await world.sub.post(
            f"{S}/dossiers/{did}/actions/request-payment",
            content=body,
            headers={**officer["h"], "content-type": "application/json"},
        )
        assert r.status_code in (413, 422), body[:10]
    full = (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=officer["h"])).json()
    assert full["status"] == "processing"  # none of the bad requests changed anything
    # The citizen's actions are the citizen's: an officer cannot withdraw for them.
    assert (await world.act(officer, did, "withdraw")).status_code == 404


async def test_refuse_stop_and_withdraw_close_the_dossier(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    a = (await world.submitted(p))["id"]
    r = await world.act(officer, a, "refuse", {"reason": "Không thuộc thẩm quyền"})
    assert r.status_code == 200 and r.json()["status"] == "refused"
    assert (await world.sub.get(f"{S}/dossiers/{a}/receipt", headers=p["h"])).status_code == 409
    b = (await world.submitted(p))["id"]
    await world.act(officer, b, "accept")
    assert (await world.act(officer, b, "stop", {"reason": "Người nộp đề nghị dừng"})).json()[
        "status"
    ] == "stopped"
    c = (await world.submitted(p))["id"]
    await world.act(officer, c, "accept")
    r = await world.act(p, c, "withdraw", {"note": "Tôi nộp nhầm"})
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert (await world.act(officer, c, "start")).status_code == 409
    # A finished dossier cannot be withdrawn.
    d = (await world.submitted(p))["id"]
    await world.act(officer, d, "accept")
    await world.act(officer, d, "start")
    await world.decided(officer, d)
    assert (await world.act(p, d, "withdraw")).status_code == 409


async def test_officers_see_and_act_only_within_their_agencies(world):
    p = await world.citizen()
    mine, other = await world.officer([WARD]), await world.officer(["000.01.G7.H26"])
    did = (await world.submitted(p))["id"]
    assert (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=other["h"])).status_code == 404
    assert (await world.act(other, did, "accept")).status_code == 404
    queue = (await world.sub.get(f"{S}/officer/dossiers", headers=other["h"])).json()
    assert did not in [i["id"] for i in queue["items"]]
    assert (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=mine["h"])).status_code == 200
    # A citizen is not an officer; no token is nobody.
    assert (await world.sub.get(f"{S}/officer/dossiers", headers=p["h"])).status_code == 403
    assert (await world.act(p, did, "accept")).status_code == 403
    assert (await world.sub.get(f"{S}/officer/dossiers")).status_code == 401
    assert (await world.sub.post(f"{S}/dossiers/{did}/actions/accept")).status_code == 401
    # Another citizen sees nothing of it, receipt included.
    stranger = await world.citizen()
    await world.act(mine, did, "accept")
    assert (await world.sub.get(f"{S}/dossiers/{did}/receipt", headers=stranger["h"])).status_code == 404
    assert (await world.sub.get(f"{S}/dossiers/{did}/receipt", headers=other["h"])).status_code == 404
    assert (await world.sub.get(f"{S}/dossiers/{did}/receipt", headers=mine["h"])).status_code == 200


async def test_two_officers_at_once_one_wins_the_other_gets_a_conflict(world):
    p = await world.citizen()
    a, b = await world.officer([WARD]), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    r1, r2 = await asyncio.gather(
        world.act(a, did, "accept"), world.act(b, did, "refuse", {"reason": "Trùng"})
    )
    codes = sorted([r1.status_code, r2.status_code])
    assert codes == [200, 409], (r1.text, r2.text)
    final = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()
    assert final["status"] in ("accepted", "refused") and len(final["history"]) == 2
    assert len(await events_of(world, did)) == 1
    # A stale view (If-Match with an old rev) is refused too.
    stale = await world.act(a, did, "start", headers={"If-Match": '"1"'})
    assert stale.status_code == 409


async def test_the_queue_filters_searches_and_shows_deadlines(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d1, d2 = await world.submitted(p), await world.submitted(p)
    await world.act(officer, d1["id"], "accept")
    q = lambda **kw: world.sub.get(f"{S}/officer/dossiers", params=kw, headers=officer["h"])  # noqa: E731
    accepted = (await q(status="accepted")).json()
    item = next(i for i in accepted["items"] if i["id"] == d1["id"])
    assert item["deadline"]["state"] in ("on_time", "due_soon") and item["applicant_name"] == "Đặng Thị Mai"
    assert d2["id"] not in [i["id"] for i in accepted["items"]]
    by_id = (await q(q=p["citizen_id"])).json()
    assert {d1["id"], d2["id"]} <= {i["id"] for i in by_id["items"]}
    assert [i["id"] for i in (await q(q=d2["code"])).json()["items"]] == [d2["id"]]
    assert {d1["id"], d2["id"]} <= {i["id"] for i in (await q(q=p["phone"])).json()["items"]}
    # Overdue: the appointment passed while the dossier is still being handled.
    rt = world.sub.app.state.runtime
    await rt.db.dossiers.update_one(
        {"_id": d1["id"]}, {"$set": {"appointment_at": datetime.now(UTC) - timedelta(days=3)}}
    )
    overdue = (await q(overdue="true")).json()["items"]
    late = next(i for i in overdue if i["id"] == d1["id"])
    assert late["deadline"]["state"] == "overdue" and late["deadline"]["working_days_left"] < 0
    # The soonest due first, walked in an index of the same order (a page costs the page, not the backlog).
    await world.act(officer, d2["id"], "accept")
    order = [i["id"] for i in (await q(status="accepted", size=100)).json()["items"]]
    assert order.index(d1["id"]) < order.index(d2["id"])
    keys = (await rt.db.dossiers.index_information())["agency_due"]["key"]
    assert keys == [("agency.code", 1), ("status", 1), ("appointment_at", 1), ("submitted_at", 1), ("_id", 1)]
    assert (await q(size=500)).status_code == 422


async def test_an_officer_may_not_act_on_a_dossier_they_filed(world):
    """Separation of duties: an account that is both citizen and officer files a dossier with its own
    agency; it can follow and withdraw it as the citizen, never accept, process or finish it."""
    p = await world.citizen()
    did = (await world.submitted(p))["id"]
    r = await world.auth.patch(
        f"/api/v1/auth/users/{p['id']}",
        json={"roles": ["citizen", "reception", "specialist", "leader"], "agencies": [WARD]},
        headers=await world.admin(),
    )
    assert r.status_code == 200, r.text
    # Now an officer too: the next sign-in enrols the second factor.
    both = {**p, "h": await world.sign_in(p["phone"], p["password"])}
    # It sees the dossier in its agency's queue, but cannot decide it.
    assert (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=both["h"])).status_code == 200
    for action, body in (("accept", {}), ("refuse", {"reason": "Tự từ chối"})):
        r = await world.act(both, did, action, body)
        assert r.status_code == 403 and r.json()["code"] == "own-dossier", r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["detail"].startswith("Cán bộ không được xử lý hồ sơ")
        english = await world.act(both, did, action, body, headers={"Accept-Language": "en"})
        assert english.json()["detail"] == "An officer may not act on a dossier they own or submitted"
    assert (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()["status"] == "submitted"
    # Another officer takes it; the owner still cannot work on it, as the process goes on.
    other = await world.officer([WARD])
    assert (await world.act(other, did, "accept")).status_code == 200
    assert (await world.act(both, did, "start")).json()["code"] == "own-dossier"
    assert (await world.act(other, did, "start")).status_code == 200
    propose = await world.propose(both, did)
    assert propose.status_code == 403 and propose.json()["code"] == "own-dossier"
    full = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()
    assert full["status"] == "processing" and full["results"] == []
    # As its citizen, it may still withdraw its own dossier; as an officer it works on others'.
    mine = (await world.submitted(await world.citizen()))["id"]
    assert (await world.act(both, mine, "accept")).status_code == 200
    assert (await world.act(both, did, "withdraw")).status_code == 200
