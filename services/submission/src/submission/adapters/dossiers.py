"""The dossiers collection: documents ⇄ ``Dossier`` aggregates, and every MongoDB call made on them.

Two kinds of write. A change of the aggregate (a status move, submission) is written whole, guarded by
the revision and the status it was decided on: a concurrent change makes it match nothing (the caller
answers 409 or reads again). The files are written by atomic updates of their own, guarded by what
their decision was made on (the status, the count and size limits, the supplement): several uploads to
one dossier may run at once. Every write but the uploads-in-progress list moves ``rev`` on."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bson
from bson.codec_options import CodecOptions

from dvckit.mongo import Repository, Session, window_find
from dvckit.paging import Window

from ..domain.model import Attachment, Change, Dossier, HistoryEntry, Pending, Rating, Superseded
from ..domain.status import Status
from ..domain.workflow import CLOCK_RUNS, HANDLING, RECEPTION, RETURNING, REVIEW
from .store import DOSSIERS, QUEUE_SORT

# Where the agency holds the dossier and a step's due time counts (not paused, not over).
ACTIVE = (Status.SUBMITTED, *CLOCK_RUNS, Status.FINISHED)

Query = dict[str, Any]  # a MongoDB filter or update document
_AS_STORED = CodecOptions(tz_aware=True, tzinfo=UTC)


@dataclass(frozen=True)
class QueueFilter:
    agencies: list[str]
    status: str | None = None
    procedure: str | None = None
    overdue: bool | None = None
    q: str | None = None
    mine: bool = False
    due: str | None = None  # "soon" or "overdue": the current step's due time
    # Set by the service: who asks (for "mine"), and the instants "soon" and "overdue" are measured at.
    me: str | None = None
    roles: frozenset[str] = frozenset()
    soon_until: datetime | None = None


def _mine(f: QueueFilter, asked: Query) -> list[Query]:
    """What waits for the caller: as a specialist, the dossiers assigned to them (and those of their
    agencies nobody was assigned); as a leader, the proposals to review; at the desk, the filed dossiers to
    receive, the transferred ones to assign and the decided ones to return; and any question asked of
    their agency."""
    ours = {"agency.code": {"$in": f.agencies}}
    mine: list[Query] = []
    if "specialist" in f.roles:
        mine += [
            {**ours, "handler.id": f.me, "step": HANDLING},
            {**ours, "handler": None, "step": HANDLING},
            asked,
        ]
    if "leader" in f.roles:
        mine += [{**ours, "step": REVIEW}, asked]
    if "reception" in f.roles:
        mine.append(
            {
                **ours,
                "step": {"$in": [RECEPTION, RETURNING]},
                "status": {"$ne": Status.SUPPLEMENT_REQUESTED.value},
            }
        )
    return mine or [{"_id": None}]


def _load(doc: Query | None) -> Dossier | None:
    return None if doc is None else Dossier.model_validate(doc)


class DossierRepository(Repository):
    collection = DOSSIERS

    # -- reading ---------------------------------------------------------------------------------
    async def get(self, dossier_id: str, session: Session | None = None) -> Dossier | None:
        return _load(await self.coll.find_one({"_id": dossier_id}, session=session))

    async def status_of(self, dossier_id: str) -> Status | None:
        doc = await self.coll.find_one({"_id": dossier_id}, {"status": 1})
        return None if doc is None else Status(doc["status"])

    async def _page(
        self,
        query: Query,
        sort: list[tuple[str, int]],
        w: Window,
        leave_out: Query | None = None,
        *,
        keyset: bool = True,
    ) -> tuple[list[Dossier], int]:
        """One page (``w``: by page number, or by cursor — a keyset where the sort is a total order of
        fields never null, else an offset) and how many match in all: counted only when the page does
        not tell (the last page: the total is what comes before it and what it holds)."""
        if keyset:
            docs = await window_find(self.coll, query, sort, w, leave_out)
        else:
            docs = await self.coll.find(query, leave_out).sort(sort).skip(w.skip).limit(w.size + 1).to_list()
            w.more = len(docs) > w.size
            docs = docs[: w.size]
        if not w.more and (docs or w.skip == 0):
            total = w.skip + len(docs)
        else:
            total = await self.coll.count_documents(query)
        return [Dossier.model_validate(d) for d in docs], total

    async def of_owner(
        self, owner_id: str, *, status: str | None, window: Window
    ) -> tuple[list[Dossier], int]:
        # An organisation's dossiers are listed as the organisation's, not their maker's: a member who
        # leaves it stops seeing them.
        q: Query = {"owner_id": owner_id, "organisation_id": None} | ({"status": status} if status else {})
        return await self._page(q, [("created_at", -1), ("_id", 1)], window)

    async def of_organisation(
        self, org_id: str, *, status: str | None, window: Window
    ) -> tuple[list[Dossier], int]:
        q: Query = {"organisation_id": org_id} | ({"status": status} if status else {})
        return await self._page(q, [("created_at", -1), ("_id", 1)], window)

    async def queue(self, f: QueueFilter, *, now: datetime, window: Window) -> tuple[list[Dossier], int]:
        """An agency's filed dossiers, the soonest due first (without their components and history)."""
        query: Query = {"agency.code": {"$in": f.agencies}, "status": {"$ne": Status.DRAFT.value}}
        asked = {"consultations": {"$elemMatch": {"agency.code": {"$in": f.agencies}, "answered_at": None}}}
        if f.mine:
            query = {"$or": _mine(f, asked), "status": {"$ne": Status.DRAFT.value}}
        elif f.roles & {"specialist", "leader"}:
            # Another agency's dossiers their opinion or step is asked on are in their queue too.
            query = {
                "$or": [{"agency.code": {"$in": f.agencies}}, asked],
                "status": {"$ne": Status.DRAFT.value},
            }
        if f.due is not None:
            bound = now if f.due == "overdue" else f.soon_until
            query["step_due_at"] = {"$lt": bound} if f.due == "overdue" else {"$gte": now, "$lte": bound}
            query["status"] = {"$in": [s.value for s in ACTIVE]}
        if f.status:
            query["status"] = f.status
        if f.procedure:
            query["procedure.code"] = f.procedure
        if f.overdue is True:
            # Past the appointment while the clock runs, or filed and still not accepted by the reception
            # due time.
            query.pop("status", None)
            query["$and"] = [
                {
                    "$or": [
                        {"status": {"$in": [s.value for s in CLOCK_RUNS]}, "appointment_at": {"$lt": now}},
                        {"status": Status.SUBMITTED.value, "reception_due_at": {"$lt": now}},
                    ]
                }
            ]
        if f.q:
            term = f.q.strip()
            query.setdefault("$and", []).append(
                {
                    "$or": [
                        {"code": {"$regex": "^" + re.escape(term)}},
                        *(
                            {f"applicant.{who}.{k}": term}
                            for k in ("citizen_id", "phone", "passport_no")
                            for who in ("submitter", "owner")
                        ),
                        {"applicant.owner.tax_code": term},
                    ]
                }
            )
        # The queue's order has keys that may be null (no step due yet): an offset cursor, not a keyset.
        leave_out = {"procedure.components": 0, "history": 0}
        return await self._page(query, QUEUE_SORT, window, leave_out, keyset=False)

    async def by_code(self, code: str, *, citizen_id: str | None, phone: str | None) -> Dossier | None:
        """The dossier of ``code`` whose submitter or owner has this citizen ID (or else phone)."""
        field, value = ("citizen_id", citizen_id) if citizen_id else ("phone", phone)
        q = {
            "code": code,
            "$or": [{f"applicant.submitter.{field}": value}, {f"applicant.owner.{field}": value}],
        }
        return _load(await self.coll.find_one(q))

    # -- the aggregate's changes -----------------------------------------------------------------
    async def insert(self, d: Dossier) -> None:
        await self.coll.insert_one({**d.document(), "slots": [a.id for a in d.attachments]})

    async def save(self, change: Change, session: Session, *, release: str | None = None) -> bool:
        """Write the dossier after the change if it is still at the revision and status it was decided
        on; ``release``: an upload in progress the change takes in (a result document)."""
        before = change.before
        fields = change.after.document()
        fields.pop("_id")
        update: Query = {"$set": fields}
        if release is not None:
            update["$pull"] = {"uploading": {"id": release}}
        res = await self.coll.update_one(
            {"_id": before.id, "status": before.status.value, "rev": before.rev}, update, session=session
        )
        return res.modified_count == 1

    async def record_fee_paid(
        self, dossier_id: str, order_id: str, paid_at: datetime, session: Session
    ) -> bool:
        """The filing fees paid online (no change of status): once, by one order; False when another
        order's payment was recorded before (or the dossier is gone)."""
        res = await self.coll.update_one(
            {"_id": dossier_id, "fee_order_id": None},
            {
                "$set": {"fee_order_id": order_id, "fee_paid_at": paid_at, "updated_at": datetime.now(UTC)},
                "$addToSet": {"paid_orders": order_id},
                "$inc": {"rev": 1},
            },
            session=session,
        )
        return res.modified_count == 1

    async def rate(self, d: Dossier, rating: Rating, statuses: Iterable[Status], session: Session) -> bool:
        """The owner's rating, kept only if the dossier has none and is still where a rating is asked
        for: one conditional update, so of two ratings at once one is kept and the other matches
        nothing."""
        res = await self.coll.update_one(
            {"_id": d.id, **d.scope, "rating": None, "status": {"$in": [s.value for s in statuses]}},
            {
                "$set": {"rating": rating.model_dump(), "updated_at": rating.rated_at},
                "$inc": {"rev": 1},
            },
            session=session,
        )
        return res.modified_count == 1

    @staticmethod
    def as_saved(change: Change) -> Dossier:
        """The dossier ``save`` wrote, as a read of it would give it (times to the millisecond, as the
        database keeps them), without reading it back."""
        doc = bson.decode(bson.encode(change.after.document()), codec_options=_AS_STORED)
        return Dossier.model_validate(doc)

    async def update_draft(self, dossier_id: str, scope: dict[str, str], fields: dict[str, object]) -> bool:
        # update_one then a read: two quick operations, cheaper than one find_one_and_update on the
        # local MongoDB stand-in (and no dearer on MongoDB itself).
        res = await self.coll.update_one(
            {"_id": dossier_id, **scope, "status": Status.DRAFT.value},
            {"$set": {**fields, "updated_at": datetime.now(UTC)}, "$inc": {"rev": 1}},
        )
        return res.matched_count == 1

    async def delete_draft(self, dossier_id: str, scope: dict[str, str]) -> bool:
        res = await self.coll.delete_one({"_id": dossier_id, **scope, "status": Status.DRAFT.value})
        return res.deleted_count == 1

    # -- files -----------------------------------------------------------------------------------
    async def reserve(self, d: Dossier, upload: Pending, *, max_files: int | None) -> bool:
        """List an upload on the dossier before its first byte goes out (the cleanup finds what a crash
        left). With ``max_files``, a citizen's file also takes one of the dossier's slots in the same
        conditional update: files plus uploads in progress stay within the limit however many run.

        The slots are the ``slots`` list (the ids of the files and of the uploads holding one), so the
        limit is a condition on one array's length, which the database checks on the document it finds
        by its id (an ``$expr`` counting both lists made MongoDB stand-ins scan the whole collection).
        A dossier stored before ``slots`` was kept is still counted that way."""
        query: Query = {"_id": d.id}
        entry = upload.model_dump(exclude={"dossier_id"})
        update: Query = {"$push": {"uploading": entry}}
        if max_files is not None:
            query["status"] = d.status.value
            if d.slots is None:
                count = {
                    "$add": [
                        {"$size": {"$ifNull": ["$attachments", []]}},
                        {"$size": {"$ifNull": ["$uploading", []]}},
                    ]
                }
                query["$expr"] = {"$lt": [count, max_files]}
            else:
                query[f"slots.{max_files - 1}"] = {"$exists": False}
                update["$push"]["slots"] = upload.id
        res = await self.coll.update_one(query, update)
        return res.matched_count == 1

    async def release(self, dossier_id: str, upload_id: str) -> None:
        """An upload that will not become a file: off the list, and its slot (if it took one) free."""
        await self.coll.update_one(
            {"_id": dossier_id}, {"$pull": {"uploading": {"id": upload_id}, "slots": upload_id}}
        )

    async def add_file(
        self, d: Dossier, att: Attachment, entry: HistoryEntry | None, *, max_bytes: int, max_files: int
    ) -> bool:
        """The stored file's metadata, in the status it was read in (a supplement's file gets a history
        entry, a draft's none), never past the dossier's limits whatever raced. Its upload's slot is now
        the file's."""
        push: Query = {"attachments": att.model_dump()}
        if entry is not None:
            push["history"] = entry.model_dump()
        saved = await self.coll.update_one(
            {
                "_id": d.id,
                "status": d.status.value,
                "total_bytes": {"$lte": max_bytes - att.size},
                f"attachments.{max_files - 1}": {"$exists": False},
            },
            {
                "$push": push,
                "$pull": {"uploading": {"id": att.id}},
                "$inc": {"total_bytes": att.size, "rev": 1},
                "$set": {"updated_at": datetime.now(UTC)},
            },
        )
        return saved.modified_count == 1

    async def remove_file(
        self, d: Dossier, att: Attachment, entry: HistoryEntry | None, kept: Superseded | None
    ) -> bool:
        """Take a file off the dossier, guarded by the status (a submit meanwhile leaves the file where it
        is) and, during a supplement, the request it belongs to; ``kept``: the file stays on record."""
        query: Query = {"_id": d.id, "status": d.status.value, "attachments.id": att.id}
        update: Query = {
            "$pull": {"attachments": {"id": att.id}, "slots": att.id},
            "$inc": {"total_bytes": -att.size, "rev": 1},
            "$set": {"updated_at": entry.at if entry else datetime.now(UTC)},
        }
        if entry is not None:
            query["paused_at"] = d.paused_at
            update["$push"] = {"history": entry.model_dump()}
            if kept is not None:
                update["$push"]["superseded"] = kept.model_dump()
        res = await self.coll.update_one(query, update)
        return res.modified_count == 1

    # -- a citizen's own (their data export; their account closed) -------------------------------
    async def count_own(self, owner_id: str, statuses: Iterable[str]) -> int:
        """How many of the owner's own dossiers (not an organisation's) are in one of ``statuses``."""
        q = {"owner_id": owner_id, "organisation_id": None, "status": {"$in": list(statuses)}}
        return await self.coll.count_documents(q)

    async def own_drafts(self, owner_id: str, session: Session) -> list[Dossier]:
        """The owner's own drafts (an organisation's belong to the organisation)."""
        q = {"owner_id": owner_id, "organisation_id": None, "status": Status.DRAFT.value}
        return [Dossier.model_validate(d) async for d in self.coll.find(q, session=session)]

    async def delete_drafts(self, ids: list[str], session: Session) -> int:
        """Delete these dossiers if they are still drafts; how many were."""
        q = {"_id": {"$in": ids}, "status": Status.DRAFT.value}
        return (await self.coll.delete_many(q, session=session)).deleted_count

    # -- housekeeping ----------------------------------------------------------------------------
    async def stale_drafts(self, cutoff: datetime, limit: int = 500) -> list[Dossier]:
        q = {"status": Status.DRAFT.value, "updated_at": {"$lt": cutoff}}
        return [Dossier.model_validate(d) async for d in self.coll.find(q).limit(limit)]

    async def delete_stale_draft(self, d: Dossier) -> bool:
        """Delete the draft unless it was touched since it was found stale."""
        q = {"_id": d.id, "status": Status.DRAFT.value, "updated_at": d.updated_at}
        return (await self.coll.delete_one(q)).deleted_count == 1

    async def stale_uploads(self, before: datetime, limit: int = 500) -> list[Pending]:
        out: list[Pending] = []
        async for d in self.coll.find({"uploading.started_at": {"$lt": before}}, {"uploading": 1}).limit(
            limit
        ):
            for u in d["uploading"]:
                started = u["started_at"].replace(tzinfo=UTC)
                if started < before:
                    out.append(Pending(dossier_id=d["_id"], id=u["id"], key=u["key"], started_at=started))
        return out
