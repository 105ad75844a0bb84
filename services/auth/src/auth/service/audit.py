"""What the auth service writes to the audit trail (docs/auth.md, "Audit"), through ``rt.audit``:

- every staff sign-in (``staff.signed_in``, kind ``login``), with the password alone or after the second
  factor, and every failed one of an existing staff account (``staff.sign_in_failed``: a wrong password or
  code ``failed``, a locked or throttled account ``denied``), written before the tokens are handed out;
- administrators' changes of accounts (``user.created``, ``user.changed``, ``user.roles_changed``,
  ``user.locked``, ``user.unlocked``, ``user.mfa_reset``), of an agency's default specialist
  (``agency.default_specialist_changed``) and of the signing keys (``signing_key.rotated``), in the
  change's transaction with the changed fields before → after (secrets never);
- administrators' reads of accounts and organisations (``user.listed``, ``organisation.listed``,
  ``organisation.viewed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dvckit.audit import changes
from dvckit.auth import Principal

from ..domain.roles import held_roles

# An account's fields an administrator sees and changes, as the audit entry compares them.
ACCOUNT_FIELDS = (
    "full_name",
    "username",
    "citizen_id",
    "phone",
    "email",
    "roles",
    "agencies",
    "locked",
    "mfa_enrolled",
)
# The personal fields a page of accounts shows.
LISTED_FIELDS = ("full_name", "username", "citizen_id", "phone", "email")


def principal_of(user: dict[str, Any]) -> Principal:
    """The account as an audit entry names its actor (as its token would)."""
    return Principal(
        sub=user["_id"],
        name=user.get("full_name", ""),
        roles=tuple(held_roles(user.get("roles", []))),
        agencies=tuple(user.get("agencies", [])),
    )


def account(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:
        return None
    shown = {k: doc.get(k) for k in ACCOUNT_FIELDS if k != "mfa_enrolled"}
    shown["roles"] = held_roles(doc.get("roles", []))
    shown["locked"] = bool(doc.get("locked", False))
    shown["mfa_enrolled"] = bool(doc.get("mfa"))
    return shown


def account_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """An administrator's change of an account: its action (by what changed) and the changed fields."""
    was, now = changes(account(before), account(after))
    if before is None:
        action = "user.created"
    elif "locked" in (now or {}):
        action = "user.locked" if (now or {})["locked"] else "user.unlocked"
    elif {"roles", "agencies"} & set(now or {}):
        action = "user.roles_changed"
    else:
        action = "user.changed"
    user_id = (after or before or {})["_id"]
    return {
        "kind": "change",
        "action": action,
        "target_type": "user",
        "target_id": user_id,
        "subject": user_id,
        "before": was,
        "after": now,
    }


def listed(kind: str, ids: Iterable[str], query: dict[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """One entry for a page of accounts (or organisations): what it showed."""
    shown = list(ids)
    return {
        "action": f"{kind}.listed",
        "target_type": f"{kind}_list",
        "target_id": "-",
        "subject": shown[0] if kind == "user" and len(shown) == 1 else None,
        "fields": list(fields),
        "after": {"query": {k: v for k, v in query.items() if v is not None}, "ids": shown},
    }
