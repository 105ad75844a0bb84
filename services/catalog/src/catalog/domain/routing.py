"""Where a procedure is filed in Hải Phòng: an explicit, ordered rule table (``data/routing.json``),
never substrings. Pure.

A phrase matches a name when its words occur in the name's words one after another (whole words:
"cap huyen" does not make "bảo hiểm xã hội cấp huyện" a district body, because the social-insurance
rule comes first and names that agency whole). docs/agencies.md lists the order of decisions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dvckit.vn import fold

from .agencies import with_province
from .model import Procedure

RoutingLevel = Literal["commune", "city", "central"]
CommuneBody = Literal["people_committee", "police"]


class Where(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vi: str
    en: str


class Routing(BaseModel):
    """Published with each procedure (``routing``)."""

    model_config = ConfigDict(extra="forbid")

    level: RoutingLevel = Field(
        description="Where it is filed: a commune, the city (city or vertical office) or centrally"
    )
    receivers: list[str] = Field(
        default_factory=list,
        description="Agency codes that receive and handle it (city or vertical); [] at commune level",
    )
    commune_body: CommuneBody | None = Field(
        None, description="Commune level: which body of the chosen commune"
    )
    anywhere: bool = Field(False, description="Received regardless of administrative boundary")
    fileable_here: bool = Field(description="Can be filed in Hải Phòng at all")
    file_at: Where | None = Field(None, description="When not fileable here: where to file instead")
    rule: str = Field(description="Id of the rule that decided")


def words(name: str) -> tuple[str, ...]:
    """A name's folded words; "UBND" is read as the four words it abbreviates."""
    out: list[str] = []
    for w in re.findall(r"[a-z0-9]+", fold(name)):
        out.extend(("uy", "ban", "nhan", "dan") if w == "ubnd" else (w,))
    return tuple(out)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    anchored: bool  # "^…": only at the start of the name

    @classmethod
    def of(cls, text: str) -> Phrase:
        return cls(words(text.lstrip("^")), text.startswith("^"))

    def found_in(self, name: tuple[str, ...]) -> bool:
        n = len(self.words)
        starts = [0] if self.anchored else range(len(name) - n + 1)
        return any(name[i : i + n] == self.words for i in starts)


@dataclass(frozen=True)
class Target:
    rule: str
    commune: CommuneBody | None = None
    receivers: tuple[str, ...] = ()
    central: bool = False
    elsewhere: bool = False
    none: bool = False  # names no place to file (an internal unit): as if the agency matched no rule
    file_at: Mapping[str, str] | None = None

    @property
    def local(self) -> bool:
        return self.commune is not None or bool(self.receivers)


def _target(rule: Mapping[str, Any], province: str) -> Target:
    to = rule["to"]
    return Target(
        rule=rule.get("rule") or rule["id"],
        commune=to.get("commune"),
        receivers=tuple(with_province(c, province) for c in to.get("receivers", ())),
        central=bool(to.get("central")),
        elsewhere=bool(to.get("elsewhere")),
        none=bool(to.get("none")),
        file_at=rule.get("file_at"),
    )


class Rules:
    """The rule table, ready to apply (codes for ``province``)."""

    def __init__(self, data: Mapping[str, Any], province: str = "H26") -> None:
        self.overrides = {o["code"]: _target(o, province) for o in data["overrides"]}
        self.agency_rules = [
            ([Phrase.of(m) for m in r["match"]], _target(r, province)) for r in data["agency_rules"]
        ]
        self.field_rules = [(set(r["fields"]), _target(r, province)) for r in data["field_rules"]]
        self.level_rules = [
            (set(r["levels"]), bool(r.get("exact")) or not r["levels"], _target(r, province))
            for r in data["level_rules"]
        ]
        self.anywhere_fields = set(data["anywhere"]["fields"])
        self.anywhere_codes = set(data["anywhere"]["codes"])
        self.central_file_at = data["central_file_at"]
        self.elsewhere_file_at = data["elsewhere_file_at"]

    def receivers(self) -> set[str]:
        """Every agency code a rule may name (they must exist in the directory)."""
        targets = [t for _, t in self.agency_rules] + [t for _, t in self.field_rules]
        targets += [t for *_, t in self.level_rules] + list(self.overrides.values())
        return {c for t in targets for c in t.receivers}

    def for_agency(self, name: str) -> Target | None:
        w = words(name)
        for phrases, target in self.agency_rules:
            if any(p.found_in(w) for p in phrases):
                return None if target.none else target
        return None

    def decide(self, p: Procedure) -> tuple[Target, str | None]:
        """The deciding target, and the implementing agency it came from (for ``file_at``)."""
        if p.code in self.overrides:
            return self.overrides[p.code], p.agencies[0] if p.agencies else None
        matched = [(t, a) for a in p.agencies if (t := self.for_agency(a)) is not None]
        local = [(t, a) for t, a in matched if t.local]
        if local:
            first, agency = local[0]
            if first.receivers:  # every city or vertical receiver the agencies name, primary first
                codes = list(dict.fromkeys(c for t, _ in local for c in t.receivers))
                return Target(rule=first.rule, receivers=tuple(codes)), agency
            return first, agency
        # A field that is filed locally (civil status, residence…) wins over central bodies the catalogue
        # also names (a notary, an embassy: other places the same procedure may be done).
        for fields, target in self.field_rules:
            if p.field in fields:
                return target, None
        if matched:
            return matched[0]
        levels = set(p.levels)
        for wanted, exact, target in self.level_rules:
            if (levels == wanted) if exact else wanted <= levels:
                return target, None
        raise AssertionError("the level rules end with a catch-all")  # pragma: no cover

    def route(self, p: Procedure) -> Routing:
        target, agency = self.decide(p)
        if target.local:
            commune = target.commune is not None
            return Routing(
                level="commune" if commune else "city",
                receivers=[] if commune else list(target.receivers),
                commune_body=target.commune,
                anywhere=commune and (p.code in self.anywhere_codes or p.field in self.anywhere_fields),
                fileable_here=True,
                rule=target.rule,
            )
        template = target.file_at or (self.elsewhere_file_at if target.elsewhere else self.central_file_at)
        named = agency or (p.ministry or "cơ quan trung ương")
        return Routing(
            level="city" if target.elsewhere else "central",
            fileable_here=False,
            file_at=Where(vi=template["vi"].format(agency=named), en=template["en"].format(agency=named)),
            rule=target.rule,
        )


def route_all(rules: Rules, procedures: Sequence[Procedure]) -> dict[str, Routing]:
    return {p.code: rules.route(p) for p in procedures}
