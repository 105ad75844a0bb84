"""Where a citizen may file a procedure's dossier in Hải Phòng, from the catalogue's routing and its agency
directory (both the catalog service's: ``routing`` on each procedure, ``GET /api/v1/catalog/agencies``).
Pure.

- Commune level: the commune body the routing names (people's committee or police) of any of the
  commune-level units; the citizen chooses the commune.
- City level (a department, the city police, a vertical agency's office): the receivers the routing names;
  and when the procedure is received regardless of administrative boundary, every commune's public
  administrative service point too.
- Not fileable here (a central-only procedure): nowhere; the dossier is refused and the routing says
  where to file instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dvckit.vn import fold


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    level: str  # city | commune | central
    kind: str = "other"  # people_committee | police | service_center | department | vertical | …
    parent_name: str | None = None  # the body above it, as a form header prints it (upper case)
    commune: str | None = None  # the commune-level unit it belongs to
    active: bool = True

    @classmethod
    def of(cls, d: Mapping[str, Any]) -> Agency:
        return cls(
            code=d["code"],
            name=d["name"],
            level=d.get("level") or "city",
            kind=d.get("kind") or "other",
            parent_name=d.get("parent_name"),
            commune=d.get("commune"),
            active=d.get("active", True),
        )


def _by_name(a: Agency) -> tuple[str, str]:
    """Alphabetical as a reader looks for a ward (without diacritics first, then with), not by code."""
    return fold(a.commune or a.name), a.name


class NotFileableHere(Exception):
    """The procedure cannot be filed in this city (``file_at``: where instead, in Vietnamese and English)."""

    def __init__(self, file_at: Mapping[str, str] | None) -> None:
        super().__init__("not fileable here")
        self.file_at = dict(file_at or {})


def receiving(routing: Mapping[str, Any], directory: Iterable[Agency]) -> list[Agency]:
    """The places the citizen may file at, first the ones the routing names (raises NotFileableHere)."""
    if not routing.get("fileable_here", True):
        raise NotFileableHere(routing.get("file_at"))
    live = [a for a in directory if a.active]
    if routing.get("level") == "commune":
        kind = "police" if routing.get("commune_body") == "police" else "people_committee"
        return sorted((a for a in live if a.level == "commune" and a.kind == kind), key=_by_name)
    by_code = {a.code: a for a in live}
    named = [by_code[c] for c in routing.get("receivers") or () if c in by_code]
    if routing.get("anywhere"):
        points = [a for a in live if a.level == "commune" and a.kind == "service_center"]
        named += sorted(points, key=_by_name)
    if not named:
        raise NotFileableHere(routing.get("file_at"))
    return named
