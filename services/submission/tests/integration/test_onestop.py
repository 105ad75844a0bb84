"""The one-stop workflow with separate people in each role, against real servers: the desk assigns, the
specialist proposes, a leader approves or sends back; transfers and another agency's opinion; the apology
an overdue dossier needs; the queues of each role; what the citizen sees of it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from reportlab.pdfgen import canvas

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"  # Công an phường Ngô Quyền: where world.ready() files
OTHER = "000.01.G7.H26"  # another ward's police


async def office(world, agency: str = WARD) -> dict[str, dict]:
    """An agency's desk, two specialists and a leader: each a person of their own."""
    return {
        "desk": await world.officer([agency], "Phạm Thị Một Cửa", roles=["reception"]),
        "spec": await world.officer([agency], "Lê Văn Chuyên", roles=["specialist"]),
        "spec2": await world.officer([agency], "Đỗ Thị Chuyên Hai", roles=["specialist"]),
        "boss": await world.officer([agency], "Vũ Văn Lãnh Đạo", roles=["leader"]),
    }


def big_pdf(pages: int = 40) -> bytes:
    """A real PDF of about 300 KB (uncompressed pages of text): larger than an action's JSON limit."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    for n in range(pages):
        for line in range(60):
            c.drawString(40, 800 - 12 * line, f"Trang {n} dong {line}: " + "noi dung quyet dinh " * 5)
        c.showPage()
    c.save()
    return buf.getvalue()


async def view(world, who, did):
    r = await world.sub.get(f"{S}/officer/dossiers/{did}", headers=who["h"])
    assert r.status_code == 200, r.text
    return r.json()


async def queue(world, who, **params):
    r = await world.sub.get(f"{S}/officer/dossiers", params=params, headers=who["h"])
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()["items"]]


async def test_desk_specialist_leader_each_in_their_role(world):
    o = await office(world)
    p = await world.citizen()
    did = (await world.submitted(p))["id"]
    assert did in await queue(world, o["desk"], mine="true")
    assert did not in await queue(world, o["spec"], mine="true")
    # Only the desk accepts; it assigns a specialist of its agency (not a leader, not a stranger).
    r = await world.act(o["spec"], did, "accept")
    assert r.status_code == 403 and r.json()["code"] == "role-required" and r.json()["roles"] == ["reception"]
    r = await world.act(o["desk"], did, "accept", {"assignee": o["boss"]["id"]})
    assert r.status_code == 422 and r.json()["code"] == "not-a-specialist"
    r = await world.act(o["desk"], did, "accept", {"assignee": o["spec"]["id"]})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["handler"]["id"] == o["spec"]["id"] and d["step"] == "handling" and d["step_due_at"]
    assert d["actions"] == ["assign"]  # what the desk may still do
    assert did in await queue(world, o["spec"], mine="true")
    assert did not in await queue(world, o["spec2"], mine="true")
    # The other specialist cannot work on it; the desk reassigns it, and that is on record.
    r = await world.act(o["spec2"], did, "start")
    assert r.status_code == 403 and r.json()["code"] == "not-assigned"
    r = await world.act(o["desk"], did, "assign", {"assignee": o["spec2"]["id"], "note": "Chia việc"})
    assert r.status_code == 200 and r.json()["handler"]["id"] == o["spec2"]["id"]
    assert (await world.act(o["spec2"], did, "start")).status_code == 200
    # The specialist proposes; the leader sends it back with a note, then approves the second proposal.
    r = await world.propose(o["spec2"], did, note="Đủ điều kiện")
    assert r.status_code == 200 and r.json()["step"] == "review", r.text
    assert did in await queue(world, o["boss"], mine="true")
    r = await world.act(o["boss"], did, "send-back")
    assert r.status_code == 422 and r.json()["code"] == "note-required"
    r = await world.act(o["boss"], did, "send-back", {"note": "Bổ sung căn cứ pháp lý"})
    assert r.status_code == 200 and r.json()["step"] == "handling" and r.json()["proposal"] is None
    # A result document larger than an action's JSON limit streams through (a scanned decision is large).
    big = world.sub.post(
        f"{S}/dossiers/{did}/actions/propose",
        headers=o["spec2"]["h"],
        data={"outcome": "grant", "note": "Đã bổ sung căn cứ"},
        files={"file": ("Quyết định.pdf", big_pdf(), "application/pdf")},
    )
    assert (await big).status_code == 200
    r = await world.act(o["spec"], did, "approve")
    assert r.status_code == 403 and r.json()["code"] == "role-required"
    r = await world.act(o["boss"], did, "approve", {"note": "Đồng ý"})
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["status"], d["step"], d["approved_by"]["id"]) == ("finished", "returning", o["boss"]["id"])
    assert len(d["results"]) == 1 and len(d["proposed"]) == 2
    assert did in await queue(world, o["desk"], mine="true")
    assert (await world.act(o["desk"], did, "return-result")).status_code == 200
    # The history is the control slip's: every hand-over, who gave it, who received it, by when.
    full = await view(world, o["desk"], did)
    moves = [(h["action"], h["actor_id"], h["to_id"]) for h in full["history"] if h.get("action")]
    assert moves == [
        ("accept", o["desk"]["id"], o["spec"]["id"]),
        ("assign", o["desk"]["id"], o["spec2"]["id"]),
        ("start", o["spec2"]["id"], None),
        ("propose", o["spec2"]["id"], None),
        ("send-back", o["boss"]["id"], o["spec2"]["id"]),
        ("propose", o["spec2"]["id"], None),
        ("approve", o["boss"]["id"], None),
        ("return-result", o["desk"]["id"], None),
    ]
    # The citizen sees where it went and its signed result, not what the officers wrote each other.
    mine = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()
    notes = [h["note"] for h in mine["history"]]
    assert "Bổ sung căn cứ pháp lý" not in notes and "Chia việc" not in notes
    assert mine.get("proposed") in (None, []) and len(mine["results"]) == 1
    assert {h["actor_id"] for h in mine["history"]} == {None}  # names, never the officers' accounts
    # The result the citizen downloads is the one the leader signed: anyone can check it.
    signed = await world.sub.get(f"{S}/dossiers/{did}/results/{mine['results'][0]['id']}", headers=p["h"])
    assert signed.status_code == 200
    v = (
        await world.sub.post(
            f"{S}/verify", content=signed.content, headers={"Content-Type": "application/pdf"}
        )
    ).json()
    assert v["verdict"] == "authentic" and v["record"]["dossier_code"] == mine["code"]
    assert v["signature"]["agency"]["code"] == WARD


async def test_the_completion_request_at_the_desk_comes_back_to_the_desk(world):
    o = await office(world)
    p = await world.citizen()
    did = (await world.submitted(p))["id"]
    r = await world.act(o["desk"], did, "request-supplement", {"items": ["Bản chụp giấy tờ rõ nét"]})
    assert r.status_code == 200 and (r.json()["status"], r.json()["step"]) == (
        "supplement_requested",
        "reception",
    )
    assert (await world.upload(p, did, "cccccccccccc", world.pdf())).status_code == 201
    r = await world.act(p, did, "resubmit")
    assert r.status_code == 200 and (r.json()["status"], r.json()["step"]) == ("submitted", "reception")
    assert (await world.act(o["desk"], did, "accept", {"assignee": o["spec"]["id"]})).status_code == 200


async def test_a_transfer_moves_the_dossier_and_its_queue_keeps_the_code(world):
    here, there = await office(world), await office(world, OTHER)
    p = await world.citizen()
    d = await world.submitted(p)
    did = d["id"]
    r = await world.act(here["desk"], did, "transfer", {"agency": OTHER})
    assert r.status_code == 422 and r.json()["code"] == "reason-required"
    r = await world.act(here["desk"], did, "transfer", {"agency": "999.99.99.H99", "reason": "Sai nơi"})
    assert r.status_code == 422 and r.json()["code"] == "unknown-agency"
    r = await world.act(here["desk"], did, "transfer", {"agency": WARD, "reason": "Sai nơi"})
    assert r.status_code == 422 and r.json()["code"] == "same-agency"
    r = await world.act(
        here["desk"], did, "transfer", {"agency": OTHER, "reason": "Nơi cư trú thuộc phường khác"}
    )
    assert r.status_code == 200, r.text
    # The sending agency no longer sees it; the receiving desk does, with the same code.
    assert (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=here["desk"]["h"])).status_code == 404
    moved = await view(world, there["desk"], did)
    assert moved["code"] == d["code"] and moved["agency"]["code"] == OTHER and moved["status"] == "submitted"
    assert moved["transfers"][0]["from_agency"]["code"] == WARD and moved["reception_due_at"]
    assert did in await queue(world, there["desk"], mine="true")
    mine = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()
    assert (
        mine["agency"]["code"] == OTHER and mine["transfers"][0]["reason"] == "Nơi cư trú thuộc phường khác"
    )
    # After acceptance, a leader transfers it: the appointment stands; the receiving desk assigns.
    r = await world.act(there["desk"], did, "accept", {"assignee": there["spec"]["id"]})
    appointment = r.json()["appointment_at"]
    r = await world.act(
        there["boss"], did, "transfer", {"agency": WARD, "reason": "Thẩm quyền phường Ngô Quyền"}
    )
    assert r.status_code == 200, r.text
    back = await view(world, here["desk"], did)
    assert (back["step"], back["handler"], back["appointment_at"]) == ("reception", None, appointment)
    assert "assign" in back["actions"]
    assert (await world.act(here["desk"], did, "assign", {"assignee": here["spec"]["id"]})).status_code == 200


async def test_another_agency_answers_in_its_own_queue(world):
    here, there = await office(world), await office(world, OTHER)
    p = await world.citizen()
    did = (await world.submitted(p))["id"]
    await world.act(here["desk"], did, "accept", {"assignee": here["spec"]["id"]})
    r = await world.act(
        here["spec"],
        did,
        "consult",
        {"agency": OTHER, "note": "Xác nhận nơi cư trú", "kind": "step", "days": 2},
    )
    assert r.status_code == 200 and r.json()["step"] == "consulting", r.text
    asked = r.json()["consultations"][0]
    assert (asked["kind"], asked["agency"]["code"], asked["question"]) == (
        "step",
        OTHER,
        "Xác nhận nơi cư trú",
    )
    # The other agency's people see it in their queue and may answer; not accept, not approve.
    assert did in await queue(world, there["spec"], mine="true")
    seen = await view(world, there["spec"], did)
    assert seen["actions"] == ["answer"]
    r = await world.act(there["desk"], did, "answer", {"note": "x"})
    assert r.status_code == 403 and r.json()["code"] == "role-required"  # its specialist or leader answers
    r = await world.act(there["spec"], did, "answer", {"note": "Đúng nơi cư trú"})
    assert r.status_code == 200 and r.json()["step"] == "handling"
    assert r.json()["consultations"][0]["answer"] == "Đúng nơi cư trú"
    assert (await world.sub.get(f"{S}/officer/dossiers/{did}", headers=there["spec"]["h"])).status_code == 404


async def test_an_overdue_dossier_needs_the_apology_first_and_stays_late_on_record(world):
    o = await office(world)
    p = await world.citizen()
    did = (await world.submitted(p))["id"]
    await world.act(o["desk"], did, "accept", {"assignee": o["spec"]["id"]})
    rt = world.sub.app.state.runtime
    past = datetime.now(UTC) - timedelta(days=2)
    await rt.db.dossiers.update_one(
        {"_id": did}, {"$set": {"appointment_at": past, "original_appointment_at": past}}
    )
    r = await world.act(o["spec"], did, "start")
    assert r.status_code == 409 and r.json()["code"] == "apology-required"
    r = await world.act(o["spec"], did, "apologise", {"reason": "Chờ xác minh", "days": 3})
    assert r.status_code == 200, r.text
    d = r.json()
    assert datetime.fromisoformat(d["appointment_at"]) > datetime.now(UTC)
    assert d["apologies"][0]["reason"] == "Chờ xác minh"
    assert (await world.act(o["spec"], did, "start")).status_code == 200
    assert (await world.propose(o["spec"], did)).status_code == 200
    done = (await world.act(o["boss"], did, "approve")).json()
    assert done["on_time"] is False and datetime.fromisoformat(
        done["original_appointment_at"]
    ) < datetime.now(UTC)


async def test_the_queues_due_soon_and_overdue_follow_the_steps_due_time(world):
    o = await office(world)
    p = await world.citizen()
    a, b = (await world.submitted(p))["id"], (await world.submitted(p))["id"]
    for did in (a, b):
        await world.act(o["desk"], did, "accept", {"assignee": o["spec"]["id"]})
    rt = world.sub.app.state.runtime
    now = datetime.now(UTC)
    await rt.db.dossiers.update_one({"_id": a}, {"$set": {"step_due_at": now - timedelta(hours=1)}})
    await rt.db.dossiers.update_one({"_id": b}, {"$set": {"step_due_at": now + timedelta(minutes=30)}})
    overdue = await queue(world, o["spec"], due="overdue")
    soon = await queue(world, o["spec"], due="soon")
    assert a in overdue and b not in overdue and b in soon and a not in soon
    page = (
        await world.sub.get(f"{S}/officer/dossiers", params={"due": "overdue"}, headers=o["spec"]["h"])
    ).json()
    item = next(i for i in page["items"] if i["id"] == a)
    assert item["deadline"]["step_state"] == "overdue" and item["handler"]["id"] == o["spec"]["id"]
    assert (
        await world.sub.get(f"{S}/officer/dossiers", params={"due": "later"}, headers=o["spec"]["h"])
    ).status_code == 422
