"""Staff roles: pure rules, no I/O.

A one-stop office (Decree 118/2025/NĐ-CP) has three roles inside an agency: the reception officer (cán
bộ một cửa), the specialist (chuyên viên) who handles a dossier and the leader (lãnh đạo) who approves
its result; one person may hold several. ``admin`` administers the system; ``auditor`` reads and exports
the audit trail (services/audit, docs/audit.md) and nothing else: staff, so its sign-in takes the second
factor like every staff member's. A person's agency roles apply
in each of the agencies in their ``agencies``.

What an account holds (and its access token says) is the roles given plus the marker ``officer``
whenever it holds any agency role: "officer" means "staff of an agency", so every gate written for it
keeps working. The old single role ``officer`` (before the three existed) means all three.
"""

from __future__ import annotations

from collections.abc import Iterable

from dvckit.errors import Invalid

RECEPTION, SPECIALIST, LEADER = "reception", "specialist", "leader"
AGENCY_ROLES: tuple[str, ...] = (RECEPTION, SPECIALIST, LEADER)
ADMIN = "admin"
AUDITOR = "auditor"
CITIZEN = "citizen"
OFFICER = "officer"  # the marker: holds at least one agency role
# The roles an administrator gives a staff account.
STAFF_ROLES: tuple[str, ...] = (*AGENCY_ROLES, ADMIN, AUDITOR)
# Every role an account may hold, in the order they are listed.
ORDER: tuple[str, ...] = (CITIZEN, OFFICER, *AGENCY_ROLES, ADMIN, AUDITOR)
# The single ``role`` of a staff account as it was given before the agency roles existed.
LEGACY: dict[str, tuple[str, ...]] = {OFFICER: AGENCY_ROLES, ADMIN: (ADMIN,)}


def normalise_roles(roles: Iterable[str]) -> list[str]:
    """The roles an account holds, given those asked for: ``officer`` alone (the old single role) means
    every agency role; the marker ``officer`` is there exactly when an agency role is. Listed in
    :data:`ORDER`, each once. Raises :class:`Invalid` for a role that does not exist.

    >>> normalise_roles(["specialist"])
    ['officer', 'specialist']
    >>> normalise_roles(["officer", "admin"])
    ['officer', 'reception', 'specialist', 'leader', 'admin']
    """
    given = set(roles)
    unknown = given - set(ORDER)
    if unknown:
        raise Invalid(f"Vai trò không tồn tại: {sorted(unknown)}", f"No such role: {sorted(unknown)}")
    if OFFICER in given and given.isdisjoint(AGENCY_ROLES):
        given.update(AGENCY_ROLES)
    given.discard(OFFICER)
    if holds_agency_role(given):
        given.add(OFFICER)
    return [r for r in ORDER if r in given]


def held_roles(stored: Iterable[str]) -> list[str]:
    """The roles a stored account holds, as its token says them: :func:`normalise_roles` of what is
    stored, so an account made with the old ``officer`` alone holds every agency role. A stored role
    that no longer exists is dropped, never an error (a sign-in must not fail over it)."""
    return normalise_roles(r for r in stored if r in ORDER)


def legacy_roles(role: str) -> list[str]:
    """The roles the old single ``role`` of ``POST /users`` stands for."""
    return list(LEGACY[role])


def holds_agency_role(roles: Iterable[str]) -> bool:
    return not set(AGENCY_ROLES).isdisjoint(roles)


def needs_agency(roles: Iterable[str], agencies: Iterable[str]) -> bool:
    """True when the roles are an agency's and no agency is given: such an account is refused."""
    return holds_agency_role(roles) and not any(True for _ in agencies)


def may_list_staff(roles: Iterable[str], agencies: Iterable[str], agency: str) -> bool:
    """Who may see an agency's staff: its own staff (the ``officer`` marker and the agency among theirs)
    and administrators. The marker is read as the token says it; roles are not re-derived."""
    held = set(roles)
    return ADMIN in held or (OFFICER in held and agency in set(agencies))


def is_staff_of(user: dict, agency: str, role: str | None = None) -> bool:
    """Whether the account (a stored document) is an unlocked holder of an agency role in ``agency``
    (of ``role`` when given). Stored roles are read normalised, so an account made with the old
    ``officer`` alone counts as holding every agency role."""
    if user.get("locked") or agency not in user.get("agencies", []):
        return False
    held = held_roles(user.get("roles", []))
    return role in held if role is not None else holds_agency_role(held)
