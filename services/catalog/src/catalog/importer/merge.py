"""Join the three datasets by code into ``Procedure`` records and write the seed file.

Precedence: B (detail records, crawled 2026, after the 2025 reform) over C (popularity, 2025-12) over
A (national list, 2025-04) for names; B over A for field, agencies and ministry. Internal procedures
(5.x, 6.x) are dropped; a corrupt B record is dropped but A/C keep its code.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from catalog.domain.model import Procedure

from . import details, national, popularity
from .agencies import levels_from_agencies
from .text import clean

UNCLASSIFIED = "Chưa phân loại"  # field of a code known only from the popularity ranking
ONLINE_LEVELS = ("full", "partial", "none")


@dataclass
class Summary:
    total: int = 0
    detailed: int = 0
    with_components: int = 0
    with_time: int = 0
    with_fees: int = 0
    dropped_internal: int = 0
    dropped_corrupt: int = 0
    corrupt_kept: int = 0  # corrupt B records whose code stays, from A/C data
    online_levels: Counter[str] = field(default_factory=Counter)
    overrides_applied: int = 0
    overrides_unknown: list[str] = field(default_factory=list)
    sources: Counter[str] = field(default_factory=Counter)

    def lines(self) -> list[str]:
        levels = ", ".join(f"{k} {self.online_levels.get(k, 0)}" for k in ONLINE_LEVELS)
        sources = ", ".join(f"{k} {v}" for k, v in sorted(self.sources.items()))
        out = [
            f"procedures:        {self.total}",
            f"detailed:          {self.detailed} (components, time and fees)",
            f"with components:   {self.with_components}",
            f"with time:         {self.with_time}",
            f"with fees:         {self.with_fees}",
            f"dropped internal:  {self.dropped_internal} (codes 5.x, 6.x)",
            f"dropped corrupt:   {self.dropped_corrupt} detail records"
            f" ({self.corrupt_kept} of their codes kept from A/C)",
            f"online levels:     {levels} ({self.overrides_applied} from the override file)",
            f"sources:           {sources}",
        ]
        if self.overrides_unknown:
            out.append(f"override codes not in the catalogue: {', '.join(self.overrides_unknown)}")
        return out


@dataclass(frozen=True)
class Override:
    code: str
    online_level: str
    reason: str


def read_overrides(path: Path | None) -> list[Override]:
    """``code,online_level,reason`` rows (a header row, "#" comments allowed)."""
    if path is None or not path.exists():
        return []
    out: list[Override] = []
    rows = csv.reader(line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    for row in rows:
        if not row or row[0].startswith("#") or row[0].strip() == "code":
            continue
        code, level = row[0].strip(), row[1].strip()
        if level not in ONLINE_LEVELS:
            raise ValueError(f"{path}: {code}: online_level must be one of {ONLINE_LEVELS}, not {level!r}")
        out.append(Override(code, level, clean(",".join(row[2:]))))
    return out


def build_procedure(
    code: str,
    a: national.NationalRow | None,
    b: details.DetailRecord | None,
    c: popularity.PopularRow | None,
) -> Procedure:
    name = (b and b.name) or (c and c.name) or (a and a.name) or code
    agencies = (b and b.agencies) or (a and a.agencies) or []
    levels = (b and b.levels) or levels_from_agencies(agencies)
    sources = [s for s, present in (("national", a), ("details", b), ("popularity", c)) if present]
    record: dict[str, object] = {
        "code": code,
        "name": name,
        "field": (b and b.field) or (a and a.field) or UNCLASSIFIED,
        "agencies": agencies,
        "ministry": (b and b.ministry) or (a and a.ministry) or None,
        "levels": levels,
        "online_level": "partial" if b and b.online else "none",
        "popularity": c.popularity if c else 0,
        "audiences": list(c.audiences) if c else [],
        "source": sources,
        "version": 1,
        "status": "published",
        "updated_at": None,
    }
    if b:
        record.update(
            processing_time=b.processing_time,
            channels=b.channels,
            fees=b.fees,
            components=b.components,
            steps=b.steps,
            legal_basis=b.legal_basis,
            results=b.results,
            conditions=b.conditions,
            audience=b.audience,
            decision=b.decision,
            detailed=b.detailed,
        )
    return Procedure.model_validate(record)


def merge(
    a_rows: dict[str, national.NationalRow],
    b_load: details.DetailLoad,
    c_rows: dict[str, popularity.PopularRow],
    overrides: Iterable[Override] = (),
) -> tuple[list[Procedure], Summary]:
    summary = Summary()
    codes = set(a_rows) | set(b_load.records) | set(c_rows) | set(b_load.internal) | set(b_load.corrupt)
    internal = {code for code in codes if details.is_internal(code)}
    summary.dropped_internal = len(internal)
    summary.dropped_corrupt = len(b_load.corrupt)
    keep = sorted(codes - internal)
    out: list[Procedure] = []
    for code in keep:
        a, b, c = a_rows.get(code), b_load.records.get(code), c_rows.get(code)
        if not (a or b or c):
            continue  # only a corrupt detail record
        out.append(build_procedure(code, a, b, c))
    summary.corrupt_kept = sum(1 for code in b_load.corrupt if code in a_rows or code in c_rows)
    by_code = {p.code: i for i, p in enumerate(out)}
    for ov in overrides:
        i = by_code.get(ov.code)
        if i is None:
            summary.overrides_unknown.append(ov.code)
            continue
        out[i] = out[i].model_copy(update={"online_level": ov.online_level})
        summary.overrides_applied += 1
    for p in out:
        summary.total += 1
        summary.detailed += p.detailed
        summary.with_components += bool(p.components)
        summary.with_time += p.processing_time is not None
        summary.with_fees += bool(p.fees)
        summary.online_levels[p.online_level] += 1
        summary.sources.update(p.source)
    return out, summary


def dump_line(p: Procedure) -> str:
    return json.dumps(p.model_dump(mode="json", exclude_none=True), ensure_ascii=False, separators=(",", ":"))


def encode_seed(procedures: Iterable[Procedure]) -> bytes:
    """gzip JSON Lines, sorted by code; byte-identical for the same input (no timestamp, no name)."""
    text = "".join(dump_line(p) + "\n" for p in sorted(procedures, key=lambda p: p.code))
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def write_seed(procedures: Iterable[Procedure], path: Path) -> int:
    """Write the seed (atomically); returns its size in bytes. Unchanged content is not rewritten."""
    data = encode_seed(procedures)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() == data:
        return len(data)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return len(data)


def read_seed(path: Path) -> list[Procedure]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [Procedure.model_validate_json(line) for line in f if line.strip()]
