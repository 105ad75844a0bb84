"""The procedure a dossier is filed under, frozen as it was (docs/architecture.md §2), and the rules read
from it: its cases, the components that must have a file, its fees. Pure.

The type is the catalogue's published record (``dvckit.contracts.PublishedProcedure``): a dossier keeps
the part of it listed in ``FROZEN``, written back exactly as it came."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from pydantic import BaseModel

from dvckit.contracts import ProcedureComponent, ProcedureFee, PublishedProcedure

Procedure = PublishedProcedure
Component = ProcedureComponent
Fee = ProcedureFee
M = TypeVar("M", bound=BaseModel)

# What a dossier keeps of its procedure: the rules it is judged by, as they were when it was filed.
FROZEN = (
    "code",
    "version",
    "name",
    "field",
    "agencies",
    "levels",
    "online_level",
    "processing_time",
    "working_days",
    "components",
    "fees",
    "results",
    "audience",  # đối tượng thực hiện: who may own a dossier (domain/applicant.kinds_for)
    "audiences",
)


def freeze(procedure: Procedure) -> Procedure:
    record = procedure.as_json()
    return Procedure.model_validate({k: record[k] for k in FROZEN if k in record})


def case_names(components: Sequence[Component]) -> list[str]:
    """The cases (trường hợp) components are grouped in, in order. With two or more, a dossier is filed
    for one of them: "Hồ sơ đăng ký tạm trú gồm" or "Đăng ký tạm trú theo danh sách"."""
    seen: list[str] = []
    for c in components:
        if c.group and c.group not in seen:
            seen.append(c.group)
    return seen if len(seen) > 1 else []


def required_of(components: Sequence[Component], case: str | None) -> list[Component]:
    """The components that must have a file: required ones of the chosen case, and those of no case."""
    groups = case_names(components)
    return [c for c in components if c.required and (not groups or c.group in (None, case))]


class Missing(BaseModel):
    """Something that stops a dossier being submitted, named in Vietnamese and English."""

    item: str
    vi: str
    en: str


APPLICANT_MISSING = Missing(
    item="applicant",
    vi="Chưa nhập thông tin người nộp (Bước 1)",
    en="Submitter information is missing (step 1)",
)


def missing_of(
    components: Sequence[Component], case: str | None, *, has_applicant: bool, filed: set[str]
) -> list[Missing]:
    """Everything missing: the applicant first, then each required component without a file."""
    out = [] if has_applicant else [APPLICANT_MISSING]
    for c in required_of(components, case):
        if c.id not in filed:
            out.append(
                Missing(
                    item=f"component:{c.id}",
                    vi=f"Chưa có tệp cho thành phần: {c.name}",
                    en=f"No file for the component: {c.name}",
                )
            )
    return out


class FeeLine(BaseModel):
    name: str
    amount: int
    currency: str
    when: str
    note: str | None


class FeeTable(BaseModel):
    """Step 3: fee and charge items, when each is payable, and the total payable online in VND."""

    items: list[FeeLine]
    total: int
    currency: str = "VND"
    free: bool

    @classmethod
    def of(cls, fees: Sequence[Fee]) -> FeeTable:
        # Fees for filing in person or by post do not apply to an online dossier.
        items = [
            FeeLine(name=f.name, amount=f.amount, currency=f.currency, when=f.when, note=f.note)
            for f in fees
            if f.channel in (None, "online")
        ]
        total = sum(i.amount for i in items if i.currency == "VND")
        return cls(items=items, total=total, free=all(i.amount == 0 for i in items))


def _items(procedure: Procedure | Mapping[str, object], key: str, model: type[M]) -> list[M]:
    """The list ``key`` of a typed procedure, or of one as JSON (where it may be absent or null)."""
    if isinstance(procedure, Procedure):
        return getattr(procedure, key)
    raw = procedure.get(key) or []
    assert isinstance(raw, list)
    return [model.model_validate(x) for x in raw]


def components_of(procedure: Procedure | Mapping[str, object]) -> list[Component]:
    """The components of a typed procedure, or of one as JSON (``components`` may be absent or null)."""
    return _items(procedure, "components", Component)


def fees_of(procedure: Procedure | Mapping[str, object]) -> list[Fee]:
    return _items(procedure, "fees", Fee)
