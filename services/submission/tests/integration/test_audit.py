"""The audit trail the submission service writes (audit.recorded.v1 through its outbox): staff's reads of a
dossier, its files and the queue; every officer's action as a change in the action's transaction; the
calendar's changes. And that none of these succeeds when its entry cannot be written."""

from __future__ import annotations

from typing import Any

from pymongo.errors import ConnectionFailure

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"
AUDIT = "audit.recorded.v1"


def runtime(world):
    return world.sub.app.state.runtime


async def entries(world, **match: Any) -> list[dict[str, Any]]:
    query = {"routing_key": AUDIT} | {f"envelope.data.{k}": v for k, v in match.items()}
    docs = await runtime(world).db.outbox.find(query).sort("created_at", 1).to_list()
    return [d["envelope"] for d in docs]


def broken_audit(world, monkeypatch) -> None:
    """The audit entry cannot be written (the database refuses it): everything else still works."""

    async def refuse(session, record):
        raise ConnectionFailure("the audit entry could not be written")

    monkeypatch.setattr(runtime(world).audit, "_add_event", refuse)


async def test_an_officer_reading_a_dossier_and_its_files_is_recorded_the_owner_is_not(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    did = d["id"]

    assert (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).status_code == 200
    assert await entries(world, target_id=did) == []  # the owner's own reads: not the trail's business

    r = await world.sub.get(f"{S}/officer/dossiers/{did}", headers=officer["h"])
    assert r.status_code == 200, r.text
    [viewed] = await entries(world, target_id=did, action="dossier.viewed")
    data = viewed["data"]
    assert viewed["producer"] == "submission"
    assert data["kind"] == "read" and data["outcome"] == "ok"
    assert data["actor"] == officer["id"] and "reception" in data["actor_roles"]
    assert data["actor_agencies"] == [WARD]
    assert data["subject"] == p["id"] and data["target_type"] == "dossier"
    assert "applicant" in data["fields"]
    assert data["ip"] and data["request_id"]

    file_id = r.json()["attachments"][0]["id"]
    got = await world.sub.get(f"{S}/officer/dossiers/{did}/attachments/{file_id}", headers=officer["h"])
    assert got.status_code == 200 and got.content
    [downloaded] = await entries(world, action="attachment.downloaded", target_id=f"{did}/{file_id}")
    assert downloaded["data"]["subject"] == p["id"] and downloaded["data"]["actor"] == officer["id"]
    assert downloaded["data"]["target_type"] == "attachment"

    # The owner's download of their own file: nothing recorded.
    own = await world.sub.get(f"{S}/dossiers/{did}/attachments/{file_id}", headers=p["h"])
    assert own.status_code == 200
    assert len(await entries(world, action="attachment.downloaded", target_id=f"{did}/{file_id}")) == 1


async def test_a_page_of_the_queue_is_one_entry_listing_what_it_showed(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    r = await world.sub.get(f"{S}/officer/dossiers", params={"q": d["code"], "size": 5}, headers=officer["h"])
    assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [d["id"]]
    [listed] = await entries(world, action="dossier.listed", actor=officer["id"])
    data = listed["data"]
    assert data["target_type"] == "dossier_list" and data["target_id"] == WARD
    assert data["after"]["dossiers"] == [d["id"]] and data["after"]["subjects"] == [p["id"]]
    assert data["subject"] == p["id"]  # one owner on the page: theirs
    assert data["after"]["query"]["q"] == d["code"] and "applicant.phone" in data["fields"]


async def test_every_officer_action_is_a_change_with_before_and_after(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    did = d["id"]
    r = await world.act(officer, did, "accept", {"note": "Hồ sơ hợp lệ"})
    assert r.status_code == 200, r.text
    [accepted] = await entries(world, target_id=did, action="dossier.accepted")
    data = accepted["data"]
    assert data["kind"] == "change" and data["actor"] == officer["id"] and data["subject"] == p["id"]
    assert data["before"]["status"] == "submitted" and data["after"]["status"] == "accepted"
    assert data["after"]["handler"] == officer["id"] and data["after"]["appointment_at"]
    assert set(data["before"]) == set(data["after"])  # the changed fields only, on both sides
    assert "history" not in data["after"]
    # One transaction: the event and the entry were written together (same request id).
    [changed] = (
        await runtime(world)
        .db.outbox.find({"routing_key": "dossier.status_changed.v1", "envelope.data.dossier_id": did})
        .to_list()
    )
    assert changed["envelope"]["correlation_id"] == accepted["correlation_id"]

    r = await world.act(officer, did, "request-supplement", {"items": ["Ảnh 3x4"], "note": "Thiếu ảnh"})
    assert r.status_code == 200, r.text
    [asked] = await entries(world, target_id=did, action="dossier.supplement_requested")
    assert asked["data"]["after"]["supplement_items"] == ["Ảnh 3x4"]

    # The citizen's own action (withdraw) is not a staff change: no entry.
    r = await world.act(p, did, "withdraw", {"reason": "Nộp nhầm"})
    assert r.status_code == 200, r.text
    assert await entries(world, target_id=did, action="dossier.withdrawn") == []


async def test_no_action_succeeds_without_its_entry(world, monkeypatch):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    did = d["id"]
    rt = runtime(world)
    broken_audit(world, monkeypatch)

    r = await world.act(officer, did, "accept", {"note": "Hồ sơ hợp lệ"})
    assert r.status_code == 503, r.text
    stored = await rt.db.dossiers.find_one({"_id": did})
    assert stored["status"] == "submitted" and stored.get("accepted_at") is None
    assert (
        await rt.db.outbox.count_documents({"envelope.data.dossier_id": did, "routing_key": {"$ne": AUDIT}})
        == 1
    )

    # A read that cannot be recorded is not shown: neither the dossier, nor a file, nor the queue.
    r = await world.sub.get(f"{S}/officer/dossiers/{did}", headers=officer["h"])
    assert r.status_code == 503 and "applicant" not in r.text
    file_id = (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).json()["attachments"][0]["id"]
    got = await world.sub.get(f"{S}/officer/dossiers/{did}/attachments/{file_id}", headers=officer["h"])
    assert got.status_code == 503 and got.content[:4] != b"%PDF"
    r = await world.sub.get(f"{S}/officer/dossiers", params={"q": d["code"]}, headers=officer["h"])
    assert r.status_code == 503 and p["phone"] not in r.text
    # The owner is not recorded, so nothing stands in their way.
    assert (await world.sub.get(f"{S}/dossiers/{did}", headers=p["h"])).status_code == 200
    assert await entries(world, target_id=did) == []

    monkeypatch.undo()
    r = await world.act(officer, did, "accept", {"note": "Hồ sơ hợp lệ"})
    assert r.status_code == 200, r.text
    assert len(await entries(world, target_id=did, action="dossier.accepted")) == 1


async def test_a_calendar_change_is_recorded_with_the_days_before_and_after(world, monkeypatch):
    h = await world.admin()
    year = 2033  # a year nothing else counts deadlines in
    r = await world.sub.put(f"{S}/calendar/{year}", json={"days_off": [f"{year}-03-02"]}, headers=h)
    assert r.status_code == 200, r.text
    [changed] = await entries(world, action="calendar.changed", target_id=str(year))
    data = changed["data"]
    assert data["kind"] == "change" and "admin" in data["actor_roles"]
    assert data["before"] == {"days_off": []} and data["after"] == {"days_off": [f"{year}-03-02"]}

    broken_audit(world, monkeypatch)
    r = await world.sub.put(f"{S}/calendar/{year}", json={"days_off": []}, headers=h)
    assert r.status_code == 503
    monkeypatch.undo()
    read = (await world.sub.get(f"{S}/calendar/{year}", headers=h)).json()
    assert f"{year}-03-02" in read["days_off"]  # the change did not happen without its entry
