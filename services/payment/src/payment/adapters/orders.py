"""Payment orders (``orders``): read as :class:`Order`, written under the revision guard."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dvckit.mongo import Repository, Session, unique_key, windowed
from dvckit.paging import Window

from ..domain.order import OPEN, Change, Order, State
from .store import ORDERS


def _load(doc: dict[str, Any] | None) -> Order | None:
    return Order.model_validate(doc) if doc else None


class Orders(Repository):
    collection = ORDERS

    async def get(self, order_id: str, session: Session | None = None) -> Order | None:
        return _load(await self.coll.find_one({"_id": order_id}, session=session))

    async def of_dossier(self, dossier_id: str) -> list[Order]:
        docs = (
            await self.coll.find({"dossier_id": dossier_id})
            .sort([("created_at", -1), ("_id", 1)])
            .to_list(100)
        )
        return [Order.model_validate(d) for d in docs]

    async def of_owner(self, owner_id: str, *, window: Window) -> tuple[list[Order], int]:
        """The owner's own orders (not an organisation's), oldest first; and how many there are."""
        q = {"owner_id": owner_id, "organisation_id": None}
        docs, total = await windowed(self.coll, q, window, sort=[("created_at", 1), ("_id", 1)])
        return [Order.model_validate(d) for d in docs], total

    async def open_one(self, dossier_id: str, purpose: str, session: Session | None = None) -> Order | None:
        q = {"dossier_id": dossier_id, "purpose": purpose, "state": {"$in": [s.value for s in OPEN]}}
        return _load(await self.coll.find_one(q, session=session))

    async def last(
        self, dossier_id: str, purpose: str, states: list[State] | None = None, session: Session | None = None
    ) -> Order | None:
        q: dict[str, Any] = {"dossier_id": dossier_id, "purpose": purpose}
        if states is not None:
            q["state"] = {"$in": [s.value for s in states]}
        docs = await self.coll.find(q, session=session).sort([("created_at", -1)]).limit(1).to_list(1)
        return _load(docs[0] if docs else None)

    async def save(self, change: Change, session: Session) -> bool:
        """Write the order after the change if it is still at the state and revision it was decided on
        (a new order: inserted, ``AlreadyExists`` when another open one holds its dossier and purpose);
        False when another writer got there first (nothing written)."""
        doc = change.after.document()
        if change.before is None:
            with unique_key():
                await self.coll.insert_one(doc, session=session)
            return True
        before = change.before
        doc.pop("_id")
        unset = {"open_key": ""} if doc.get("open_key") is None else {}
        if unset:
            doc.pop("open_key")
        update: dict[str, Any] = {"$set": doc}
        if unset:
            update["$unset"] = unset
        res = await self.coll.update_one(
            {"_id": before.id, "state": before.state.value, "rev": before.rev}, update, session=session
        )
        return res.modified_count == 1

    async def to_reconcile(self, *, created_before: datetime, now: datetime, limit: int = 200) -> list[Order]:
        """Open orders old enough to ask the provider about, or whose time is up; oldest first."""
        q = {
            "state": {"$in": [s.value for s in OPEN]},
            "$or": [{"created_at": {"$lte": created_before}}, {"expires_at": {"$lte": now}}],
        }
        docs = await self.coll.find(q).sort([("created_at", 1)]).limit(limit).to_list(limit)
        return [Order.model_validate(d) for d in docs]

    async def mark_refunding(self, order: Order, now: datetime) -> bool:
        """Claim a paid order for one refund at a time (the claim's rev guards it)."""
        res = await self.coll.update_one(
            {"_id": order.id, "state": State.PAID.value, "rev": order.rev, "refunding_at": None},
            {"$set": {"refunding_at": now}},
        )
        return res.modified_count == 1

    async def release_refunding(self, order_id: str) -> None:
        await self.coll.update_one({"_id": order_id}, {"$set": {"refunding_at": None}})
