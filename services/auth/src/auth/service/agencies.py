"""An agency's staff, as its own staff and administrators see them, and its default specialist (the one a
dossier goes to when reception names nobody)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dvckit import logs
from dvckit.auth import Principal
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.vn import fold

from ..adapters.agencies import AgencySettings
from ..adapters.users import Users
from ..domain.roles import SPECIALIST, held_roles, is_staff_of, may_list_staff
from .errors import NOT_A_SPECIALIST, NOT_AGENCY_STAFF

log = logs.get(__name__)


@dataclass(eq=False)
class AgencyStaff:
    rt: Runtime
    users: Users
    settings: AgencySettings

    async def _set(self, who: Principal, agency: str, user_id: str | None) -> None:
        """The agency's default specialist set (or cleared) and the audit entry, in one transaction."""

        async def txn(session: Session) -> None:
            doc = await self.settings.get(agency, session)
            was = doc.get("default_specialist") if doc else None
            if user_id is None:
                await self.settings.clear_default_specialist(agency, by=who.sub, session=session)
            else:
                await self.settings.set_default_specialist(agency, user_id, by=who.sub, session=session)
            await self.rt.audit.add(
                session,
                who,
                kind="change",
                action="agency.default_specialist_changed",
                target_type="agency",
                target_id=agency,
                before={"default_specialist": was},
                after={"default_specialist": user_id},
            )

        await self.rt.transaction(txn)

    async def staff(self, who: Principal, agency: str) -> dict[str, Any]:
        """The unlocked accounts holding an agency role in ``agency``, with their roles and whether each
        is the agency's default specialist. For the agency's own staff and administrators (403 else)."""
        if not may_list_staff(who.roles, who.agencies, agency):
            raise NOT_AGENCY_STAFF
        found = await self.users.staff_of(agency)
        default = await self._default(agency)
        items = []
        for u in found:
            if not is_staff_of(u, agency):
                continue
            roles = held_roles(u.get("roles", []))
            is_default = u["_id"] == default and SPECIALIST in roles
            items.append(
                {
                    "id": u["_id"],
                    "full_name": u["full_name"],
                    "roles": roles,
                    "default_specialist": is_default,
                }
            )
        # By name as Vietnamese sort it (Đ with D, accents after the letter), not by code point.
        items.sort(key=lambda s: (fold(s["full_name"]), s["full_name"]))
        return {"items": items}

    async def _default(self, agency: str) -> str | None:
        doc = await self.settings.get(agency)
        return doc.get("default_specialist") if doc else None

    async def set_default_specialist(self, who: Principal, agency: str, user_id: str) -> dict[str, Any]:
        """Make ``user_id`` the agency's default specialist: an unlocked specialist of it (422 else)."""
        user = await self.users.get(user_id)
        if user is None or not is_staff_of(user, agency, SPECIALIST):
            raise NOT_A_SPECIALIST
        await self._set(who, agency, user_id)
        log.info("default specialist set", agency=agency, user_id=user_id)
        return {"agency": agency, "user_id": user_id, "full_name": user["full_name"]}

    async def clear_default_specialist(self, who: Principal, agency: str) -> None:
        await self._set(who, agency, None)
        log.info("default specialist cleared", agency=agency)
