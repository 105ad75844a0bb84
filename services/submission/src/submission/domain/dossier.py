"""The dossier's rules: what is missing before it can be submitted, its code, its fees. Pure."""

from __future__ import annotations

from datetime import date
from typing import Any

CODE_FORMAT = "{agency}-{day:%y%m%d}-{seq:04d}"


def dossier_code(agency_code: str, day: date, seq: int) -> str:
    """``000.17.22.H56-210531-0001``: agency electronic code, the filing date, the day's sequence."""
    if not 1 <= seq <= 9999:
        raise ValueError("the daily sequence has four digits")
    return CODE_FORMAT.format(agency=agency_code, day=day, seq=seq)


def cases(procedure: dict[str, Any]) -> list[str]:
    """The cases (trường hợp) a procedure's components are grouped in, in order. With two or more, a
    dossier is filed for one of them: "Hồ sơ đăng ký tạm trú gồm" or "Đăng ký tạm trú theo danh sách"."""
    seen: list[str] = []
    for c in procedure.get("components") or []:
        g = c.get("group")
        if g and g not in seen:
            seen.append(g)
    return seen if len(seen) > 1 else []


def required_components(procedure: dict[str, Any], case: str | None) -> list[dict[str, Any]]:
    """The components that must have a file: required ones of the chosen case, and those of no case."""
    groups = cases(procedure)
    return [
        c
        for c in procedure.get("components") or []
        if c.get("required", True) and (not groups or c.get("group") in (None, case))
    ]


def missing_items(d: dict[str, Any]) -> list[dict[str, str]]:
    """Everything that stops the dossier being submitted, each named (Vietnamese first)."""
    out: list[dict[str, str]] = []
    if not d.get("applicant"):
        out.append(
            {
                "item": "applicant",
                "vi": "Chưa nhập thông tin người nộp (Bước 1)",
                "en": "Submitter information is missing (step 1)",
            }
        )
    have = {a["component_id"] for a in d.get("attachments", [])}
    for c in required_components(d["procedure"], d.get("case")):
        if c["id"] not in have:
            out.append(
                {
                    "item": f"component:{c['id']}",
                    "vi": f"Chưa có tệp cho thành phần: {c['name']}",
                    "en": f"No file for the component: {c['name']}",
                }
            )
    return out


def fee_table(procedure: dict[str, Any]) -> dict[str, Any]:
    """Step 3: fee and charge items, VND amounts, when each is payable, and the total payable online."""
    items = []
    for f in procedure.get("fees", []):
        if f.get("channel") not in (None, "online"):
            continue  # fees for filing in person or by post do not apply to an online dossier
        items.append(
            {
                "name": f["name"],
                "amount": f["amount"],
                "currency": f.get("currency", "VND"),
                "when": f.get("when", "unspecified"),
                "note": f.get("note"),
            }
        )
    total = sum(i["amount"] for i in items if i["currency"] == "VND")
    return {"items": items, "total": total, "currency": "VND", "free": all(i["amount"] == 0 for i in items)}
