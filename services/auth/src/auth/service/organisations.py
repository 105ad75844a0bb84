"""Organisation use cases: registering one (its legal representative, verified through VNeID) and
managing its members. Each change writes the organisation and its event in one transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import OrganisationCreatedV1, OrganisationMemberChangedV1
from dvckit.errors import Problem, Text
from dvckit.mongo import Session
from dvckit.paging import Window
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters.repos import Repositories
from ..domain import organisations as rules
from ..domain.identity import classify_login
from . import audit

log = logs.get(__name__)

ORG_NOT_FOUND = Problem(404, "organisation-not-found", Text("Không tìm thấy tổ chức", "No such organisation"))
NOT_VERIFIED = Problem(
    403,
    "identity-not-verified",
    Text(
        "Cần xác thực tài khoản bằng VNeID trước khi đăng ký tổ chức",
        "Verify your account through VNeID before registering an organisation",
    ),
    Text(
        "Đăng nhập bằng tài khoản định danh điện tử VNeID để xác thực danh tính của bạn.",
        "Sign in with your VNeID electronic identity to verify who you are.",
    ),
)
NOT_REPRESENTATIVE = Problem(
    403,
    "not-legal-representative",
    Text(
        "Chỉ người đại diện theo pháp luật mới đăng ký được tổ chức",
        "Only the legal representative may register the organisation",
    ),
    Text(
        "Số định danh của người đại diện theo pháp luật phải là số định danh đã xác thực của bạn.",
        "The legal representative's citizen ID must be your own verified citizen ID.",
    ),
)
TAX_CODE_TAKEN = Problem(
    409,
    "tax-code-registered",
    Text(
        "Mã số doanh nghiệp này đã được đăng ký trên hệ thống",
        "An organisation with this tax code is already registered",
    ),
    Text(
        "Nếu bạn là người đại diện, hãy liên hệ người quản lý tổ chức hoặc quản trị viên.",
        "If you represent it, ask its representative or an administrator.",
    ),
)
NOT_MANAGER = Problem(
    403,
    "not-organisation-representative",
    Text(
        "Chỉ người đại diện của tổ chức mới quản lý được thành viên",
        "Only the organisation's representative manages its members",
    ),
)
NO_ACCOUNT = Problem(
    404,
    "account-not-found",
    Text(
        "Không có tài khoản công dân với số định danh hoặc số điện thoại này",
        "No citizen account has this citizen ID or phone number",
    ),
)
CHANGED = Problem(
    409,
    "organisation-changed",
    Text("Danh sách thành viên vừa thay đổi, vui lòng thử lại", "The members just changed; please try again"),
)
REFUSED = {
    "already-member": Problem(
        409, "already-member", Text("Người này đã là thành viên", "This person is already a member")
    ),
    "not-member": Problem(404, "member-not-found", Text("Không tìm thấy thành viên", "No such member")),
    "last-representative": Problem(
        409,
        "last-representative",
        Text(
            "Tổ chức phải còn ít nhất một người đại diện",
            "An organisation keeps at least one representative",
        ),
    ),
}


def view(org: dict[str, Any], who: Principal) -> dict[str, Any]:
    """An organisation as ``who`` sees it: the members only for its representatives and administrators."""
    role = rules.role_of(org, who.sub)
    out = {
        "id": org["_id"],
        "tax_code": org["tax_code"],
        "name": org["name"],
        "address": org["address"],
        "legal_representative": org["legal_representative"],
        "role": role,
        "created_at": org["created_at"],
    }
    if role == "representative" or who.is_admin:
        out["members"] = org["members"]
    return out


class OrganisationCases:
    def __init__(self, rt: Runtime, repos: Repositories) -> None:
        self.rt = rt
        self.users = repos.users
        self.orgs = repos.organisations

    async def create(self, who: Principal, body: dict[str, Any]) -> dict[str, Any]:
        # The account, not the token, says whether the holder is verified: a level raised or an
        # identity linked since the token was issued counts at once.
        user = await self.users.get(who.sub)
        identity = (user or {}).get("identity") or {}
        if user is None or int(user.get("identity_level", 0)) < 1 or not identity.get("citizen_id"):
            raise NOT_VERIFIED
        rep = body["legal_representative"]
        if identity["citizen_id"] != rep["citizen_id"]:
            log.warning("organisation refused: not the legal representative", tax_code=body["tax_code"])
            raise NOT_REPRESENTATIVE
        now = datetime.now(UTC)
        doc = {
            "_id": str(uuid.uuid4()),
            "tax_code": body["tax_code"],
            "name": body["name"],
            "address": body["address"],
            "legal_representative": {"full_name": rep["full_name"], "citizen_id": rep["citizen_id"]},
            "members": [
                {
                    "user_id": who.sub,
                    "full_name": user["full_name"],
                    "role": "representative",
                    "added_at": now,
                }
            ],
            "version": 0,
            "created_by": who.sub,
            "created_at": now,
        }

        async def txn(session: Session) -> None:
            await self.orgs.insert(doc, session)
            await self.rt.outbox.add(
                session,
                OrganisationCreatedV1(
                    organisation_id=doc["_id"],
                    tax_code=doc["tax_code"],
                    name=doc["name"],
                    representative_user_id=who.sub,
                ),
            )
            await self.rt.outbox.add(
                session, self._changed(doc["_id"], who.sub, "added", "representative", who)
            )

        try:
            await self.rt.transaction(txn)
        except AlreadyExists:
            raise TAX_CODE_TAKEN from None
        log.info("organisation created", organisation_id=doc["_id"])
        return view(doc, who)

    async def mine(self, who: Principal) -> list[dict[str, Any]]:
        return [view(o, who) for o in await self.orgs.of_member(who.sub)]

    async def get(self, who: Principal, org_id: str) -> dict[str, Any]:
        org = await self._seen(who, org_id)
        if rules.role_of(org, who.sub) is None:  # an administrator's, not a member's: recorded
            await self.rt.audit.read(
                who,
                action="organisation.viewed",
                target_type="organisation",
                target_id=org["_id"],
                fields=["members"],
            )
        return view(org, who)

    async def _seen(self, who: Principal, org_id: str) -> dict[str, Any]:
        """The organisation if ``who`` is a member or an administrator; 404 otherwise (never saying that
        it exists)."""
        org = await self.orgs.get(org_id)
        if org is None or (rules.role_of(org, who.sub) is None and not who.is_admin):
            raise ORG_NOT_FOUND
        return org

    async def _managed(self, who: Principal, org_id: str) -> dict[str, Any]:
        org = await self._seen(who, org_id)
        if rules.role_of(org, who.sub) != "representative":
            raise NOT_MANAGER
        return org

    async def add_member(self, who: Principal, org_id: str, login: str, role: str) -> dict[str, Any]:
        org = await self._managed(who, org_id)
        field, value = classify_login(login)
        user = await self.users.by_login([(field, value)]) if field in ("citizen_id", "phone") else None
        if user is None or "citizen" not in user.get("roles", []):
            raise NO_ACCOUNT
        member = {
            "user_id": user["_id"],
            "full_name": user["full_name"],
            "role": role,
            "added_at": datetime.now(UTC),
        }
        members = self._apply(rules.with_member, org["members"], member)
        return await self._save(who, org, members, user["_id"], "added", role)

    async def set_role(self, who: Principal, org_id: str, user_id: str, role: str) -> dict[str, Any]:
        org = await self._managed(who, org_id)
        members = self._apply(rules.with_role, org["members"], user_id, role)
        return await self._save(who, org, members, user_id, "role_changed", role)

    async def remove(self, who: Principal, org_id: str, user_id: str) -> dict[str, Any]:
        org = await self._managed(who, org_id)
        members = self._apply(rules.without, org["members"], user_id)
        return await self._save(who, org, members, user_id, "removed", None)

    @staticmethod
    def _apply(rule: Any, *args: Any) -> list[dict[str, Any]]:
        try:
            return rule(*args)
        except rules.Refused as e:
            raise REFUSED[e.code] from None

    def _changed(
        self, org_id: str, user_id: str, change: Any, role: Any, who: Principal
    ) -> OrganisationMemberChangedV1:
        return OrganisationMemberChangedV1(
            organisation_id=org_id, user_id=user_id, change=change, role=role, by_user_id=who.sub
        )

    async def _save(
        self,
        who: Principal,
        org: dict[str, Any],
        members: list[dict[str, Any]],
        user_id: str,
        change: str,
        role: str | None,
    ) -> dict[str, Any]:
        async def txn(session: Session) -> dict[str, Any] | None:
            # Written only over the version read: two representatives changing members at once cannot
            # both remove "the other" and leave none.
            doc = await self.orgs.set_members(org["_id"], org.get("version", 0), members, session)
            if doc is not None:
                await self.rt.outbox.add(session, self._changed(org["_id"], user_id, change, role, who))
            return doc

        doc = await self.rt.transaction(txn)
        if doc is None:
            raise CHANGED
        log.info("organisation member changed", organisation_id=org["_id"], change=change)
        return view(doc, who)

    async def list(self, q: str | None, *, window: Window, who: Principal) -> dict[str, Any]:
        page, size = window.page, window.size
        docs, total = await self.orgs.page(q, window=window)
        if docs:
            query = {"q": q, "page": page, "size": size}
            await self.rt.audit.read(
                who, **audit.listed("organisation", [d["_id"] for d in docs], query, ["members"])
            )
        return {"items": [view(d, who) for d in docs], "total": total, "page": page, "size": size}
