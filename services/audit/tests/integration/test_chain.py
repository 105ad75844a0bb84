"""Consuming audit entries into the chains, with real RabbitMQ and MongoDB: each kept once, chained per
stream; two replicas on one queue give one chain without gaps; records deleted and altered in the
database are exactly what ``dvc-audit verify`` reports; retention prunes and verification stays clean."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from audit.domain.chain import digest
from devstack.testing import eventually

from .conftest import entry

DVC_AUDIT = Path(sys.executable).parent / "dvc-audit"


async def chain_of(audit, stream: str) -> list[dict]:
    return await audit.db.entries.find({"stream": stream}).sort("seq", 1).to_list()


async def test_entries_are_kept_once_and_chained_per_stream(audit):
    sent = []
    for i in range(6):
        sent.append(await audit.publish(entry(i), producer="submission"))
        sent.append(await audit.publish(entry(i, kind="login", action="staff.signed_in"), producer="auth"))
    # A redelivery of the first: kept once.
    await audit.rt.bus.publish_to_queue(audit.rt.consumer.queue_name, sent[0].to_message())
    await audit.kept(12)
    await asyncio.sleep(0.5)
    assert await audit.db.entries.count_documents({}) == 12
    for stream in ("submission", "auth"):
        records = await chain_of(audit, stream)
        assert [r["seq"] for r in records] == [1, 2, 3, 4, 5, 6]
        assert records[0]["prev"] == ""
        for before, after in pairwise(records):
            assert after["prev"] == before["hash"]
        for r in records:
            assert digest(r["prev"], r) == r["hash"]
        head = await audit.db.chains.find_one({"_id": stream})
        assert (head["seq"], head["hash"]) == (6, records[-1]["hash"])
    first = await audit.db.entries.find_one({"_id": str(sent[0].id)})
    assert first["stream"] == "submission" and first["subject"] == "citizen-1"
    assert first["fields"] == ["applicant.name", "applicant.id_number"] and first["ip"] == "203.0.113.7"
    reports = await audit.app.state.verifier.verify_all()
    assert [(r.stream, r.checked, r.intact) for r in reports] == [("auth", 6, True), ("submission", 6, True)]


async def test_two_replicas_on_one_queue_make_one_chain_without_gaps(make_audit):
    first = await make_audit()
    s = first.settings
    second = await make_audit(mongo_db=s.mongo_db, queue_prefix=s.queue_prefix)
    assert second.rt.consumer.queue_name == first.rt.consumer.queue_name
    taken = {id(first): 0, id(second): 0}
    for a in (first, second):
        (prepare,) = a.rt.consumer.preparers

        async def counting(envelopes, session, a=a, prepare=prepare):
            taken[id(a)] += len(envelopes)
            await prepare(envelopes, session)

        a.rt.consumer.preparers[:] = [counting]
    n = 240
    await asyncio.gather(*(first.publish(entry(i)) for i in range(n)))
    await first.kept(n, timeout=90)
    records = await chain_of(first, "submission")
    assert [r["seq"] for r in records] == list(range(1, n + 1))
    assert len({r["_id"] for r in records}) == n
    for before, after in pairwise(records):
        assert after["prev"] == before["hash"]
    (report,) = await first.app.state.verifier.verify_all(["submission"])
    assert report.intact and report.checked == n
    # Both replicas appended to the one stream (attempts that lost a race ran again: counted twice).
    assert taken[id(first)] > 0 and taken[id(second)] > 0, taken


def run_verify(settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DVC_ENV": "test",
        "AUDIT_MONGO_URL": settings.mongo_url,
        "AUDIT_MONGO_DB": settings.mongo_db,
    }
    return subprocess.run(
        [str(DVC_AUDIT), "verify", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


async def test_deleted_and_altered_records_are_exactly_what_verify_reports(audit):
    for i in range(10):
        await audit.publish(entry(i), producer="submission")
    for i in range(4):
        await audit.publish(entry(100 + i, kind="login", action="staff.signed_in"), producer="auth")
    await audit.kept(14)

    intact = run_verify(audit.settings)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout == ""

    coll = audit.db.entries
    # submission: seq 3 and seq 7 deleted, seq 5's actor changed, seq 10 (the last) deleted;
    await coll.delete_many({"stream": "submission", "seq": {"$in": [3, 7, 10]}})
    await coll.update_one({"stream": "submission", "seq": 5}, {"$set": {"actor": "someone-else"}})
    # auth: seq 2's fields changed.
    await coll.update_one({"stream": "auth", "seq": 2}, {"$set": {"fields": []}})
    altered_5 = await coll.find_one({"stream": "submission", "seq": 5})
    altered_2 = await coll.find_one({"stream": "auth", "seq": 2})

    found = run_verify(audit.settings)
    assert found.returncode == 1, found.stdout + found.stderr
    lines = found.stdout.splitlines()
    assert [line.split(":")[0:2] for line in lines] == [
        ["auth", f" altered seq 2 id {altered_2['_id']}"],
        ["submission", " removed seq 3"],
        ["submission", f" altered seq 5 id {altered_5['_id']}"],
        ["submission", " removed seq 7"],
        ["submission", " removed seq 10"],
    ]

    as_json = run_verify(audit.settings, "--json", "--stream", "submission")
    assert as_json.returncode == 1
    body = json.loads(as_json.stdout)
    assert body["intact"] is False
    (sub,) = body["streams"]
    assert [(f["kind"], f["seq"]) for f in sub["findings"]] == [
        ("removed", 3),
        ("altered", 5),
        ("removed", 7),
        ("removed", 10),
    ]
    (auth,) = await audit.app.state.verifier.verify_all(["auth"])
    assert [(f.kind, f.seq) for f in auth.findings] == [("altered", 2)]


async def intact(audit) -> bool:
    return all(r.intact for r in await audit.app.state.verifier.verify_all())


async def test_retention_prunes_a_prefix_and_verify_stays_clean(audit):
    for i in range(8):
        await audit.publish(entry(i), producer="payment")
    await audit.kept(8)
    records = await chain_of(audit, "payment")
    retention = audit.app.state.retention
    # Five years and a day after the first five: they go, the rest stay.
    cut = records[4]["at"] + timedelta(days=retention.days, milliseconds=1)
    later = records[5]["at"] + timedelta(days=retention.days)
    assert cut <= later
    assert await retention.prune(now=cut) == {"payment": 5}
    kept = await chain_of(audit, "payment")
    assert [r["seq"] for r in kept] == [6, 7, 8]
    head = await audit.db.chains.find_one({"_id": "payment"})
    assert (head["pruned_through"], head["pruned_hash"]) == (5, records[4]["hash"])
    assert await intact(audit)
    # The head (the chain's end) is never pruned, however old.
    await retention.prune(now=datetime.now(UTC) + timedelta(days=retention.days + 10))
    assert [r["seq"] for r in await chain_of(audit, "payment")] == [8]
    assert await intact(audit)
    # New entries chain on after the pruned ones.
    await audit.publish(entry(99), producer="payment")
    await audit.kept(1, stream="payment", seq=9)
    assert await intact(audit)
    await audit.db.entries.delete_one({"stream": "payment", "seq": 8})
    bad = run_verify(audit.settings)
    assert bad.returncode == 1 and bad.stdout.splitlines() == [
        "payment: removed seq 8: bản ghi bị xoá / record(s) removed"
    ]


async def reported(audit) -> dict[str, float]:
    """The trail's verification as /metrics says it."""
    r = await audit.http.get("/metrics")
    assert r.status_code == 200, r.text
    names = {"audit_verified_timestamp_seconds", "audit_verify_findings"}
    return {
        s.name: s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
        if s.name in names
    }


async def test_each_verification_of_the_whole_trail_is_recorded_and_reported(make_audit):
    audit = await make_audit(metrics_seconds=0.1)

    # Before any verification: unverified since the oldest record kept.
    for i in range(3):
        await audit.publish(entry(i), producer="notify")
    await audit.kept(3)
    (oldest,) = await audit.db.entries.find({"stream": "notify", "seq": 1}).to_list()

    async def since_the_oldest_record() -> bool:
        return (await reported(audit)).get("audit_verified_timestamp_seconds") == oldest["at"].timestamp()

    await eventually(since_the_oldest_record, 10)
    assert (await reported(audit))["audit_verify_findings"] == 0

    # A run over the whole trail is recorded: when, and no findings.
    before = datetime.now(UTC)
    assert run_verify(audit.settings).returncode == 0
    (run,) = await audit.db.verifications.find().to_list()
    assert run["at"] >= before and (run["streams"], run["checked"], run["findings"]) == (1, 3, 0)

    async def verified_now() -> bool:
        return (await reported(audit)).get("audit_verified_timestamp_seconds") == run["at"].timestamp()

    await eventually(verified_now, 10)

    # One stream checked is not the whole trail: not recorded.
    assert run_verify(audit.settings, "--stream", "notify").returncode == 0
    assert await audit.db.verifications.count_documents({}) == 1

    # A record removed: the next run's findings are what the alert reads.
    await audit.db.entries.delete_one({"stream": "notify", "seq": 2})
    assert run_verify(audit.settings).returncode == 1

    async def one_finding() -> bool:
        return (await reported(audit)).get("audit_verify_findings") == 1

    await eventually(one_finding, 10)
    assert await audit.db.verifications.count_documents({"findings": 1}) == 1
