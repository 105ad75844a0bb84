"""Who may see and pay a dossier's orders (pure).

Reading: the dossier's owner, its organisation's members (token ``orgs``), the staff of its agency
(role ``officer`` and the agency's code in ``agencies``), administrators. Paying and asking for the
filing order: the owner, or the organisation's representative or staff (a viewer only sees)."""

from __future__ import annotations

from dataclasses import dataclass

FILERS = frozenset({"representative", "staff"})


@dataclass(frozen=True)
class Caller:
    id: str
    roles: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    orgs: tuple[tuple[str, str], ...] = ()

    def org_role(self, org_id: str) -> str | None:
        return next((role for oid, role in self.orgs if oid == org_id), None)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


@dataclass(frozen=True)
class Holder:
    """Whose a dossier (and its orders) is: its owner, its organisation, its agency."""

    owner_id: str
    organisation_id: str | None
    agency_code: str

    def owned_by(self, who: Caller) -> bool:
        if self.organisation_id is not None:
            return who.org_role(self.organisation_id) is not None
        return who.id == self.owner_id

    def payable_by(self, who: Caller) -> bool:
        if self.organisation_id is not None:
            return who.org_role(self.organisation_id) in FILERS
        return who.id == self.owner_id

    def staff(self, who: Caller) -> bool:
        return "officer" in who.roles and self.agency_code in who.agencies

    def readable_by(self, who: Caller) -> bool:
        return self.owned_by(who) or self.staff(who) or who.is_admin
