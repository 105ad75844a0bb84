"""Web Push subscriptions (``push_subscriptions``): one record an endpoint (``_id`` its digest), owned by
whoever registered it last: a browser shared by two people pushes to the one signed in now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dvckit.mongo import Repository, Session

from ..domain.push import Subscription, subscription_id
from .store import PUSH_SUBSCRIPTIONS

Doc = dict[str, Any]


def subscription_of(doc: Doc) -> Subscription:
    return Subscription(
        id=doc["_id"], endpoint=doc["endpoint"], p256dh=doc["keys"]["p256dh"], auth=doc["keys"]["auth"]
    )


class Subscriptions(Repository):
    collection = PUSH_SUBSCRIPTIONS

    async def save(
        self,
        user_id: str,
        endpoint: str,
        keys: dict[str, str],
        expiration_time: int | None,
        user_agent: str,
        keep: int,
    ) -> tuple[bool, Doc]:
        """Register ``endpoint`` for ``user_id`` (taking it over from whoever had it): whether it is new to
        the user (False: it was theirs already, its keys refreshed), and the record. The user's oldest past
        ``keep`` are dropped."""
        now = datetime.now(UTC)
        _id = subscription_id(endpoint)
        before = await self.coll.find_one_and_update(
            {"_id": _id},
            {
                "$set": {
                    "user_id": user_id,
                    "endpoint": endpoint,
                    "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]},
                    "expiration_time": expiration_time,
                    "user_agent": user_agent[:200],
                    "updated_at": now,
                },
                "$setOnInsert": {"created_at": now},
            },
            upsert=True,
        )
        mine = before is not None and before.get("user_id") == user_id
        if before is not None and not mine:
            # Taken over: it starts as the new owner's newest.
            await self.coll.update_one({"_id": _id}, {"$set": {"created_at": now}})
        extra = self.coll.find({"user_id": user_id}, {"_id": 1}).sort([("created_at", -1), ("_id", 1)])
        old = [d["_id"] async for d in extra.skip(keep)]
        if old:
            await self.coll.delete_many({"_id": {"$in": old}, "user_id": user_id})
        created = before["created_at"] if mine and before is not None else now
        doc = {"_id": _id, "user_id": user_id, "endpoint": endpoint, "user_agent": user_agent[:200]}
        return not mine, doc | {"created_at": created}

    async def of_user(self, user_id: str) -> list[Doc]:
        """The user's subscriptions, newest first."""
        found = self.coll.find({"user_id": user_id}).sort([("created_at", -1), ("_id", 1)])
        return await found.to_list()

    async def of_users(self, user_ids: list[str], session: Session | None = None) -> dict[str, list[Doc]]:
        """The subscriptions of each of ``user_ids`` that has any (one query)."""
        out: dict[str, list[Doc]] = {}
        async for d in self.coll.find({"user_id": {"$in": user_ids}}, session=session).sort("created_at", -1):
            out.setdefault(d["user_id"], []).append(d)
        return out

    async def get(self, _id: str) -> Doc | None:
        return await self.coll.find_one({"_id": _id})

    async def remove(self, user_id: str, endpoint: str) -> bool:
        """The user's subscription of ``endpoint`` (another's is left alone)."""
        res = await self.coll.delete_one({"_id": subscription_id(endpoint), "user_id": user_id})
        return res.deleted_count == 1

    async def gone(self, _id: str, endpoint: str) -> None:
        """The push service said this subscription is no more (404/410)."""
        await self.coll.delete_one({"_id": _id, "endpoint": endpoint})

    async def forget(self, user_id: str, session: Session) -> int:
        """Every subscription of the user (their account was closed)."""
        return (await self.coll.delete_many({"user_id": user_id}, session=session)).deleted_count
