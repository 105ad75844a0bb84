"""The dossier's rules as functions of JSON (a stored dossier, a procedure as the catalogue sends it): its
code, the cases, what is missing before it can be submitted, its fees. Pure; the rules themselves are in
``procedure`` (the aggregate, ``model.Dossier``, uses them on its typed parts)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from .procedure import FeeTable, Procedure, case_names, components_of, fees_of, missing_of, required_of

CODE_FORMAT = "{agency}-{day:%y%m%d}-{seq:04d}"
Json = Mapping[str, object]


def dossier_code(agency_code: str, day: date, seq: int) -> str:
    """``000.17.22.H56-210531-0001``: agency electronic code, the filing date, the day's sequence."""
    if not 1 <= seq <= 9999:
        raise ValueError("the daily sequence has four digits")
    return CODE_FORMAT.format(agency=agency_code, day=day, seq=seq)


def cases(procedure: Procedure | Json) -> list[str]:
    """The cases (trường hợp) a procedure's components are grouped in (none when fewer than two)."""
    return case_names(components_of(procedure))


def required_components(procedure: Procedure | Json, case: str | None) -> list[dict[str, object]]:
    """The components that must have a file, as JSON: required ones of the chosen case, and those of no
    case."""
    return [c.model_dump() for c in required_of(components_of(procedure), case)]


def missing_items(d: Json) -> list[dict[str, str]]:
    """Everything that stops a stored dossier being submitted, each named (Vietnamese first)."""
    procedure = d["procedure"]
    assert isinstance(procedure, Procedure | Mapping)
    case = d.get("case")
    attachments = d.get("attachments") or []
    assert isinstance(attachments, list) and (case is None or isinstance(case, str))
    missing = missing_of(
        components_of(procedure),
        case,
        has_applicant=bool(d.get("applicant")),
        filed={a["component_id"] for a in attachments},
    )
    return [m.model_dump() for m in missing]


def fee_table(procedure: Procedure | Json) -> dict[str, object]:
    """Step 3: fee and charge items, VND amounts, when each is payable, and the total payable online."""
    return FeeTable.of(fees_of(procedure)).model_dump()
