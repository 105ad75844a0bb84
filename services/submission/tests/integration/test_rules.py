"""Rules that protect users: ownership, bad input, unique codes across replicas, all-or-nothing submit,
cleanup of abandoned drafts, public tracking, and the procedure copy kept by events."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from dvckit.contracts import ProcedurePublishedV1
from dvckit.events import Envelope

S = "/api/v1/submissions"


async def test_no_one_sees_or_changes_another_citizens_dossier(world):
    owner, other = await world.citizen(), await world.citizen()
    d = await world.ready(owner)
    att = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=owner["h"])).json()["attachments"][0]["id"]
    cid = await world.captcha(other)
    calls = [
        ("get", f"/dossiers/{d['id']}", None),
        ("put", f"/dossiers/{d['id']}/applicant", world.applicant(other)),
        ("get", f"/dossiers/{d['id']}/fees", None),
        ("get", f"/dossiers/{d['id']}/attachments/{att}", None),
        ("delete", f"/dossiers/{d['id']}/attachments/{att}", None),
        ("post", f"/dossiers/{d['id']}/submit", {"captcha_id": cid, "captcha_answer": "test-captcha"}),
        ("delete", f"/dossiers/{d['id']}", None),
    ]
    for method, path, body in calls:
        kw = {"json": body} if body is not None else {}
        r = await getattr(world.sub, method)(f"{S}{path}", headers=other["h"], **kw)
        assert r.status_code == 404, (method, path, r.status_code)  # not even its existence is revealed
        r = await getattr(world.sub, method)(f"{S}{path}", **kw)
        assert r.status_code == 401, (method, path)
    r = await world.upload(other, d["id"], "cccccccccccc", world.pdf())
    assert r.status_code == 404
    assert (await world.sub.get(f"{S}/dossiers", headers=other["h"])).json()["total"] == 0
    mine = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=owner["h"])).json()
    assert mine["status"] == "draft" and len(mine["attachments"]) == 2
    assert mine["applicant"]["submitter"]["citizen_id"] == owner["citizen_id"]


async def test_an_officer_token_is_not_a_citizen(world):
    h = await world.admin()
    r = await world.sub.post(f"{S}/dossiers", json={"procedure_code": "2.000815"}, headers=h)
    assert r.status_code == 403


GOOD_SUBMITTER = {
    "full_name": "A B",
    "citizen_id": "031299001111",
    "date_of_birth": "1990-01-01",
    "phone": "0912345678",
    "address": "Số 1 Hải Phòng",
}


@pytest.mark.parametrize(
    "bad",
    [
        {"submitter": GOOD_SUBMITTER | {"citizen_id": "123"}},
        {"submitter": GOOD_SUBMITTER | {"date_of_birth": "2999-01-01"}},
        {"submitter": GOOD_SUBMITTER | {"phone": "024 3823 4567"}},
        {"submitter": GOOD_SUBMITTER | {"full_name": {"$ne": None}}},
        {"submitter": GOOD_SUBMITTER | {"role": "officer"}},
        {"submitter": None},
    ],
)
async def test_bad_applicant_data_is_refused_and_changes_nothing(world, bad):
    p = await world.citizen()
    d = await world.draft(p)
    r = await world.sub.put(f"{S}/dossiers/{d['id']}/applicant", json=bad, headers=p["h"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    after = (await world.sub.get(f"{S}/dossiers/{d['id']}", headers=p["h"])).json()
    assert after["applicant"] is None and after["rev"] == d["rev"]


async def test_bad_requests_everywhere_are_4xx(world):
    p = await world.citizen()
    for body in (
        {"procedure_code": {"$gt": ""}},
        {"procedure_code": "1.004194", "x": 1},
        {},
        {"procedure_code": 1},
    ):
        r = await world.sub.post(f"{S}/dossiers", json=body, headers=p["h"])
        assert r.status_code == 422, body
    r = await world.sub.post(
        f"{S}/dossiers", content=b"{" * 100_000, headers={**p["h"], "content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500
    assert (await world.sub.get(f"{S}/dossiers/not-an-id", headers=p["h"])).status_code == 422
    assert (await world.sub.get(f"{S}/dossiers?size=1000", headers=p["h"])).status_code == 422
    d = await world.draft(p)
    r = await world.sub.post(
        f"{S}/dossiers/{d['id']}/submit", json={"captcha_id": "x", "captcha_answer": "y"}, headers=p["h"]
    )
    assert r.status_code == 422
    assert (await world.sub.get(f"{S}/dossiers", headers=p["h"])).json()["total"] == 1


async def test_two_replicas_never_issue_the_same_code(world):
    second = await world.make_submission()
    people = [await world.citizen() for _ in range(6)]
    drafts = []
    for i, p in enumerate(people * 4):
        client = world.sub if i % 2 else second
        drafts.append((p, (await world.ready(p, client=client))["id"], client))
    results = await asyncio.gather(*(world.submit(p, did, client=client) for p, did, client in drafts))
    assert [r.status_code for r in results] == [200] * 24, [r.text for r in results if r.status_code != 200]
    codes = [r.json()["code"] for r in results]
    assert len(set(codes)) == len(codes) == 24
    # One sequence per agency and day, shared by both replicas.
    by_day = Counter(c.rsplit("-", 1)[0] for c in codes)
    for prefix, n in by_day.items():
        seqs = sorted(int(c.rsplit("-", 1)[1]) for c in codes if c.startswith(prefix))
        assert len(seqs) == n and seqs == sorted(set(seqs))


async def test_a_submit_that_fails_midway_changes_nothing(world, monkeypatch):
    p = await world.citizen()
    d = await world.ready(p)
    rt = world.sub.app.state.runtime

    async def broken_add(session, data):
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(rt.outbox, "add", broken_add)
    r = await world.submit(p, d["id"])
    assert r.status_code == 500
    after = await rt.db.dossiers.find_one({"_id": d["id"]})
    assert after["status"] == "draft" and after["code"] is None and after["history"] == []
    assert await rt.db.outbox.count_documents({"envelope.data.dossier_id": d["id"]}) == 0
    monkeypatch.undo()
    r = await world.submit(p, d["id"])
    assert r.status_code == 200
    assert await rt.db.outbox.count_documents({"envelope.data.dossier_id": d["id"]}) == 1


async def test_abandoned_drafts_and_unfinished_uploads_are_cleaned_up(world):
    p = await world.citizen()
    old, recent = await world.ready(p), await world.ready(p)
    rt, store = world.sub.app.state.runtime, world.sub.app.state.store
    await rt.db.dossiers.update_one(
        {"_id": old["id"]}, {"$set": {"updated_at": datetime.now(UTC) - timedelta(days=31)}}
    )
    keys = [a["key"] for a in (await rt.db.dossiers.find_one({"_id": old["id"]}))["attachments"]]
    # An upload a crash interrupted: its object exists, nothing points to it.
    orphan = f"dossiers/{recent['id']}/{uuid.uuid4().hex}"
    await store.client.put_object(Bucket=store.bucket, Key=orphan, Body=b"%PDF-1.4 orphan")
    await rt.db.dossiers.update_one(
        {"_id": recent["id"]},
        {
            "$push": {
                "uploading": {
                    "id": uuid.uuid4().hex,
                    "key": orphan,
                    "started_at": datetime.now(UTC) - timedelta(hours=2),
                }
            }
        },
    )
    done = await world.sub.app.state.dossiers.cleanup()
    assert done["drafts"] >= 1 and done["stale_uploads"] >= 1
    assert await rt.db.dossiers.find_one({"_id": old["id"]}) is None
    assert all([await store.head(k) is None for k in keys]) and await store.head(orphan) is None
    assert (await world.sub.get(f"{S}/dossiers/{recent['id']}", headers=p["h"])).status_code == 200
    assert (await rt.db.dossiers.find_one({"_id": recent["id"]}))["uploading"] == []


async def test_public_tracking_shows_little_and_needs_the_right_identifier(world):
    p = await world.citizen()
    d = await world.ready(p)
    code = (await world.submit(p, d["id"])).json()["code"]
    r = await world.sub.get(f"{S}/track", params={"code": code, "citizen_id": p["citizen_id"]})
    assert r.status_code == 200
    assert set(r.json()) == {
        "code",
        "procedure_name",
        "agency_name",
        "status",
        "status_code",
        "status_text",
        "step",  # where it is inside the agency (the desk, a specialist, …), never who
        "step_text",
        "submitted_at",
        "appointment_at",
    }
    assert (await world.sub.get(f"{S}/track", params={"code": code, "phone": p["phone"]})).status_code == 200
    assert (
        await world.sub.get(f"{S}/track", params={"code": code, "citizen_id": "099999999999"})
    ).status_code == 404
    assert (await world.sub.get(f"{S}/track", params={"code": code})).status_code == 422
    assert (await world.sub.get(f"{S}/track", params={"code": "x", "phone": p["phone"]})).status_code == 422


async def test_the_procedure_copy_follows_events_and_drafts_keep_their_version(world):
    p = await world.citizen()
    before = await world.draft(p, code="2.000815", agency=None)
    cache = world.sub.app.state.procedures
    current = await cache.get("2.000815")
    newer = {
        **current,
        "version": current["version"] + 1,
        "fees": [{"name": "Phí chứng thực", "amount": 5000}],
    }
    rt = world.sub.app.state.runtime

    async def deliver(data):
        env = Envelope.wrap(data, producer="catalog")
        await rt.transaction(lambda s: cache.on_published(data, env, s))

    await deliver(ProcedurePublishedV1(code="2.000815", version=newer["version"], procedure=newer))
    await deliver(
        ProcedurePublishedV1(code="2.000815", version=current["version"], procedure=current)
    )  # late, older
    assert (await cache.get("2.000815"))["version"] == newer["version"]
    after = await world.draft(p, code="2.000815", agency=None)
    assert after["procedure"]["version"] == newer["version"] and after["fees"]["total"] == 5000
    kept = (await world.sub.get(f"{S}/dossiers/{before['id']}", headers=p["h"])).json()
    assert kept["procedure"]["version"] == current["version"] and kept["fees"]["total"] == 2000


def test_dossier_code_format():
    from datetime import date

    from submission.domain.dossier import dossier_code

    assert dossier_code("000.17.22.H56", date(2021, 5, 31), 1) == "000.17.22.H56-210531-0001"
    assert re.match(r"^000\.31\.01\.H26-\d{6}-9999$", dossier_code("000.31.01.H26", date.today(), 9999))
    with pytest.raises(ValueError):
        dossier_code("000.31.01.H26", date.today(), 10_000)
    assert time.time() > 0
