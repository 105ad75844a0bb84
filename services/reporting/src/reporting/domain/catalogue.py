"""The catalogue as the indexes read it: each procedure published or withdrawn, whether its public record
is complete (the catalog's ``detailed``: components, time, fees and legal basis from a detail record),
whether it is fully online, and which units it belongs to (its routing) (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .indexes import Catalogue
from .units import Agency, Unit


@dataclass(frozen=True)
class Procedure:
    code: str
    version: int
    published: bool
    field: str | None = None
    detailed: bool = False
    full_online: bool = False
    level: str | None = None  # routing: commune, city or central
    receivers: tuple[str, ...] = ()
    commune_body: str | None = None

    @classmethod
    def of_published(cls, code: str, version: int, p: Mapping[str, Any]) -> Procedure:
        routing = p.get("routing") or {}
        return cls(
            code=code,
            version=version,
            published=(p.get("status") or "published") == "published",
            field=p.get("field"),
            detailed=bool(p.get("detailed")),
            full_online=p.get("online_level") == "full",
            level=routing.get("level"),
            receivers=tuple(routing.get("receivers") or ()),
            commune_body=routing.get("commune_body"),
        )

    def doc(self) -> dict[str, Any]:
        return {
            "_id": self.code,
            "version": self.version,
            "published": self.published,
            "field": self.field,
            "detailed": self.detailed,
            "full_online": self.full_online,
            "level": self.level,
            "receivers": list(self.receivers),
            "commune_body": self.commune_body,
        }

    @classmethod
    def of_doc(cls, d: Mapping[str, Any]) -> Procedure:
        return cls(
            code=d["_id"],
            version=int(d.get("version") or 0),
            published=bool(d.get("published")),
            field=d.get("field"),
            detailed=bool(d.get("detailed")),
            full_online=bool(d.get("full_online")),
            level=d.get("level"),
            receivers=tuple(d.get("receivers") or ()),
            commune_body=d.get("commune_body"),
        )

    def serves(self, unit: Unit, agency: Agency | None) -> bool:
        """Whether the procedure is one of the unit's: every one is the city's; a commune's are those
        filed at commune level; an agency's are those it receives (a commune body: those of its kind
        at commune level; its service point receives them all)."""
        if unit.kind == "city":
            return True
        if unit.kind == "commune":
            return self.level == "commune"
        if agency is not None and agency.level == "commune":
            return self.level == "commune" and (
                agency.kind == "service_center" or self.commune_body == agency.kind
            )
        return unit.code in self.receivers


def count(procedures: Iterable[Procedure], unit: Unit, agency: Agency | None, field: str | None) -> Catalogue:
    published = detailed = full = 0
    for p in procedures:
        if not p.published or (field is not None and p.field != field) or not p.serves(unit, agency):
            continue
        published += 1
        detailed += p.detailed
        full += p.full_online
    return Catalogue(published, detailed, full)


@dataclass
class Tally:
    """The catalogue counted once for every unit and field (a ranking asks for hundreds of units)."""

    city: dict[str, list[int]]
    commune: dict[str, dict[str, list[int]]]  # commune body ("*": any) → field → counts
    receivers: dict[str, dict[str, list[int]]]  # agency code → field → counts
    fields: list[str]

    @classmethod
    def of(cls, procedures: Iterable[Procedure]) -> Tally:
        def add(table: dict[str, list[int]], p: Procedure) -> None:
            for key in ("*", p.field) if p.field else ("*",):
                row = table.setdefault(key, [0, 0, 0])
                row[0] += 1
                row[1] += p.detailed
                row[2] += p.full_online

        city: dict[str, list[int]] = {}
        commune: dict[str, dict[str, list[int]]] = {}
        receivers: dict[str, dict[str, list[int]]] = {}
        fields: set[str] = set()
        for p in procedures:
            if not p.published:
                continue
            if p.field:
                fields.add(p.field)
            add(city, p)
            if p.level == "commune":
                add(commune.setdefault("*", {}), p)
                if p.commune_body:
                    add(commune.setdefault(p.commune_body, {}), p)
            for code in set(p.receivers):
                add(receivers.setdefault(code, {}), p)
        return cls(city, commune, receivers, sorted(fields))

    def count(self, unit: Unit, agency: Agency | None, field: str | None) -> Catalogue:
        """The same as :func:`count`, from the tally."""
        key = field or "*"
        if unit.kind == "city":
            row = self.city.get(key)
        elif unit.kind == "commune":
            row = self.commune.get("*", {}).get(key)
        elif agency is not None and agency.level == "commune":
            body = "*" if agency.kind == "service_center" else agency.kind
            row = self.commune.get(body, {}).get(key)
        else:
            row = self.receivers.get(unit.code or "", {}).get(key)
        return Catalogue(*row) if row else Catalogue()
