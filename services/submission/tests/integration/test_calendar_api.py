"""The working-day calendar's administration against real servers: who may read and change it, what a
change must satisfy, its audit entry and event, and deadlines computed after it (on this replica and on
another one)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from submission.domain.calendar import Calendar

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"
YEAR = 2031  # a year nothing else in this module counts deadlines in


async def admin(world) -> dict[str, Any]:
    return {"h": await world.admin()}


async def put(world, who, year: int, body: dict[str, Any], etag: str | None = None):
    headers = {**who["h"], **({"If-Match": etag} if etag else {})}
    return await world.sub.put(f"{S}/calendar/{year}", json=body, headers=headers)


async def test_an_administrator_sets_a_year_and_anyone_signed_in_reads_it(world):
    a, p = await admin(world), await world.citizen()
    r = await world.sub.get(f"{S}/calendar/{YEAR}", headers=p["h"])
    assert r.status_code == 200, r.text
    before = r.json()
    assert before["version"] == 0 and before["days_off"] == [] and before["working_days"] == []
    assert any(h["date"] == f"{YEAR}-01-01" for h in before["holidays"])
    assert before["office_hours"] == "07:30-11:30,13:30-17:00" and before["acceptance_cutoff"] is None

    body = {"days_off": [f"{YEAR}-05-02", f"{YEAR}-05-02"], "working_days": [f"{YEAR}-04-26"]}
    r = await put(world, a, YEAR, body, r.headers["etag"])
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["version"] == 1 and after["days_off"] == [f"{YEAR}-05-02"]
    assert after["working_days"] == [f"{YEAR}-04-26"] and r.headers["etag"] == f'"calendar-{YEAR}-v1"'

    read = (await world.sub.get(f"{S}/calendar/{YEAR}", headers=p["h"])).json()
    assert read["days_off"] == [f"{YEAR}-05-02"] and read["version"] == 1 and read["updated_by"]

    # The audit entry: who, when, what it said before; and the event, in the same transaction.
    db = world.sub.app.state.runtime.db
    doc = await db.calendar.find_one({"_id": YEAR})
    assert [(h["version"], h["before"]["days_off"], h["days_off"]) for h in doc["history"]] == [
        (1, [], [f"{YEAR}-05-02"])
    ]
    events = await db.outbox.find({"routing_key": "calendar.changed.v1"}).to_list()
    data = [e["envelope"]["data"] for e in events if e["envelope"]["data"]["year"] == YEAR]
    assert data and data[-1]["version"] == 1 and data[-1]["days_off"] == [f"{YEAR}-05-02"]

    # A stale If-Match is refused, and changes nothing.
    r = await put(world, a, YEAR, {"days_off": []}, '"calendar-2031-v0"')
    assert (
        r.status_code == 412 and r.json()["code"] == "version-conflict" and r.json()["current_version"] == 1
    )
    r = await put(world, a, YEAR, {}, '"calendar-2031-v1"')  # without the If-Match it would go through too
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["days_off"] == []


async def test_only_an_administrator_changes_it(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    body = {"days_off": [f"{YEAR}-06-01"]}
    for who in (p, officer):
        r = await put(world, who, YEAR, body)
        assert r.status_code == 403, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
    r = await world.sub.put(f"{S}/calendar/{YEAR}", json=body)
    assert r.status_code == 401
    assert (await world.sub.get(f"{S}/calendar/{YEAR}")).status_code == 401
    assert (
        f"{YEAR}-06-01"
        not in (await world.sub.get(f"{S}/calendar/{YEAR}", headers=p["h"])).json()["days_off"]
    )


async def test_bad_dates_are_refused_and_nothing_changes(world):
    a = await admin(world)
    year = YEAR + 1
    assert (await put(world, a, year, {"days_off": [f"{year}-03-02"]})).status_code == 200
    bad = [
        ({"days_off": [f"{year + 1}-01-02"]}, "invalid-calendar"),  # another year
        ({"days_off": [f"{year}-03-03"], "working_days": [f"{year}-03-03"]}, "invalid-calendar"),  # both
        ({"days_off": ["03/03/2032"]}, "validation-error"),  # not ISO
        ({"days_off": [1900000000]}, "validation-error"),  # a number is not a date
        ({"days_off": [f"{year}-02-30"]}, "validation-error"),
        ({"holidays": []}, "validation-error"),  # unknown field
    ]
    for body, code in bad:
        r = await put(world, a, year, body)
        assert r.status_code == 422 and r.json()["code"] == code, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    invalid = (await put(world, a, year, bad[1][0])).json()
    assert "vừa là ngày nghỉ vừa là ngày làm việc" in invalid["detail"]
    r = await world.sub.put(f"{S}/calendar/1999", json={}, headers=a["h"])
    assert r.status_code == 422
    read = (await world.sub.get(f"{S}/calendar/{year}", headers=a["h"])).json()
    assert read["version"] == 1 and read["days_off"] == [f"{year}-03-02"]


async def test_a_dossier_accepted_after_an_added_day_off_is_due_later_on_every_replica(world):
    a, p = await admin(world), await world.citizen()
    first = await world.submitted(p)
    officer = await world.officer([first["agency"]["code"]])
    assert first["reception_due_at"]  # filed: due for acceptance within the reception time
    queue = (await world.sub.get(f"{S}/officer/dossiers", headers=officer["h"])).json()["items"]
    mine = next(i for i in queue if i["id"] == first["id"])
    assert mine["deadline"]["kind"] == "reception" and mine["deadline"]["state"] in ("on_time", "due_soon")
    lag = datetime.fromisoformat(mine["deadline"]["due_at"]) - datetime.fromisoformat(
        first["reception_due_at"]
    )
    assert abs(lag.total_seconds()) < 0.001  # as stored: to the millisecond

    # Not accepted by the reception due time: overdue.
    q = {"overdue": "true", "size": 100}
    listed = lambda r: [i["id"] for i in r.json()["items"]]  # noqa: E731
    assert first["id"] not in listed(
        await world.sub.get(f"{S}/officer/dossiers", params=q, headers=officer["h"])
    )
    rt = world.sub.app.state.runtime
    past = datetime.now(UTC) - timedelta(hours=1)
    await rt.db.dossiers.update_one({"_id": first["id"]}, {"$set": {"reception_due_at": past}})
    r = await world.sub.get(f"{S}/officer/dossiers", params=q, headers=officer["h"])
    late = next(i for i in r.json()["items"] if i["id"] == first["id"])
    assert late["deadline"]["state"] == "overdue" and late["deadline"]["kind"] == "reception"

    r = await world.act(officer, first["id"], "accept")
    assert r.status_code == 200, r.text
    due = datetime.fromisoformat(r.json()["appointment_at"])
    assert r.json()["deadline_defaulted"] is False
    day = due.astimezone(world.sub.app.state.parts.calendar.current.zone).date()

    other = await world.make_submission(world.sub.app.state.runtime.settings)  # a second replica
    assert other.app.state.parts.calendar.current.is_working_day(day)
    try:
        r = await put(world, a, day.year, {"days_off": [day.isoformat()]})
        assert r.status_code == 200, r.text
        later = Calendar().next_working_day(day)
        second = await world.submitted(p)
        r = await world.act(officer, second["id"], "accept")
        assert r.status_code == 200, r.text
        assert _date(r.json()["appointment_at"]) == later
        # The other replica counts with it once it rereads (the event reaches one replica; the refresh
        # reaches all of them).
        await other.app.state.parts.calendar.refresh()
        assert not other.app.state.parts.calendar.current.is_working_day(day)
    finally:
        await put(world, a, day.year, {})


def _date(text: str) -> date:
    return datetime.fromisoformat(text).astimezone(UTC).astimezone(Calendar().zone).date()


async def test_the_clock_stands_still_while_the_citizen_is_asked_to_pay(world):
    p = await world.citizen()
    d = await world.submitted(p)
    officer = await world.officer([d["agency"]["code"]])
    accepted = (await world.act(officer, d["id"], "accept")).json()
    r = await world.act(officer, d["id"], "request-payment", {"note": "Nộp lệ phí", "amount": 7000})
    assert r.status_code == 200, r.text
    db = world.sub.app.state.runtime.db
    assert (await db.dossiers.find_one({"_id": d["id"]}))["paused_at"] is not None
    queue = await world.sub.get(f"{S}/officer/dossiers", params={"size": 100}, headers=officer["h"])
    item = next(i for i in queue.json()["items"] if i["id"] == d["id"])
    assert item["deadline"]["paused"] is True and item["deadline"]["kind"] == "processing"
    # Paid at the counter: the clock runs again.
    r = await world.act(officer, d["id"], "start", {"note": "Đã nộp tại quầy", "items": ["BL 0001234"]})
    assert r.status_code == 200, r.text
    assert (await db.dossiers.find_one({"_id": d["id"]}))["paused_at"] is None
    # Paid the same day: no working day lost, the appointment stays (a day lost would move it by one).
    asked, paid = (_date(h["at"]) for h in r.json()["history"][-2:])
    if asked == paid:
        assert r.json()["appointment_at"] == accepted["appointment_at"]
