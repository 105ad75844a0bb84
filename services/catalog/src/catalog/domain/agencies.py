"""The agency directory (danh bạ cơ quan): who receives and handles dossiers in Hải Phòng. Pure.

Codes follow Decision 20/2020/QĐ-TTg: ``<level4>.<level3>.<level2>.<level1>`` (3, 2, 2, 3 characters),
e.g. ``000.00.13.H26``. The directory is built from ``data/agencies.json`` (city and vertical bodies) and
the commune-level units of the province (given by the caller, from the package vietnam-provinces):
each unit gets a level-2 code and three bodies, its People's Committee ``000.00.<W>``, its police
``000.01.<W>`` and its public-service point ``000.02.<W>``. docs/agencies.md explains the scheme.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE_PATTERN = r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$"
_CODE = re.compile(CODE_PATTERN)
AgencyLevel = Literal["city", "commune", "central"]
Kind = Literal[
    "people_committee",
    "department",
    "police",
    "service_center",
    "office",
    "inspectorate",
    "management_board",
    "vertical",
    "other",
]
PROVINCE = "H26"  # the level-1 code the data file is written with


class Agency(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, description="Decision 20/2020/QĐ-TTg code, e.g. 000.00.13.H26")
    name: str = Field(min_length=3, max_length=300, description="Full Vietnamese name (NFC)")
    short_name: str | None = Field(None, max_length=200)
    kind: Kind
    level: AgencyLevel
    parent_code: str | None = Field(None, pattern=CODE_PATTERN)
    parent_name: str | None = Field(
        None, max_length=300, description="The body above it as a form header prints it (upper case)"
    )
    ward_code: str | None = Field(None, pattern=r"^\d{5}$", description="Official code of the commune unit")
    commune: str | None = Field(None, max_length=200, description="The commune-level unit's name")
    illustrative: bool = Field(False, description="Code not yet confirmed by the city's register")
    note: str | None = Field(None, max_length=1000)
    active: bool = True
    version: int = Field(1, ge=1)

    @field_validator("name", "short_name", "parent_name", "commune", "note")
    @classmethod
    def _nfc(cls, v: str | None) -> str | None:
        return None if v is None else " ".join(unicodedata.normalize("NFC", v).split())


def valid_code(code: str) -> bool:
    return bool(_CODE.match(code))


def with_province(code: str, province: str) -> str:
    """The file's ``….H26`` code for the configured province (other hierarchies are left alone)."""
    return code[: -len(PROVINCE)] + province if code.endswith("." + PROVINCE) else code


def level2_codes(ward_codes: Iterable[int], letters: str, overrides: Mapping[str, str]) -> dict[int, str]:
    """Each commune unit's level-2 code: in official-code order A0…A9, B0… (``letters`` then a digit,
    never two digits: 01-99 belong to the city's bodies); ``overrides`` (ward code → code) win and
    their codes are skipped by the others."""
    taken = {v for v in overrides.values()}
    slots = (f"{a}{d}" for a in letters for d in "0123456789")
    out: dict[int, str] = {}
    for ward in sorted(ward_codes):
        pinned = overrides.get(str(ward))
        if pinned:
            out[ward] = pinned
            continue
        slot = next(slots)
        while slot in taken:
            slot = next(slots)
        out[ward] = slot
    return out


def _unit(name: str, division: str) -> str:
    """ "Phường Thuỷ Nguyên" → "phường Thuỷ Nguyên" (inside a body's name the type is lower case)."""
    return division + name[len(division) :] if name.lower().startswith(division) else name


def build(data: Mapping[str, Any], wards: Iterable[Mapping[str, Any]], province: str) -> list[Agency]:
    """The seed directory: the file's bodies and, for each commune unit (``name``, ``code``,
    ``division_type`` as the package gives them), its three bodies."""
    wards = list(wards)
    out = [
        Agency.model_validate(
            {
                **a,
                "code": with_province(a["code"], province),
                "parent_code": with_province(a["parent_code"], province) if a.get("parent_code") else None,
            }
        )
        for a in data["agencies"]
    ]
    city = with_province("000.00.00." + PROVINCE, province)
    spec = data["commune_level2"]
    level2 = level2_codes((int(w["code"]) for w in wards), spec["letters"], spec.get("overrides", {}))
    for w in sorted(wards, key=lambda w: int(w["code"])):
        unit = _unit(unicodedata.normalize("NFC", w["name"]), w["division_type"])
        committee = f"000.00.{level2[int(w['code'])]}.{province}"
        committee_name = f"Ủy ban nhân dân {unit}"
        for body in data["commune_bodies"]:
            code = f"000.{body['level3']}.{level2[int(w['code'])]}.{province}"
            out.append(
                Agency(
                    code=code,
                    name=body["name"].format(unit=unit),
                    short_name=body["short_name"].format(unit=unit),
                    kind=body["kind"],
                    level="commune",
                    parent_code=city if body["parent"] == "city" else committee,
                    parent_name=body["parent_name"].replace("{PEOPLE_COMMITTEE}", committee_name.upper()),
                    ward_code=f"{int(w['code']):05d}",
                    commune=unicodedata.normalize("NFC", w["name"]),
                )
            )
    problems = check(out)
    if problems:
        raise ValueError("agency directory: " + "; ".join(problems[:5]))
    return out


def check(agencies: Iterable[Agency]) -> list[str]:
    """What is wrong with a directory as a whole: duplicate codes, parents missing or inactive, cycles."""
    by_code: dict[str, Agency] = {}
    problems: list[str] = []
    for a in agencies:
        if a.code in by_code:
            problems.append(f"{a.code}: duplicate")
        by_code[a.code] = a
    for a in by_code.values():
        if not a.active:
            continue
        if a.parent_code is not None and a.parent_code not in by_code:
            problems.append(f"{a.code}: parent {a.parent_code} does not exist")
        seen = {a.code}
        p = a.parent_code
        while p is not None and p in by_code:
            if p in seen:
                problems.append(f"{a.code}: its parents make a cycle")
                break
            seen.add(p)
            p = by_code[p].parent_code
    return problems
