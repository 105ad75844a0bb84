"""The hash chain and its verification (domain/chain.py): each kind of tampering is reported once, where
it happened, and nothing else is."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from audit.domain.chain import Head, append, canonical, digest, moment, verify


def record(i: int) -> dict[str, Any]:
    return {
        "_id": f"e{i}",
        "at": datetime(2026, 12, 4, 10, 0, tzinfo=UTC) + timedelta(seconds=i, microseconds=123456),
        "kind": "read",
        "action": "dossier.viewed",
        "actor": "officer-1",
        "subject": "citizen-1",
        "target_type": "dossier",
        "target_id": f"d{i}",
        "fields": ["applicant.name"],
        "before": None,
        "after": {"tên": "Nguyễn Văn An"},
    }


def chain(n: int, stream: str = "submission") -> tuple[Head, list[dict[str, Any]]]:
    head = Head(stream)
    records = [append(head, record(i)) for i in range(1, n + 1)]
    return head, records


def kinds(report) -> list[tuple[str, int, int | None]]:
    return [(f.kind, f.seq, f.last) for f in report.findings]


def test_the_hash_is_sha256_of_prev_and_the_canonical_json():
    head, records = chain(2)
    second = records[1]
    assert second["seq"] == 2 and second["prev"] == records[0]["hash"] and records[0]["prev"] == ""
    body = {k: v for k, v in second.items() if k != "hash"}
    body["at"] = "2026-12-04T10:00:02.123Z"  # UTC, to the millisecond (what MongoDB keeps)
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert canonical(second) == text
    assert second["hash"] == hashlib.sha256(second["prev"].encode() + text).hexdigest()
    assert (head.seq, head.hash) == (2, second["hash"])


def test_a_moment_as_mongodb_keeps_it_hashes_the_same():
    _, (r,) = chain(1)
    stored = {**r, "at": moment(r["at"])}  # read back: milliseconds only
    assert digest("", stored) == r["hash"]


def test_an_intact_chain_has_no_findings():
    head, records = chain(10)
    report = verify(head, records)
    assert report.intact and report.checked == 10 and (report.first, report.last, report.head) == (1, 10, 10)
    assert verify(Head("x"), []).intact


def test_removed_and_altered_records_are_reported_exactly():
    head, records = chain(12)
    records[4] = {**records[4], "actor": "someone-else"}  # seq 5 altered
    kept = [r for r in records if r["seq"] not in (3, 8, 9)]  # 3, 8 and 9 removed
    report = verify(head, kept)
    assert kinds(report) == [("removed", 3, 3), ("altered", 5, None), ("removed", 8, 9)]
    assert [f.id for f in report.findings] == [None, "e5", None]


def test_removed_from_the_start_and_from_the_end():
    head, records = chain(6)
    assert kinds(verify(head, records[1:])) == [("removed", 1, 1)]
    assert kinds(verify(head, records[:4])) == [("removed", 5, 6)]
    assert kinds(verify(head, [])) == [("removed", 1, 6)]


def test_a_rewritten_record_with_a_fresh_hash_breaks_the_next_link():
    head, records = chain(5)
    forged = {k: v for k, v in records[2].items() if k != "hash"} | {"actor": "x"}
    forged["hash"] = digest(forged["prev"], forged)
    records[2] = forged
    assert kinds(verify(head, records)) == [("broken_link", 4, None)]


def test_an_altered_hash_or_prev_is_one_finding():
    head, records = chain(5)
    records[1] = {**records[1], "hash": "0" * 64}
    assert kinds(verify(head, records)) == [("altered", 2, None)]
    head, records = chain(5)
    records[3] = {**records[3], "prev": "f" * 64}
    assert kinds(verify(head, records)) == [("altered", 4, None)]
    head, records = chain(3)
    records[2] = {**records[2], "hash": "0" * 64}  # the last one: the head no longer matches, one finding
    assert kinds(verify(head, records)) == [("altered", 3, None)]


def test_records_after_the_head_and_a_head_that_does_not_match():
    _, records = chain(4)
    behind = Head("submission", seq=3, hash=records[2]["hash"])
    assert kinds(verify(behind, records)) == [("beyond_head", 4, None)]
    wrong = Head("submission", seq=4, hash="0" * 64)
    assert kinds(verify(wrong, records)) == [("head_mismatch", 4, None)]


def test_verification_starts_at_the_retention_checkpoint():
    head, records = chain(10)
    pruned = Head("submission", head.seq, head.hash, pruned_through=6, pruned_hash=records[5]["hash"])
    assert verify(pruned, records[6:]).intact
    assert verify(pruned, records).intact  # records up to the checkpoint still there: not looked at
    assert kinds(verify(pruned, records[7:])) == [("removed", 7, 7)]
    wrong = Head("submission", head.seq, head.hash, pruned_through=6, pruned_hash="0" * 64)
    assert kinds(verify(wrong, records[6:])) == [("broken_link", 7, None)]


def test_a_seq_written_twice():
    head, records = chain(3)
    assert kinds(verify(head, [records[0], records[1], records[1], records[2]])) == [("duplicate", 2, None)]
