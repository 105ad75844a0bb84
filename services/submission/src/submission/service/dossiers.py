"""Dossier use cases for citizens: draft, the four steps, submission, following, public tracking."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from dvckit import logs
from dvckit.auth import Principal
from dvckit.contracts import DossierSubmittedV1
from dvckit.errors import Problem, Text
from dvckit.runtime import Runtime
from dvckit.s3 import ObjectStore

from ..adapters.clients import Clients
from ..adapters.store import COUNTERS, DOSSIERS, STALE_UPLOAD
from ..config import Settings
from ..domain.agencies import Agency, registry
from ..domain.applicant import Applicant
from ..domain.dossier import cases, dossier_code, fee_table, missing_items
from ..domain.status import NUMBER, Status, describe
from .captchas import Captchas
from .procedures import ProcedureCache

log = logs.get(__name__)

NOT_FOUND = Problem(404, "dossier-not-found", Text("Không tìm thấy hồ sơ", "No such dossier"))
NOT_ONLINE = Problem(
    409,
    "not-fileable-online",
    Text("Thủ tục này chưa cho phép nộp hồ sơ trực tuyến", "This procedure cannot be filed online"),
)
NOT_DRAFT = Problem(
    409, "not-a-draft", Text("Hồ sơ đã nộp, không thể sửa", "The dossier was submitted already")
)
DAY_FULL = Problem(
    503,
    "daily-sequence-exhausted",
    Text("Cơ quan đã nhận đủ số hồ sơ tối đa trong ngày", "The agency's daily dossier numbers are used up"),
)


def _agency_choice(choices: list[Agency]) -> Problem:
    return Problem(
        422,
        "agency-required",
        Text("Vui lòng chọn cơ quan tiếp nhận (phường, xã)", "Choose the receiving agency (ward or commune)"),
        extra={"choices": [{"code": a.code, "name": a.name} for a in choices]},
    )


def _bad_case(groups: list[str]) -> Problem:
    return Problem(
        422, "unknown-case", Text("Trường hợp không hợp lệ", "Unknown case"), extra={"cases": groups}
    )


def _freeze(p: dict[str, Any]) -> dict[str, Any]:
    """What the dossier keeps of its procedure: the rules it is judged by, as they were when filed."""
    keep = (
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
    )
    return {k: p.get(k) for k in keep}


class Dossiers:
    def __init__(
        self,
        rt: Runtime,
        settings: Settings,
        *,
        clients: Clients,
        cache: ProcedureCache,
        captchas: Captchas,
        store: ObjectStore,
    ) -> None:
        self.rt = rt
        self.s = settings
        self.coll = rt.db[DOSSIERS]
        self.counters = rt.db[COUNTERS]
        self.clients = clients
        self.cache = cache
        self.captchas = captchas
        self.store = store
        self.tz = ZoneInfo(settings.timezone)
        self._cleanup: asyncio.Task[None] | None = None
        self._seq_blocks: dict[str, tuple[int, int]] = {}
        self._seq_locks: dict[str, asyncio.Lock] = {}

    # -- reading ---------------------------------------------------------------------------------
    async def owned(self, who: Principal, dossier_id: str) -> dict[str, Any]:
        """The caller's own dossier; anyone else's is "not found" (its existence is not revealed)."""
        d = await self.coll.find_one({"_id": dossier_id})
        if d is None or d["owner_id"] != who.sub:
            raise NOT_FOUND
        return d

    async def mine(self, who: Principal, *, status: str | None, page: int, size: int) -> dict[str, Any]:
        q: dict[str, Any] = {"owner_id": who.sub}
        if status:
            q["status"] = status
        total = await self.coll.count_documents(q)
        docs = await (
            self.coll.find(q)
            .sort([("created_at", -1), ("_id", 1)])
            .skip((page - 1) * size)
            .limit(size)
            .to_list()
        )
        return {"items": [summary(d) for d in docs], "total": total, "page": page, "size": size}

    # -- creating ----------------------------------------------------------------------------------
    def agencies_for(self, procedure: dict[str, Any]) -> list[Agency]:
        return registry().candidates(procedure.get("agencies") or [], procedure.get("levels") or [])

    async def create_draft(
        self,
        who: Principal,
        *,
        procedure_code: str,
        agency_code: str | None,
        authorization: str,
        case: str | None = None,
    ) -> dict[str, Any]:
        procedure = await self.cache.get(procedure_code)
        if not procedure.get("fileable") or procedure.get("status") != "published":
            raise NOT_ONLINE
        choices = self.agencies_for(procedure)
        if agency_code is None:
            if len(choices) != 1:
                raise _agency_choice(choices)
            agency = choices[0]
        else:
            agency = next((a for a in choices if a.code == agency_code), None)
            if agency is None:
                raise _agency_choice(choices)
        groups = cases(procedure)
        if case is not None and case not in groups:
            raise _bad_case(groups)
        me = await self.clients.me(authorization)
        prefill = {k: me.get(k) for k in ("full_name", "citizen_id", "phone", "email")} if me else {}
        now = datetime.now(UTC)
        doc = {
            "_id": str(uuid.uuid4()),
            "owner_id": who.sub,
            "status": Status.DRAFT.value,
            "status_no": 0,
            "code": None,
            "procedure": _freeze(procedure),
            "agency": {"code": agency.code, "name": agency.name},
            "case": case or (groups[0] if groups else None),
            "applicant": None,
            "prefill": prefill,
            "attachments": [],
            "total_bytes": 0,
            "history": [],
            "created_at": now,
            "updated_at": now,
            "submitted_at": None,
            "rev": 1,
        }
        await self.coll.insert_one(doc)
        log.info("draft created", dossier_id=doc["_id"], procedure=procedure_code)
        return view(doc)

    async def _update_draft(self, who: Principal, dossier_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        # update_one then find_one: two quick operations, cheaper than one find_one_and_update on the
        # local MongoDB stand-in (and no dearer on MongoDB itself).
        res = await self.coll.update_one(
            {"_id": dossier_id, "owner_id": who.sub, "status": Status.DRAFT.value},
            {"$set": {**changes, "updated_at": datetime.now(UTC)}, "$inc": {"rev": 1}},
        )
        if res.matched_count == 0:
            await self._explain(who, dossier_id)
        return view(await self.owned(who, dossier_id))

    async def set_applicant(self, who: Principal, dossier_id: str, applicant: Applicant) -> dict[str, Any]:
        return await self._update_draft(who, dossier_id, {"applicant": applicant.model_dump(mode="json")})

    async def set_case(self, who: Principal, dossier_id: str, case: str) -> dict[str, Any]:
        d = await self.owned(who, dossier_id)
        groups = cases(d["procedure"])
        if case not in groups:
            raise _bad_case(groups)
        return await self._update_draft(who, dossier_id, {"case": case})

    async def _explain(self, who: Principal, dossier_id: str) -> None:
        await self.owned(who, dossier_id)  # not found / not theirs
        raise NOT_DRAFT

    async def fees(self, who: Principal, dossier_id: str) -> dict[str, Any]:
        d = await self.owned(who, dossier_id)
        return fee_table(d["procedure"])

    async def delete_draft(self, who: Principal, dossier_id: str) -> None:
        d = await self.owned(who, dossier_id)
        res = await self.coll.delete_one(
            {"_id": dossier_id, "owner_id": who.sub, "status": Status.DRAFT.value}
        )
        if res.deleted_count == 0:
            raise NOT_DRAFT
        await self._delete_objects(d)

    async def _delete_objects(self, d: dict[str, Any]) -> None:
        for a in [*d.get("attachments", []), *d.get("uploading", [])]:
            try:
                await self.store.delete(a["key"])
            except Exception as e:  # the reaper of stale objects would not see it: log it
                log.warning("could not delete an object", key=a["key"], error=repr(e)[:200])

    # -- step 4 ------------------------------------------------------------------------------------
    async def _next_sequence(self, agency_code: str, day: str) -> int:
        """The next number of the agency's daily sequence. Each replica takes a block of
        ``sequence_block`` numbers at a time with one atomic increment, so a dossier rarely waits on
        the counter; numbers stay unique across replicas (a replica that stops loses the rest of its
        block: the sequence may skip, never repeat)."""
        key = f"{agency_code}|{day}"
        lock = self._seq_locks.setdefault(key, asyncio.Lock())
        async with lock:
            nxt, end = self._seq_blocks.get(key, (1, 0))
            if nxt > end:
                block = self.s.sequence_block
                for _ in range(3):
                    try:
                        doc = await self.counters.find_one_and_update(
                            {"_id": key},
                            {"$inc": {"seq": block}},
                            upsert=True,
                            return_document=ReturnDocument.AFTER,
                        )
                        break
                    except DuplicateKeyError:
                        continue  # two first dossiers of the day raced on creating the counter
                else:
                    raise DAY_FULL
                end = int(doc["seq"])
                nxt = end - block + 1
                # Old days' blocks are of no use any more.
                for k in [k for k in self._seq_blocks if not k.endswith(day)]:
                    self._seq_blocks.pop(k, None)
                    self._seq_locks.pop(k, None)
            self._seq_blocks[key] = (nxt + 1, end)
            return nxt

    async def submit(self, who: Principal, dossier_id: str, captcha_id: str, answer: str) -> dict[str, Any]:
        d = await self.owned(who, dossier_id)
        if d["status"] != Status.DRAFT.value:
            return receipt(d)  # submitting twice returns the same result
        missing = missing_items(d)
        if missing:
            raise Problem(
                422,
                "dossier-incomplete",
                Text("Hồ sơ chưa đủ để nộp", "The dossier is not complete"),
                Text(
                    "Còn thiếu: " + "; ".join(m["vi"] for m in missing),
                    "Missing: " + "; ".join(m["en"] for m in missing),
                ),
                extra={"missing": missing},
            )
        await self.captchas.verify(captcha_id, answer)
        now = datetime.now(UTC)
        local_day = now.astimezone(self.tz).date()
        seq = await self._next_sequence(d["agency"]["code"], local_day.strftime("%y%m%d"))
        if seq > 9999:
            raise DAY_FULL
        code = dossier_code(d["agency"]["code"], local_day, seq)
        fees = fee_table(d["procedure"])

        changes = {
            "status": Status.SUBMITTED.value,
            "status_no": NUMBER[Status.SUBMITTED],
            "code": code,
            "submitted_at": now,
            "updated_at": now,
            "fee_total": fees["total"],
        }
        entry = {
            "status": Status.SUBMITTED.value,
            "at": now,
            "actor_role": "citizen",
            "actor_id": who.sub,
            "note": None,
        }

        async def txn(session: Any) -> bool:
            res = await self.coll.update_one(
                {"_id": dossier_id, "status": Status.DRAFT.value},
                {"$set": changes, "$inc": {"rev": 1}, "$push": {"history": entry}},
                session=session,
            )
            if res.modified_count == 0:
                return False
            await self.rt.outbox.add(
                session,
                DossierSubmittedV1(
                    dossier_id=dossier_id,
                    code=code,
                    owner_id=who.sub,
                    procedure_code=d["procedure"]["code"],
                    procedure_name=d["procedure"]["name"],
                    procedure_version=d["procedure"]["version"],
                    agency_code=d["agency"]["code"],
                    agency_name=d["agency"]["name"],
                    submitted_at=now,
                    fee_total=fees["total"],
                ),
            )
            return True

        if not await self.rt.transaction(txn):
            # Submitted by a concurrent request meanwhile: its result is the result.
            return receipt(await self.owned(who, dossier_id))
        log.info("dossier submitted", dossier_id=dossier_id, code=code)
        return receipt(
            {**d, **changes, "rev": d.get("rev", 1) + 1, "history": [*d.get("history", []), entry]}
        )

    # -- public tracking -------------------------------------------------------------------------
    async def track(self, code: str, *, citizen_id: str | None, phone: str | None) -> dict[str, Any]:
        q: dict[str, Any] = {"code": code}
        if citizen_id:
            q["$or"] = [
                {"applicant.submitter.citizen_id": citizen_id},
                {"applicant.owner.citizen_id": citizen_id},
            ]
        else:
            q["$or"] = [{"applicant.submitter.phone": phone}, {"applicant.owner.phone": phone}]
        d = await self.coll.find_one(q)
        if d is None:
            raise Problem(
                404,
                "dossier-not-found",
                Text(
                    "Không tìm thấy hồ sơ với mã và thông tin đã nhập",
                    "No dossier with this code and identifier",
                ),
            )
        return {
            "code": d["code"],
            "procedure_name": d["procedure"]["name"],
            "agency_name": d["agency"]["name"],
            **describe(Status(d["status"])),
            "submitted_at": d["submitted_at"],
            "appointment_at": d.get("appointment_at"),
        }

    # -- housekeeping ------------------------------------------------------------------------------
    def start_cleanup(self) -> None:
        self._cleanup = asyncio.create_task(self._cleanup_loop(), name="draft-cleanup")

    async def stop_cleanup(self) -> None:
        if self._cleanup:
            self._cleanup.cancel()
            try:
                await self._cleanup
            except asyncio.CancelledError:
                pass

    async def _cleanup_loop(self) -> None:
        while True:
            await asyncio.sleep(self.s.cleanup_interval_seconds)
            try:
                await self.cleanup()
            except Exception as e:
                log.warning("cleanup failed", error=repr(e)[:200])

    async def cleanup(self, now: datetime | None = None) -> dict[str, int]:
        """Remove drafts untouched for ``draft_ttl_days`` with their files, and objects of uploads that
        never finished (a crash between the object store and the database)."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(days=self.s.draft_ttl_days)
        drafts = 0
        async for d in self.coll.find({"status": Status.DRAFT.value, "updated_at": {"$lt": cutoff}}).limit(
            500
        ):
            if (
                await self.coll.delete_one(
                    {"_id": d["_id"], "status": Status.DRAFT.value, "updated_at": d["updated_at"]}
                )
            ).deleted_count:
                await self._delete_objects(d)
                drafts += 1
        stale = 0
        old = now - STALE_UPLOAD
        async for d in self.coll.find({"uploading.started_at": {"$lt": old}}, {"uploading": 1}).limit(500):
            for u in d["uploading"]:
                if u["started_at"].replace(tzinfo=UTC) >= old:
                    continue
                try:
                    await self.store.delete(u["key"])
                except Exception as e:
                    log.warning("could not delete a stale object", key=u["key"], error=repr(e)[:200])
                    continue
                await self.coll.update_one({"_id": d["_id"]}, {"$pull": {"uploading": {"id": u["id"]}}})
                stale += 1
        if drafts or stale:
            log.info("cleanup", drafts=drafts, stale_uploads=stale)
        return {"drafts": drafts, "stale_uploads": stale}


def _attachment_view(a: dict[str, Any]) -> dict[str, Any]:
    return {k: a[k] for k in ("id", "component_id", "name", "size", "sha256", "content_type", "uploaded_at")}


def summary(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["_id"],
        "code": d.get("code"),
        **describe(Status(d["status"])),
        "procedure": {"code": d["procedure"]["code"], "name": d["procedure"]["name"]},
        "agency": d["agency"],
        "created_at": d["created_at"],
        "updated_at": d["updated_at"],
        "submitted_at": d.get("submitted_at"),
        "appointment_at": d.get("appointment_at"),
    }


def view(d: dict[str, Any]) -> dict[str, Any]:
    """The whole dossier, as its owner (or an officer of its agency) sees it."""
    out = {
        **summary(d),
        "procedure": d["procedure"],
        "applicant": d.get("applicant"),
        "cases": cases(d["procedure"]),
        "case": d.get("case"),
        "prefill": d.get("prefill") if d.get("applicant") is None else None,
        "attachments": [_attachment_view(a) for a in d.get("attachments", [])],
        "results": [_attachment_view(a) for a in d.get("results", [])],
        "total_bytes": d.get("total_bytes", 0),
        "fees": fee_table(d["procedure"]),
        "history": d.get("history", []),
        "accepted_at": d.get("accepted_at"),
        "supplement_items": d.get("supplement_items") or [],
        "supplement_count": d.get("supplement_count", 0),
        "finished_at": d.get("finished_at"),
        "on_time": d.get("on_time"),
        "receipt_available": d.get("accepted_at") is not None,
        "rev": d.get("rev", 1),
    }
    if d["status"] == Status.DRAFT.value:
        out["missing"] = missing_items(d)
    return out


def receipt(d: dict[str, Any]) -> dict[str, Any]:
    """What step 4 answers: the dossier code and what happens next."""
    return {
        **summary(d),
        "fee_total": d.get("fee_total", 0),
        "attachments": len(d.get("attachments", [])),
        "next": {
            "vi": "Hồ sơ đã được gửi đến "
            + d["agency"]["name"]
            + ". Cán bộ một cửa sẽ kiểm tra và tiếp nhận; "
            "bạn sẽ nhận thông báo ở mỗi bước xử lý.",
            "en": "The dossier was sent to " + d["agency"]["name"] + ". A one-stop officer will check and "
            "accept it; you will be notified at each step.",
        },
    }


CODE_PATTERN = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$")
