"""Dataset A: the national list (``govbot.procedures.json``): code, name, field, agencies, ministry."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .agencies import split_agencies
from .text import value

FILE = "govbot.procedures.json"
CODE_RE = re.compile(r"^\d\.\d{6}$")


@dataclass(frozen=True)
class NationalRow:
    code: str
    name: str | None
    field: str | None
    agencies: list[str] = field(default_factory=list)
    ministry: str | None = None


def parse_row(raw: dict[str, Any]) -> NationalRow | None:
    code = (value(raw.get("ma_so")) or "").strip()
    if not CODE_RE.match(code):
        return None
    return NationalRow(
        code=code,
        name=value(raw.get("ten")),
        field=value(raw.get("linh_vuc")),
        agencies=split_agencies(raw.get("co_quan_thuc_hien")),
        ministry=value(raw.get("co_quan_ban_hanh")) or value(raw.get("agency")),
    )


def parse_rows(rows: list[dict[str, Any]]) -> dict[str, NationalRow]:
    """Rows by code; the first row of a code wins (codes are unique in the dataset)."""
    out: dict[str, NationalRow] = {}
    for raw in rows:
        row = parse_row(raw)
        if row and row.code not in out:
            out[row.code] = row
    return out


def load(source: Path) -> dict[str, NationalRow]:
    path = source / FILE
    if not path.exists():
        return {}
    return parse_rows(json.loads(path.read_text(encoding="utf-8")))
