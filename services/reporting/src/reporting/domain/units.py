"""Units a report is about (the city, an agency, a commune) and who may see which (pure).

Access (docs/reporting.md): an administrator sees every unit; a leader (role ``leader``) sees each agency
of their token, the commune of any of those agencies, and the city when one of them is the city's
People's Committee (level city, kind people_committee). Nobody else sees any unit's figures."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["city", "agency", "commune"]
CITY_NAME = "Thành phố Hải Phòng"
UNIT_PATTERN = r"^(city|agency:[0-9A-Za-z.]{1,40}|commune:\d{5})$"
_UNIT = re.compile(UNIT_PATTERN)


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


@dataclass(frozen=True)
class Unit:
    kind: Kind
    code: str | None = None

    @property
    def key(self) -> str:
        return "city" if self.kind == "city" else f"{self.kind}:{self.code}"

    @classmethod
    def parse(cls, key: str) -> Unit | None:
        if not _UNIT.match(key or ""):
            return None
        if key == "city":
            return cls("city")
        kind, code = key.split(":", 1)
        return cls(kind, code)  # type: ignore[arg-type]


CITY = Unit("city")


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: str = "city"
    kind: str = "other"
    ward_code: str | None = None
    commune: str | None = None
    active: bool = True
    version: int = 0

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> Agency:
        return cls(
            code=str(doc["code"]),
            name=nfc(doc.get("name")),
            level=doc.get("level") or "city",
            kind=doc.get("kind") or "other",
            ward_code=doc.get("ward_code") or None,
            commune=nfc(doc.get("commune")) or None,
            active=bool(doc.get("active", True)),
            version=int(doc.get("version") or 0),
        )

    @property
    def city_committee(self) -> bool:
        return self.level == "city" and self.kind == "people_committee"


@dataclass(frozen=True)
class Caller:
    id: str
    roles: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()

    @property
    def admin(self) -> bool:
        return "admin" in self.roles

    @property
    def leader(self) -> bool:
        return "leader" in self.roles


@dataclass(frozen=True)
class Directory:
    """The agency directory as reporting keeps it (from the catalog); replaced whole when it changes."""

    agencies: dict[str, Agency] = field(default_factory=dict)
    communes: dict[str, str] = field(default_factory=dict)  # ward code → the commune's name

    @classmethod
    def of(cls, agencies: Iterable[Agency]) -> Directory:
        by_code = {a.code: a for a in agencies}
        communes: dict[str, str] = {}
        for a in sorted(by_code.values(), key=lambda a: a.code):
            if a.ward_code:
                communes.setdefault(a.ward_code, a.commune or a.ward_code)
        return cls(by_code, communes)

    def commune_of(self, agency_code: str) -> tuple[str, str] | None:
        a = self.agencies.get(agency_code)
        if a is None or not a.ward_code:
            return None
        return a.ward_code, a.commune or a.ward_code

    def known(self, unit: Unit) -> bool:
        if unit.kind == "city":
            return True
        if unit.kind == "agency":
            return unit.code in self.agencies
        return unit.code in self.communes

    def name(self, unit: Unit) -> str:
        if unit.kind == "city":
            return CITY_NAME
        if unit.kind == "agency":
            a = self.agencies.get(unit.code or "")
            return a.name if a else unit.code or ""
        return self.communes.get(unit.code or "", unit.code or "")

    def out(self, unit: Unit) -> dict[str, Any]:
        return {"key": unit.key, "kind": unit.kind, "code": unit.code, "name": self.name(unit)}

    def all_units(self, kind: Kind) -> list[Unit]:
        if kind == "city":
            return [CITY]
        if kind == "agency":
            return [Unit("agency", a.code) for a in sorted(self.agencies.values(), key=_order) if a.active]
        return [Unit("commune", w) for w in sorted(self.communes)]

    # -- access ------------------------------------------------------------------------------------
    def allowed(self, who: Caller, unit: Unit) -> bool:
        if who.admin:
            return True
        if not who.leader:
            return False
        if unit.kind == "agency":
            return unit.code in who.agencies
        mine = [self.agencies[c] for c in who.agencies if c in self.agencies]
        if unit.kind == "commune":
            return any(a.ward_code == unit.code for a in mine)
        return any(a.city_committee for a in mine)

    def sees_city(self, who: Caller) -> bool:
        """Administrators and the city's leaders: the ranking of every agency and commune."""
        return self.allowed(who, CITY)

    def choosable(self, who: Caller) -> list[Unit]:
        """What the caller may choose, the widest first."""
        if who.admin:
            return [CITY, *self.all_units("agency"), *self.all_units("commune")]
        if not who.leader:
            return []
        out: list[Unit] = [CITY] if self.sees_city(who) else []
        out += [Unit("agency", c) for c in who.agencies]
        wards = sorted({a.ward_code for c in who.agencies if (a := self.agencies.get(c)) and a.ward_code})
        out += [Unit("commune", w) for w in wards]
        return out


def _order(a: Agency) -> tuple[int, str]:
    return ({"city": 0, "central": 1}.get(a.level, 2), a.code)
