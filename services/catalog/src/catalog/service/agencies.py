"""The agency directory's use cases: seed it, read it, and let administrators create, change and
deactivate agencies (validated as a whole directory, versioned, audited and published as
``agency.changed.v1`` in the same transaction)."""

from __future__ import annotations

from typing import Any, Literal

from dvckit import logs
from dvckit.audit import changes
from dvckit.auth import Principal
from dvckit.contracts import AgencyChangedV1
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.vn import fold

from ..adapters import data_files
from ..adapters.agencies import Agencies
from ..domain.agencies import Agency, check

log = logs.get(__name__)

NOT_FOUND = Problem(404, "agency-not-found", Text("Không có cơ quan này", "No such agency"))


def invalid(code: str, vi: str, en: str) -> Problem:
    return Problem(422, code, Text(vi, en))


def version_conflict(current: int) -> Problem:
    return Problem(
        412,
        "version-conflict",
        Text("Cơ quan đã được người khác sửa; vui lòng tải lại", "Changed by someone else; reload"),
        extra={"current_version": current},
    )


class Directory:
    def __init__(self, rt: Runtime, agencies: Agencies, *, province_code: str) -> None:
        self.rt = rt
        self.agencies = agencies
        self.province_code = province_code

    def receivers(self) -> set[str]:
        """Codes the routing rules name: they must stay active."""
        return data_files.rules(self.province_code).receivers()

    async def start(self) -> None:
        seed = data_files.seed(self.province_code)
        missing = self.receivers() - {a.code for a in seed}
        if missing:  # a rule naming no agency would route dossiers nowhere
            raise RuntimeError(f"routing rules name agencies not in the directory: {sorted(missing)}")
        added = await self.agencies.seed(seed)
        log.info("agency directory ready", seeded=added, agencies=len(seed))

    # -- reading -----------------------------------------------------------------------------------
    async def list(
        self, *, level: str | None, kind: str | None, parent: str | None, q: str | None, ward: str | None
    ) -> list[dict[str, Any]]:
        words = fold(q).split() if q else []
        out = []
        for a in await self.agencies.all():
            if not a.active or (level and a.level != level) or (kind and a.kind != kind):
                continue
            if (parent and a.parent_code != parent) or (ward and a.ward_code != ward):
                continue
            if words:
                text = fold(" ".join(filter(None, [a.code, a.name, a.short_name, a.commune])))
                if not all(w in text for w in words):
                    continue
            out.append(public(a))
        return out

    async def get(self, code: str) -> Agency:
        a = await self.agencies.get(code)
        if a is None:
            raise NOT_FOUND
        return a

    # -- administration ----------------------------------------------------------------------------
    async def put(
        self, code: str, fields: dict[str, Any], expected: int | None, who: Principal
    ) -> tuple[Agency, bool]:
        """Create the agency ``code`` or change it (a new version; active again). (agency, created)."""

        async def txn(session: Session) -> tuple[Agency, bool]:
            old = await self.agencies.get(code, session)
            # If-Match names a version: of an agency that does not exist, none matches (RFC 9110 13.1.1)
            if expected is not None and (old is None or expected != old.version):
                raise version_conflict(old.version if old else 0)
            try:
                new = Agency.model_validate(
                    {**fields, "code": code, "active": True, "version": 1 if old is None else old.version + 1}
                )
            except ValueError as e:
                raise invalid("agency-invalid", "Thông tin cơ quan không hợp lệ", str(e)[:300]) from None
            await self._validate(new, session)
            if not await self.agencies.put(old, new, who.sub, session):
                raise version_conflict(old.version if old else 1)
            await self._changed(session, new, "created" if old is None else "updated")
            await self._audit(session, who, old, new, "agency.created" if old is None else "agency.changed")
            return new, old is None

        return await self.rt.transaction(txn)

    async def deactivate(self, code: str, expected: int | None, who: Principal) -> Agency:
        async def txn(session: Session) -> Agency:
            old = await self.agencies.get(code, session)
            if old is None:
                raise NOT_FOUND
            if expected is not None and expected != old.version:
                raise version_conflict(old.version)
            if code in self.receivers():
                raise Problem(
                    409,
                    "agency-in-use",
                    Text(
                        "Cơ quan đang được dùng trong quy tắc tiếp nhận hồ sơ; sửa quy tắc trước",
                        "The routing rules send dossiers to this agency; change them first",
                    ),
                )
            children = [
                a.code for a in await self.agencies.all(session) if a.active and a.parent_code == code
            ]
            if children:
                raise Problem(
                    409,
                    "agency-has-children",
                    Text(
                        "Cơ quan còn đơn vị trực thuộc đang hoạt động", "Active agencies still belong to it"
                    ),
                    extra={"children": children[:20]},
                )
            new = old.model_copy(update={"active": False, "version": old.version + 1})
            if not await self.agencies.put(old, new, who.sub, session):
                raise version_conflict(old.version)
            await self._changed(session, new, "deactivated")
            await self._audit(session, who, old, new, "agency.deactivated")
            return new

        return await self.rt.transaction(txn)

    async def _validate(self, new: Agency, session: Session) -> None:
        """The directory with ``new`` in it must hold together: its parent exists and is active, no
        cycle; a commune-level body names its unit."""
        if new.level == "commune" and not (new.ward_code and new.commune):
            raise invalid(
                "agency-invalid",
                "Cơ quan cấp xã phải có mã và tên đơn vị hành chính cấp xã",
                "A commune-level agency needs ward_code and commune",
            )
        if new.level != "commune" and (new.ward_code or new.commune):
            raise invalid(
                "agency-invalid",
                "Chỉ cơ quan cấp xã có mã đơn vị hành chính cấp xã",
                "Only commune-level agencies have ward_code and commune",
            )
        everyone = {a.code: a for a in await self.agencies.all(session)}
        if new.parent_code is not None:
            parent = everyone.get(new.parent_code)
            if parent is None or not parent.active:
                raise invalid(
                    "agency-parent-missing",
                    "Cơ quan cấp trên không tồn tại",
                    "The parent agency does not exist",
                )
        everyone[new.code] = new
        problems = [p for p in check(everyone.values()) if p.startswith(new.code)]
        if problems:
            raise invalid("agency-invalid", "Quan hệ cấp trên không hợp lệ", "; ".join(problems)[:300])

    async def _audit(
        self, session: Session, who: Principal, old: Agency | None, new: Agency, action: str
    ) -> None:
        """The administrator's change in the audit trail: the changed fields, before → after."""
        was, now = changes(old.model_dump(mode="json") if old else None, new.model_dump(mode="json"))
        await self.rt.audit.add(
            session,
            who,
            kind="change",
            action=action,
            target_type="agency",
            target_id=new.code,
            before=was,
            after=now,
        )

    async def _changed(
        self, session: Session, a: Agency, change: Literal["created", "updated", "deactivated"]
    ) -> None:
        await self.rt.outbox.add(
            session,
            AgencyChangedV1(
                code=a.code,
                version=a.version,
                change=change,
                name=a.name,
                level=a.level,
                kind=a.kind,
                parent_code=a.parent_code,
                parent_name=a.parent_name,
                ward_code=a.ward_code,
                commune=a.commune,
                active=a.active,
            ),
        )


def public(a: Agency) -> dict[str, Any]:
    """An agency as the API serves it."""
    return a.model_dump(mode="json")
