"""The hash chain of a stream of audit records, and its verification: pure, no I/O.

A stream is one producer's records (the envelope's ``producer``: ``submission``, ``auth``, ``audit``...).
Each record carries ``seq`` (1, 2, 3... in the stream, no gaps), ``prev`` (the hash of the stream's
previous record, ``""`` for the first) and ``hash``::

    hash = sha256_hex( prev + canonical_json(record without "hash") )

where the canonical JSON has sorted keys, no spaces, UTF-8 (not ASCII-escaped), and a moment written
``YYYY-MM-DDTHH:MM:SS.mmmZ`` (UTC, milliseconds: what MongoDB keeps of a date). The chain's head (the
last seq and hash) is kept apart, in ``chains``; pruning old records (retention) leaves a checkpoint there
(``pruned_through`` and that record's hash) from which verification starts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal


def moment(dt: datetime) -> datetime:
    """``dt`` as MongoDB keeps it: UTC, to the millisecond (a record is hashed as it is stored)."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return moment(value).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment(value).microsecond // 1000:03d}Z"
    raise TypeError(f"not JSON: {type(value).__name__}")


def canonical(record: Mapping[str, Any]) -> bytes:
    """The canonical JSON of ``record`` without its ``hash``."""
    body = {k: v for k, v in record.items() if k != "hash"}
    return json.dumps(
        body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default, allow_nan=False
    ).encode()


def digest(prev: str, record: Mapping[str, Any]) -> str:
    """The hash a record must carry, given the previous record's hash (``prev``, part of the record too)."""
    return hashlib.sha256(prev.encode() + canonical(record)).hexdigest()


@dataclass
class Head:
    """Where a stream stands: its last record (``seq``, ``hash``; 0 and "" before the first) and what
    retention pruned (records up to ``pruned_through`` are gone; ``pruned_hash`` is the last one's)."""

    stream: str
    seq: int = 0
    hash: str = ""
    pruned_through: int = 0
    pruned_hash: str = ""


def append(head: Head, record: dict[str, Any]) -> dict[str, Any]:
    """Chain ``record`` (its content, without seq/prev/hash) after ``head``, moving the head; returns the
    record with ``stream``, ``seq``, ``prev`` and ``hash``."""
    chained = {**record, "stream": head.stream, "seq": head.seq + 1, "prev": head.hash}
    chained["hash"] = digest(head.hash, chained)
    head.seq, head.hash = chained["seq"], chained["hash"]
    return chained


FindingKind = Literal["altered", "removed", "broken_link", "beyond_head", "head_mismatch", "duplicate"]


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a stream. ``seq``: the record concerned (for ``removed``, the first of the
    missing run, ``last`` its last); ``id``: the record's id where there is one."""

    stream: str
    kind: FindingKind
    seq: int
    last: int | None = None
    id: str | None = None
    detail: str = ""

    def line(self) -> str:
        where = f"seq {self.seq}" if self.last in (None, self.seq) else f"seq {self.seq}-{self.last}"
        ident = f" id {self.id}" if self.id else ""
        return f"{self.stream}: {self.kind} {where}{ident}: {self.detail}"

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass
class Report:
    """What verifying one stream found, and how much it looked at."""

    stream: str
    checked: int = 0
    first: int = 0
    last: int = 0
    head: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings


MESSAGES = {
    "altered": "nội dung không khớp với mã băm / content does not match its hash",
    "removed": "bản ghi bị xoá / record(s) removed",
    "broken_link": "prev không khớp mã băm bản ghi trước / prev is not the previous record's hash",
    "beyond_head": "bản ghi sau đầu chuỗi / record after the chain's head",
    "head_mismatch": "đầu chuỗi không khớp bản ghi cuối / head does not match the last record",
    "duplicate": "trùng số thứ tự / seq appears twice",
}


def verify(head: Head, records: Iterable[Mapping[str, Any]]) -> Report:
    """Check a stream: ``records`` in ``seq`` order (those after the checkpoint: ``seq > pruned_through``).

    Each finding is reported once, for the record where it is seen:

    - ``altered``: a record's content (or its ``hash``) no longer gives its hash;
    - ``removed``: seqs missing between the checkpoint and the last record, or between the last record
      and the head (removed from the end);
    - ``broken_link``: a record, itself consistent, whose ``prev`` is not the previous record's hash
      (the previous one was rewritten with a fresh hash, or this one's ``prev`` was): not checked across a
      gap or after an altered record, which are reported already;
    - ``beyond_head``: records with a seq after the head's (written around the service);
    - ``head_mismatch``: the last record is the head's seq but not its hash;
    - ``duplicate``: a seq seen twice.
    """
    report = Report(stream=head.stream, head=head.seq)
    expected = head.pruned_through + 1
    prev_hash: str | None = head.pruned_hash if head.pruned_through else ""
    prev_ok = True
    last_hash = ""
    out = report.findings

    def add(kind: FindingKind, seq: int, *, last: int | None = None, id: str | None = None) -> None:
        out.append(Finding(head.stream, kind, seq, last, id, MESSAGES[kind]))

    for r in records:
        seq = int(r.get("seq", 0))
        rid = str(r.get("_id", "")) or None
        if seq <= head.pruned_through:
            continue
        report.checked += 1
        if not report.first:
            report.first = seq
        if seq < expected:
            add("duplicate", seq, id=rid)
            continue
        if seq > expected:
            add("removed", expected, last=seq - 1)
            prev_hash = None  # the link across a gap cannot be checked
        if seq > head.seq:
            add("beyond_head", seq, id=rid)
        consistent = digest(str(r.get("prev", "")), r) == r.get("hash")
        if not consistent:
            add("altered", seq, id=rid)
        elif prev_hash is not None and prev_ok and r.get("prev") != prev_hash:
            add("broken_link", seq, id=rid)
        prev_hash, prev_ok = str(r.get("hash", "")), consistent
        last_hash = prev_hash
        expected = seq + 1
        report.last = seq
    if expected <= head.seq:
        add("removed", expected, last=head.seq)
    elif report.last == head.seq and prev_ok and last_hash != head.hash:
        add("head_mismatch", head.seq)
    return report
