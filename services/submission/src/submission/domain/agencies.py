"""Which receiving agency (cơ quan tiếp nhận) of Hải Phòng takes a procedure's dossiers. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from dvckit.vn import fold

DATA = Path(__file__).resolve().parent.parent / "data" / "agencies.json"


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: str  # city | commune
    commune: str | None = None


class Registry:
    def __init__(self, data: dict[str, Any]) -> None:
        self.city = [Agency(a["code"], a["name"], "city") for a in data["agencies"]]
        self._city_rules = [(a["code"], [fold(m) for m in a["match"]]) for a in data["agencies"]]
        self.default_city = data["default_city"]
        self.bodies = [(b["group"], b["name"], [fold(m) for m in b["match"]]) for b in data["commune_bodies"]]
        self.communes = data["communes"]
        self.by_code: dict[str, Agency] = {a.code: a for a in self.city}
        for group, name, _ in self.bodies:
            for c in self.communes:
                a = Agency(f"000.{group}.{c['no']}.H26", name.format(commune=c["name"]), "commune", c["name"])
                self.by_code[a.code] = a

    def candidates(self, implementing: list[str], levels: list[str]) -> list[Agency]:
        """Receiving agencies for a procedure carried out by ``implementing`` (names from the
        catalogue): one city agency, or a commune body of each commune for the citizen to choose."""
        names = [fold(n) for n in implementing]
        # The most specific rule wins: "cong an cap xa" (commune police) over "cap xa" (people's committee).
        best: tuple[int, str, str] | None = None  # (length of the matched words, kind, group or code)
        for group, _name, match in self.bodies:
            for m in match:
                if any(m in n for n in names) and (best is None or len(m) > best[0]):
                    best = (len(m), "commune", group)
        for code, match in self._city_rules:
            for m in match:
                if any(m in n for n in names) and (best is None or len(m) > best[0]):
                    best = (len(m), "city", code)
        if best is not None:
            if best[1] == "city":
                return [self.by_code[best[2]]]
            return [a for a in self.by_code.values() if a.code.startswith(f"000.{best[2]}.")]
        if levels == ["commune"]:
            group = self.bodies[0][0]
            return [a for a in self.by_code.values() if a.code.startswith(f"000.{group}.")]
        return [self.by_code[self.default_city]]


@cache
def registry() -> Registry:
    return Registry(json.loads(DATA.read_text(encoding="utf-8")))
