"""The citizen's rating against real servers (docs/submission.md, "Rating"): once, by the owner, after the
result was returned or the dossier refused or withdrawn; every refusal changes nothing; two ratings at once
keep one; dossier.rated.v1 in the outbox; who among the officers sees it. And what the dossier events now
carry for reporting (filing channel and components, the legal due date, on time, the signed result, the
working days used)."""

from __future__ import annotations

import asyncio
from datetime import datetime

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"  # Công an phường Ngô Quyền: where world.ready() files
SCORES = {"overall": 4, "reception": 5, "guidance": 4, "time": 3, "result": 5}


async def outbox(world, key: str, dossier_id: str) -> list[dict]:
    rt = world.sub.app.state.runtime
    docs = (
        await rt.db.outbox.find({"routing_key": key, "envelope.data.dossier_id": dossier_id})
        .sort("created_at", 1)
        .to_list()
    )
    return [d["envelope"]["data"] for d in docs]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def rate(world, who, did, body=None):
    return await world.sub.post(
        f"{S}/dossiers/{did}/rating", json=SCORES if body is None else body, headers=who["h"]
    )


async def mine(world, p, did) -> dict:
    r = await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])
    assert r.status_code == 200, r.text
    return r.json()


async def listed(world, p, did) -> dict:
    r = await world.sub.get(f"{S}/dossiers", headers=p["h"], params={"size": 100})
    assert r.status_code == 200, r.text
    return next(i for i in r.json()["items"] if i["id"] == did)


async def withdrawn(world, p) -> str:
    did = (await world.submitted(p))["id"]
    r = await world.act(p, did, "withdraw", {"note": "Tôi nộp nhầm"})
    assert r.status_code == 200, r.text
    return did


async def test_a_returned_dossier_is_rated_once_and_the_events_say_what_reporting_needs(world):
    p = await world.citizen()
    desk = await world.officer([WARD], "Phạm Thị Một Cửa", roles=["reception"])
    spec = await world.officer([WARD], "Lê Văn Chuyên", roles=["specialist"])
    d = await world.submitted(p)
    did = d["id"]
    # Filed online with both required components (world.ready: a PDF and a photo).
    filed = (await outbox(world, "dossier.submitted.v1", did))[0]
    assert filed["channel"] == "online" and filed["field"] == "Đăng ký, quản lý cư trú"
    assert filed["components_filed"] == 2 and filed["components_digital"] == 2

    assert (await world.act(desk, did, "accept", {"assignee": spec["id"]})).status_code == 200
    assert (await world.act(spec, did, "start")).status_code == 200
    # Not decided yet: nothing to rate.
    r = await rate(world, p, did)
    assert r.status_code == 409 and r.json()["code"] == "not-rateable", r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "đánh giá" in r.json()["title"].lower()
    decided = await world.decided(spec, did)
    assert decided["on_time"] is True
    assert (await world.act(desk, did, "return-result")).status_code == 200

    view = await mine(world, p, did)
    assert view["rateable"] is True and view["rating"] is None
    assert (await listed(world, p, did))["rateable"] is True
    # Someone else's dossier does not exist for them; an officer is not its owner.
    stranger = await world.citizen()
    r = await rate(world, stranger, did)
    assert r.status_code == 404 and r.json()["code"] == "dossier-not-found"
    assert (await rate(world, desk, did)).status_code == 403

    body = {**SCORES, "comment": "  Cán bộ hướng dẫn tận tình\u0000\u200b  "}
    r = await rate(world, p, did, body)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["scores"] == SCORES and got["comment"] == "Cán bộ hướng dẫn tận tình"
    rated_at = datetime.fromisoformat(got["rated_at"])
    view = await mine(world, p, did)
    assert view["rateable"] is False and view["rating"]["scores"] == SCORES
    assert view["rating"]["comment"] == "Cán bộ hướng dẫn tận tình"
    item = await listed(world, p, did)
    assert item["rateable"] is False and item["rating"]["scores"]["overall"] == 4
    # Once only.
    r = await rate(world, p, did, {**SCORES, "overall": 1})
    assert r.status_code == 409 and r.json()["code"] == "already-rated"
    assert (await mine(world, p, did))["rating"]["scores"]["overall"] == 4

    # The event, through the outbox, once.
    [event] = await outbox(world, "dossier.rated.v1", did)
    assert event["scores"] == SCORES and event["comment"] == "Cán bộ hướng dẫn tận tình"
    assert event["status_code"] == 10 and event["owner_id"] == p["id"] and event["code"] == d["code"]
    assert event["agency_code"] == WARD and datetime.fromisoformat(event["rated_at"]) == rated_at

    # Every status change carries the filing and the legal due date; from 9 on, the decision's facts.
    changes = await outbox(world, "dossier.status_changed.v1", did)
    assert [(e["old_status_code"], e["new_status_code"]) for e in changes] == [
        (1, 2),
        (2, 4),
        (4, 9),
        (9, 10),
    ]
    for e in changes:
        assert e["submitted_at"] and e["channel"] == "online" and e["legal_days"] == 3.0
        # No apology: the appointment is the one the law counts.
        assert when(e["legal_due_at"]) == when(changes[0]["appointment_at"])
    assert (
        changes[1]["on_time"] is None
        and changes[1]["used_days"] is None
        and changes[1]["finished_at"] is None
    )
    for e in changes[2:]:
        assert e["on_time"] is True and e["digital_result"] is True and e["finished_at"]
        # Decided within seconds of acceptance: a small fraction of one working day (0 outside office hours).
        assert isinstance(e["used_days"], float) and 0 <= e["used_days"] < 0.1
    assert changes[2]["finished_at"] == changes[3]["finished_at"]  # the same instant, said the same way
    assert changes[0]["legal_due_at"] == changes[3]["legal_due_at"]


async def test_a_refused_or_withdrawn_dossier_is_rateable_and_bad_ratings_change_nothing(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    r = await world.act(officer, did, "refuse", {"reason": "Không thuộc thẩm quyền"})
    assert r.status_code == 200, r.text
    assert (await mine(world, p, did))["rateable"] is True
    before = (await mine(world, p, did))["rev"]
    for bad in (
        {**SCORES, "overall": 0},
        {**SCORES, "time": 6},
        {**SCORES, "reception": "5"},
        {**SCORES, "guidance": True},
        {k: v for k, v in SCORES.items() if k != "result"},
        {**SCORES, "stars": 5},
        {**SCORES, "comment": "ý" * 1001},
    ):
        r = await rate(world, p, did, bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    after = await mine(world, p, did)
    assert after["rev"] == before and after["rating"] is None and after["rateable"] is True
    assert await outbox(world, "dossier.rated.v1", did) == []
    r = await rate(world, p, did, {**SCORES, "comment": "ý" * 1000})
    assert r.status_code == 201, r.text
    [event] = await outbox(world, "dossier.rated.v1", did)
    assert event["status_code"] == 3

    w = await withdrawn(world, p)
    r = await rate(world, p, w)
    assert r.status_code == 201 and r.json()["comment"] is None
    assert (await outbox(world, "dossier.rated.v1", w))[0]["status_code"] == 7


async def test_two_ratings_at_once_one_is_kept(world):
    p = await world.citizen()
    did = await withdrawn(world, p)
    answers = await asyncio.gather(*(rate(world, p, did, {**SCORES, "overall": n}) for n in (1, 2, 3, 4)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201, 409, 409, 409], [r.text for r in answers]
    assert all(r.json()["code"] == "already-rated" for r in answers if r.status_code == 409)
    kept = next(r.json() for r in answers if r.status_code == 201)
    assert (await mine(world, p, did))["rating"]["scores"] == kept["scores"]
    assert len(await outbox(world, "dossier.rated.v1", did)) == 1


async def test_only_the_agencys_leader_sees_the_rating_among_the_officers(world):
    p = await world.citizen()
    desk = await world.officer([WARD], "Phạm Thị Một Cửa", roles=["reception"])
    spec = await world.officer([WARD], "Lê Văn Chuyên", roles=["specialist"])
    boss = await world.officer([WARD], "Vũ Văn Lãnh Đạo", roles=["leader"])
    elsewhere = await world.officer(["000.01.G7.H26"], "Lãnh Đạo Phường Khác", roles=["leader"])
    did = (await world.submitted(p))["id"]
    assert (await world.act(desk, did, "refuse", {"reason": "Sai thẩm quyền"})).status_code == 200
    assert (await rate(world, p, did, {**SCORES, "comment": "Chưa hài lòng"})).status_code == 201

    def officer_view(who):
        return world.sub.get(f"{S}/officer/dossiers/{did}", headers=who["h"])

    for who in (desk, spec):
        r = await officer_view(who)
        assert r.status_code == 200, r.text
        assert r.json().get("rating") is None and "Chưa hài lòng" not in r.text
    r = await officer_view(boss)
    assert r.status_code == 200 and r.json()["rating"]["comment"] == "Chưa hài lòng"
    assert r.json()["rating"]["scores"] == SCORES
    # A leader of another agency does not see the dossier at all.
    assert (await officer_view(elsewhere)).status_code == 404


async def test_an_assignment_names_the_specialist_on_the_step_event(world):
    p = await world.citizen()
    desk = await world.officer([WARD], "Phạm Thị Một Cửa", roles=["reception"])
    spec = await world.officer([WARD], "Lê Văn Chuyên", roles=["specialist"])
    spec2 = await world.officer([WARD], "Đỗ Thị Chuyên Hai", roles=["specialist"])
    did = (await world.submitted(p))["id"]
    assert (await world.act(desk, did, "accept", {"assignee": spec["id"]})).status_code == 200
    assert (await world.act(desk, did, "assign", {"assignee": spec2["id"]})).status_code == 200
    [step] = await outbox(world, "dossier.step_changed.v1", did)
    assert step["action"] == "assign" and step["assignee_id"] == spec2["id"]
    assert step["assignee_name"] == "Đỗ Thị Chuyên Hai"
