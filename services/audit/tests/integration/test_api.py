"""The audit trail's API: auditors and administrators search and export it (each search and export is
itself an entry of the stream ``audit``), a person reads the entries about their own data without the
staff member's identity, address or browser, everyone else is refused."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

from .conftest import P, entry


async def seeded(audit) -> None:
    base = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 10:00 in Hải Phòng
    for i in range(5):
        await audit.publish(entry(i, at=base + timedelta(days=i)), producer="submission")
    await audit.publish(
        entry(
            9,
            at=base + timedelta(days=1, hours=1),
            kind="change",
            action="user.roles_changed",
            actor="admin-1",
            actor_roles=["admin"],
            actor_agencies=[],
            target_type="user",
            target_id="citizen-2",
            subject="citizen-2",
            fields=[],
            before={"roles": ["citizen"]},
            after={"roles": ["citizen", "officer"]},
        ),
        producer="auth",
    )
    await audit.kept(6)


async def test_auditors_and_administrators_search_newest_first_with_filters(audit):
    await seeded(audit)
    r = await audit.http.get(f"{P}/events", headers=audit.auditor, params={"size": 2})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "private, no-store"
    body = r.json()
    assert body["total"] == 6 and body["page"] == 1 and body["size"] == 2
    assert [e["target_id"] for e in body["items"]] == ["dossier-4", "dossier-3"]
    first = body["items"][0]
    assert first["stream"] == "submission" and first["seq"] == 5 and len(first["hash"]) == 64
    assert first["ip"] == "203.0.113.7" and first["actor"] == "officer-1"

    async def ids(headers=None, **params) -> list[str]:
        r = await audit.http.get(f"{P}/events", headers=headers or audit.admin, params=params)
        assert r.status_code == 200, r.text
        return [e["target_id"] for e in r.json()["items"]]

    assert await ids(subject="citizen-2") == ["citizen-2"]
    assert await ids(kind="change", stream="auth", action="user.roles_changed") == ["citizen-2"]
    assert await ids(actor="officer-1", target_type="dossier", target_id="dossier-2") == ["dossier-2"]
    # Days in Hải Phòng time, "to" counted whole; moments as given.
    assert await ids(**{"from": "2026-11-21", "to": "2026-11-22"}) == ["dossier-2", "citizen-2", "dossier-1"]
    # (The searches themselves are entries too, of today: "to" leaves them out.)
    assert await ids(**{"from": "2026-11-23T03:00:00Z", "to": "2026-11-30"}) == ["dossier-4", "dossier-3"]
    assert await ids(page=3, size=2, to="2026-11-30") == ["dossier-1", "dossier-0"]
    r = await audit.http.get(f"{P}/events", headers=audit.auditor, params={"from": "yesterday"})
    assert r.status_code == 422 and r.json()["code"] == "bad-moment"
    r = await audit.http.get(f"{P}/events", headers=audit.auditor, params={"kind": "delete"})
    assert r.status_code == 422


async def test_reading_the_trail_is_itself_recorded(audit):
    await seeded(audit)
    r = await audit.http.get(f"{P}/events", headers=audit.auditor, params={"subject": "citizen-1"})
    assert r.status_code == 200
    r = await audit.http.get(f"{P}/events.csv", headers=audit.auditor, params={"stream": "auth"})
    assert r.status_code == 200
    await audit.kept(2, stream="audit")
    searched = await audit.db.entries.find_one({"stream": "audit", "action": "audit.searched"})
    assert searched["actor"] == "auditor-1" and searched["actor_roles"] == ["auditor"]
    assert searched["target_type"] == "audit_trail" and searched["target_id"] == "subject=citizen-1"
    assert searched["subject"] == "citizen-1" and searched["kind"] == "read"
    exported = await audit.db.entries.find_one({"stream": "audit", "action": "audit.exported"})
    assert exported["target_id"] == "csv:stream=auth"
    (report,) = await audit.app.state.verifier.verify_all(["audit"])
    assert report.intact and report.checked == 2


async def test_exports_stream_every_match_as_csv_and_json_lines(audit):
    await seeded(audit)
    r = await audit.http.get(f"{P}/events.csv", headers=audit.auditor, params={"stream": "submission"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="nhat-ky-')
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["target_id"] for row in rows] == [f"dossier-{i}" for i in (4, 3, 2, 1, 0)]
    assert rows[0]["fields"] == '["applicant.name","applicant.id_number"]' and rows[0]["seq"] == "5"
    r = await audit.http.get(f"{P}/events.jsonl", headers=audit.admin, params={"kind": "change"})
    assert r.status_code == 200
    (line,) = [json.loads(x) for x in r.text.splitlines()]
    assert line["before"] == {"roles": ["citizen"]} and line["after"] == {"roles": ["citizen", "officer"]}


async def test_a_person_sees_the_entries_about_their_data_without_the_staff_members_identity(audit):
    await seeded(audit)
    r = await audit.http.get(f"{P}/me", headers=audit.citizen("citizen-2"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    (mine,) = body["items"]
    assert mine["action"] == "user.roles_changed" and mine["by_roles"] == ["admin"]
    assert mine["changed_fields"] == ["roles"]
    assert not {"actor", "ip", "user_agent", "request_id", "before", "after", "hash"} & set(mine)
    r = await audit.http.get(f"{P}/me", headers=audit.citizen("citizen-1"), params={"size": 2})
    assert r.json()["total"] == 5 and len(r.json()["items"]) == 2
    r = await audit.http.get(f"{P}/me", headers=audit.citizen("nobody"))
    assert r.json() == {"items": [], "total": 0, "page": 1, "size": 50, "next_cursor": None}


async def test_others_are_refused(audit):
    officer = audit.token("officer-1", roles=["officer", "leader"], agencies=["000.00.A0.H26"])
    for path in ("/events", "/events.csv", "/events.jsonl", "/chains"):
        for headers in (audit.citizen(), officer):
            r = await audit.http.get(f"{P}{path}", headers=headers)
            assert r.status_code == 403, (path, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
        r = await audit.http.get(f"{P}{path}")
        assert r.status_code == 401
    assert (await audit.http.get(f"{P}/me")).status_code == 401


async def test_the_heads_of_the_chains(audit):
    await seeded(audit)
    r = await audit.http.get(f"{P}/chains", headers=audit.auditor)
    assert r.status_code == 200
    heads = {h["stream"]: h for h in r.json()}
    assert heads["submission"]["seq"] == 5 and heads["auth"]["seq"] == 1
    assert heads["auth"]["pruned_through"] == 0 and len(heads["auth"]["hash"]) == 64
