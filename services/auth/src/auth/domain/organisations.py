"""Organisations (businesses and others) and their members: pure rules, no I/O.

A member's role: ``representative`` manages members and files; ``staff`` files; ``viewer`` only sees the
organisation's dossiers. An organisation always keeps at least one representative.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from dvckit.errors import Invalid

Role = Literal["representative", "staff", "viewer"]
ROLES: tuple[Role, ...] = ("representative", "staff", "viewer")
# Who may file for the organisation (and change or submit its drafts).
FILERS: frozenset[str] = frozenset({"representative", "staff"})
# Mã số doanh nghiệp / mã số thuế: 10 digits, or 10 digits, "-" and 3 digits (a branch).
TAX_CODE = re.compile(r"^\d{10}(?:-\d{3})?$")
# An access token names at most this many organisations (it travels with every request).
TOKEN_ORGS = 20


def check_tax_code(raw: str) -> str:
    value = raw.strip()
    if not TAX_CODE.match(value):
        raise Invalid(
            "Mã số doanh nghiệp (mã số thuế) gồm 10 chữ số, hoặc 10 chữ số, dấu '-' và 3 chữ số",
            "A tax code has 10 digits, or 10 digits, '-' and 3 digits",
        )
    return value


class Refused(Exception):
    """A change of members that the rules forbid; ``code`` names which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def role_of(org: dict[str, Any], user_id: str) -> str | None:
    return next((m["role"] for m in org.get("members", []) if m["user_id"] == user_id), None)


def _reps(members: list[dict[str, Any]]) -> int:
    return sum(1 for m in members if m["role"] == "representative")


def with_member(members: list[dict[str, Any]], member: dict[str, Any]) -> list[dict[str, Any]]:
    if any(m["user_id"] == member["user_id"] for m in members):
        raise Refused("already-member")
    return [*members, member]


def with_role(members: list[dict[str, Any]], user_id: str, role: str) -> list[dict[str, Any]]:
    if not any(m["user_id"] == user_id for m in members):
        raise Refused("not-member")
    after = [{**m, "role": role} if m["user_id"] == user_id else m for m in members]
    if _reps(after) == 0:
        raise Refused("last-representative")
    return after


def without(members: list[dict[str, Any]], user_id: str) -> list[dict[str, Any]]:
    if not any(m["user_id"] == user_id for m in members):
        raise Refused("not-member")
    after = [m for m in members if m["user_id"] != user_id]
    if _reps(after) == 0:
        raise Refused("last-representative")
    return after
