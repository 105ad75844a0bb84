"""Dataset C: the national portal's popularity ranking (citizens: TYPE 1, businesses: TYPE 5)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .text import value

FILES = ("congdan_raw_result.json", "doanhnghiep_raw_result.json")
CODE_RE = re.compile(r"^\d\.\d{6}$")
AUDIENCE = {"1": "citizen", "5": "business"}


@dataclass
class PopularRow:
    code: str
    name: str | None
    popularity: int = 0
    audiences: list[str] = field(default_factory=list)


def _weight(raw: Any) -> int:
    try:
        return max(0, int(str(raw).strip()))
    except ValueError:
        return 0


def parse_rows(
    rows: list[dict[str, Any]], into: dict[str, PopularRow] | None = None
) -> dict[str, PopularRow]:
    """Merge ranking rows by code: the highest weight, both audiences, the first name seen."""
    out = into if into is not None else {}
    for raw in rows:
        code = (value(raw.get("TTHC_MA")) or "").strip()
        if not CODE_RE.match(code):
            continue
        row = out.setdefault(code, PopularRow(code=code, name=None))
        row.name = row.name or value(raw.get("NAME"))
        row.popularity = max(row.popularity, _weight(raw.get("WEIGHT")))
        audience = AUDIENCE.get(str(raw.get("TYPE", "")).strip())
        if audience and audience not in row.audiences:
            row.audiences.append(audience)
            row.audiences.sort()  # "business" before "citizen": the order does not depend on the files
    return out


def load(source: Path) -> dict[str, PopularRow]:
    out: dict[str, PopularRow] = {}
    for name in FILES:
        path = source / name
        if path.exists():
            parse_rows(json.loads(path.read_text(encoding="utf-8")), into=out)
    return out
