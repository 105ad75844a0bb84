"""The catalog's data files: the agency directory's seed (``data/agencies.json`` and the province's
commune-level units from the pinned package vietnam-provinces, never typed by hand), the routing
rules (``data/routing.json``) and the curated English names of the most-used procedures
(``data/names_en.json``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

from ..domain.agencies import Agency, build
from ..domain.routing import Rules

DATA = Path(__file__).resolve().parent.parent / "data"
AGENCIES = DATA / "agencies.json"
ROUTING = DATA / "routing.json"
NAMES_EN = DATA / "names_en.json"
HAI_PHONG = 31  # the package's (General Statistics Office's) province code


@cache
def data() -> dict[str, Any]:
    return json.loads(AGENCIES.read_text(encoding="utf-8"))


@cache
def wards(province: int = HAI_PHONG) -> tuple[dict[str, Any], ...]:
    """The province's commune-level units: ``name``, ``code`` (official, e.g. 11560), ``division_type``."""
    provinces = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    return tuple(next(p for p in provinces if p["code"] == province)["wards"])


@cache
def seed(province_code: str = "H26") -> tuple[Agency, ...]:
    return tuple(build(data(), wards(), province_code))


@cache
def rules(province_code: str = "H26") -> Rules:
    return Rules(json.loads(ROUTING.read_text(encoding="utf-8")), province_code)


@cache
def english_names() -> dict[str, tuple[str, str]]:
    """Code → (the Vietnamese name translated, its English name)."""
    entries = json.loads(NAMES_EN.read_text(encoding="utf-8"))["entries"]
    return {e["code"]: (e["name"], e["name_en"]) for e in entries}
