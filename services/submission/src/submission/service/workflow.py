"""The one-stop officer's work (and the citizen's withdraw and resubmit): status changes, each with its
history entry and ``dossier.status_changed.v1`` in one transaction; the agency queue with deadlines."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import DossierStatusChangedV1
from dvckit.errors import Problem, Text
from dvckit.runtime import Runtime

from ..adapters.store import DOSSIERS
from ..domain import calendar
from ..domain.status import LABEL, NUMBER, Status, describe
from ..domain.workflow import ACTIONS, CLOCK_RUNS, CLOSED, Action
from .attachments import Attachments
from .dossiers import NOT_FOUND, Dossiers, summary, view

log = logs.get(__name__)

UNKNOWN_ACTION = Problem(404, "unknown-action", Text("Thao tác không tồn tại", "No such action"))
CONFLICT = Problem(
    409,
    "conflict",
    Text("Hồ sơ vừa được người khác xử lý; vui lòng tải lại", "Someone else changed this dossier; reload it"),
)


def illegal(action: Action, current: Status) -> Problem:
    vi, en = LABEL[current]
    return Problem(
        409,
        "invalid-transition",
        Text(
            f"Không thể thực hiện '{action.name}' khi hồ sơ đang ở trạng thái: {vi}",
            f"'{action.name}' is not allowed while the dossier is: {en}",
        ),
        extra={"current": describe(current)},
    )


def _required(field: str, vi: str, en: str) -> Problem:
    return Problem(
        422, f"{field}-required", Text(vi, en), extra={"errors": [{"field": field, "message": vi}]}
    )


def _text(value: Any, limit: int = 2000) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Problem(422, "validation-error", Text("Dữ liệu không hợp lệ", "Invalid input"))
    value = " ".join(value.split())
    if len(value) > limit:
        raise Problem(422, "too-long", Text("Nội dung quá dài", "Text too long"))
    return value or None


class Workflow:
    def __init__(self, rt: Runtime, dossiers: Dossiers, attachments: Attachments) -> None:
        self.rt = rt
        self.coll = rt.db[DOSSIERS]
        self.dossiers = dossiers
        self.attachments = attachments

    # -- who sees what ---------------------------------------------------------------------------
    async def for_officer(self, who: Principal, dossier_id: str) -> dict[str, Any]:
        """A dossier of one of the officer's agencies; anything else is "not found"."""
        d = await self.coll.find_one({"_id": dossier_id})
        if d is None or d["status"] == Status.DRAFT.value or d["agency"]["code"] not in who.agencies:
            raise NOT_FOUND
        return d

    async def for_owner_or_officer(self, who: Principal, dossier_id: str) -> dict[str, Any]:
        if "officer" in who.roles:
            try:
                return await self.for_officer(who, dossier_id)
            except Problem:
                if "citizen" not in who.roles:
                    raise
        return await self.dossiers.owned(who, dossier_id)

    # -- the queue -------------------------------------------------------------------------------
    async def queue(
        self,
        who: Principal,
        *,
        status: str | None,
        procedure: str | None,
        overdue: bool | None,
        q: str | None,
        agency: str | None,
        page: int,
        size: int,
    ) -> dict[str, Any]:
        agencies = list(who.agencies)
        if agency:
            agencies = [a for a in agencies if a == agency]
        query: dict[str, Any] = {"agency.code": {"$in": agencies}, "status": {"$ne": Status.DRAFT.value}}
        if status:
            query["status"] = status
        if procedure:
            query["procedure.code"] = procedure
        now = datetime.now(UTC)
        if overdue is True:
            query["appointment_at"] = {"$lt": now}
            query["status"] = {"$in": [s.value for s in CLOCK_RUNS]}
        if q:
            term = q.strip()
            query["$or"] = [
                {"code": {"$regex": "^" + re.escape(term)}},
                {"applicant.submitter.citizen_id": term},
                {"applicant.owner.citizen_id": term},
                {"applicant.submitter.phone": term},
                {"applicant.owner.phone": term},
            ]
        total = await self.coll.count_documents(query)
        docs = await (
            self.coll.find(query, {"procedure.components": 0, "history": 0})
            .sort([("appointment_at", 1), ("submitted_at", 1), ("_id", 1)])
            .skip((page - 1) * size)
            .limit(size)
            .to_list()
        )
        items = [self.queue_item(d, now) for d in docs]
        return {"items": items, "total": total, "page": page, "size": size}

    @staticmethod
    def queue_item(d: dict[str, Any], now: datetime) -> dict[str, Any]:
        applicant = (d.get("applicant") or {}).get("submitter") or {}
        status = Status(d["status"])
        appointment = d.get("appointment_at")
        if appointment is not None:
            appointment = appointment.replace(tzinfo=appointment.tzinfo or UTC)
        paused = status == Status.SUPPLEMENT_REQUESTED
        return {
            **summary(d),
            "applicant_name": applicant.get("full_name"),
            "applicant_phone": applicant.get("phone"),
            "deadline": {
                "paused": paused,
                **calendar.deadline_state(appointment, now, done=status in CLOSED or paused),
            },
        }

    # -- acting ----------------------------------------------------------------------------------
    async def act(
        self, who: Principal, dossier_id: str, name: str, request: Request, expected_rev: int | None
    ) -> dict[str, Any]:
        action = ACTIONS.get(name)
        if action is None:
            raise UNKNOWN_ACTION
        if action.role == "officer":
            if "officer" not in who.roles:
                raise Problem(
                    403,
                    "forbidden",
                    Text("Chỉ cán bộ mới thực hiện được thao tác này", "Only an officer can do this"),
                )
            d = await self.for_officer(who, dossier_id)
        else:
            d = await self.dossiers.owned(who, dossier_id)
        current = Status(d["status"])
        if current not in action.sources:
            raise illegal(action, current)
        if expected_rev is not None and expected_rev != d.get("rev"):
            raise CONFLICT

        result: dict[str, Any] | None = None
        if request.headers.get("content-type", "").startswith("multipart/"):
            result, fields = await self.attachments.receive_result(d, request)
        else:
            raw = await request.body()
            if len(raw) > 64 * 1024:
                raise Problem(
                    413, "payload-too-large", Text("Dữ liệu gửi lên quá lớn", "The body is too large")
                )
            try:
                fields = json.loads(raw) if raw else {}
            except ValueError:
                raise Problem(
                    422, "validation-error", Text("Nội dung JSON không hợp lệ", "Invalid JSON")
                ) from None
            if not isinstance(fields, dict):
                raise Problem(422, "validation-error", Text("Dữ liệu không hợp lệ", "Invalid input"))
            unknown = set(fields) - {"note", "reason", "items"}
            if unknown:
                raise Problem(
                    422,
                    "validation-error",
                    Text(
                        "Trường không được phép: " + ", ".join(sorted(unknown)),
                        "Unexpected fields: " + ", ".join(sorted(unknown)),
                    ),
                )
        note = _text(fields.get("note"))
        reason = _text(fields.get("reason"))
        items_raw = fields.get("items") or []
        if isinstance(items_raw, str):
            items_raw = [i for i in items_raw.split("\n") if i.strip()]
        if not isinstance(items_raw, list) or len(items_raw) > 50:
            raise Problem(422, "validation-error", Text("Danh sách không hợp lệ", "Invalid list of items"))
        items = [t for t in (_text(i, 500) for i in items_raw) if t]
        try:
            if action.needs_reason and not reason:
                raise _required("reason", "Cần nêu lý do", "A reason is required")
            if action.needs_items and not items:
                raise _required("items", "Cần liệt kê giấy tờ cần bổ sung", "List what must be supplemented")
            if action.needs_file and result is None:
                raise _required("file", "Cần đính kèm văn bản kết quả", "Attach the result document")
            if action.name == "resubmit" and not self._supplemented(d):
                raise Problem(
                    422,
                    "nothing-supplemented",
                    Text("Chưa tải lên giấy tờ bổ sung", "Upload the supplement before resubmitting"),
                )
            return await self._apply(who, d, action, note=note, reason=reason, items=items, result=result)
        except BaseException:
            if result is not None:  # the result document of a change that did not happen
                await self.attachments.store.delete(result["key"])
                await self.coll.update_one({"_id": d["_id"]}, {"$pull": {"uploading": {"id": result["id"]}}})
            raise

    @staticmethod
    def _supplemented(d: dict[str, Any]) -> bool:
        since = d.get("paused_at")
        return any(a["uploaded_at"] >= since for a in d.get("attachments", [])) if since else True

    async def _apply(
        self,
        who: Principal,
        d: dict[str, Any],
        action: Action,
        *,
        note: str | None,
        reason: str | None,
        items: list[str],
        result: dict[str, Any] | None,
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        old = Status(d["status"])
        changes: dict[str, Any] = {
            "status": action.to.value,
            "status_no": NUMBER[action.to],
            "updated_at": now,
        }
        inc: dict[str, int] = {"rev": 1}
        push: dict[str, Any] = {}
        appointment = d.get("appointment_at")
        if action.name == "accept":
            days = d["procedure"].get("working_days")
            appointment = calendar.appointment(now, int(days)) if days else None
            changes |= {
                "accepted_at": now,
                "appointment_at": appointment,
                "accepted_by": who.sub,
                "accepted_by_name": who.name or None,
                "supplement_count": 0,
            }
        elif action.name == "request-supplement":
            changes |= {"paused_at": now, "supplement_items": items}
            inc["supplement_count"] = 1
        elif action.name == "resubmit":
            if appointment is not None and d.get("paused_at"):
                appointment = calendar.shift(
                    appointment.replace(tzinfo=appointment.tzinfo or UTC),
                    d["paused_at"].replace(tzinfo=UTC),
                    now,
                )
                changes["appointment_at"] = appointment
            changes |= {"paused_at": None, "supplement_items": []}
        elif action.name == "finish":
            on_time = appointment is None or now <= appointment.replace(tzinfo=appointment.tzinfo or UTC)
            changes |= {"finished_at": now, "on_time": bool(on_time and d.get("supplement_count", 0) <= 1)}
            assert result is not None
            push["results"] = result
        elif action.name == "return-result":
            changes["returned_at"] = now
        elif action.to in (Status.REFUSED, Status.STOPPED, Status.WITHDRAWN):
            changes["closed_at"] = now
        entry = {
            "status": action.to.value,
            "at": now,
            "actor_role": action.role,
            "actor_id": who.sub,
            "note": note,
            "reason": reason,
            "items": items or None,
        }
        push["history"] = entry
        update: dict[str, Any] = {"$set": changes, "$inc": inc, "$push": push}
        if result is not None:
            update["$pull"] = {"uploading": {"id": result["id"]}}

        async def txn(session: Any) -> bool:
            res = await self.coll.update_one(
                {"_id": d["_id"], "status": old.value, "rev": d.get("rev", 1)}, update, session=session
            )
            if res.modified_count != 1:
                return False
            await self.rt.outbox.add(
                session,
                DossierStatusChangedV1(
                    dossier_id=d["_id"],
                    code=d["code"],
                    owner_id=d["owner_id"],
                    procedure_code=d["procedure"]["code"],
                    procedure_name=d["procedure"]["name"],
                    agency_code=d["agency"]["code"],
                    agency_name=d["agency"]["name"],
                    old_status=old.value,
                    new_status=action.to.value,
                    old_status_code=NUMBER[old],
                    new_status_code=NUMBER[action.to],
                    note=note,
                    reason=reason,
                    supplement_items=items,
                    appointment_at=appointment,
                    actor_role=action.role,
                    changed_at=now,
                    rev=d.get("rev", 1) + 1,
                ),
            )
            return True

        if not await self.rt.transaction(txn):
            raise CONFLICT  # another officer (or the citizen) changed it first: one wins, never a mix
        log.info("dossier status changed", dossier_id=d["_id"], old=old.value, new=action.to.value)
        fresh = await self.coll.find_one({"_id": d["_id"]})
        assert fresh is not None
        return view(fresh)
