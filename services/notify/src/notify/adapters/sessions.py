"""Logins that ended (``revocations``, from user.sessions_ended.v1) and the one-time tickets that open a
live stream (``stream_tickets``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dvckit.mongo import Repository, Session

from .store import REVOCATIONS, TICKETS

Doc = dict[str, Any]


class Revocations(Repository):
    collection = REVOCATIONS

    async def add(self, doc: Doc, session: Session) -> None:
        await self.coll.insert_one(doc, session=session)

    async def ended_since(self, user_id: str, session_id: str | None, since: datetime) -> bool:
        """Whether this login of the user (or every login of theirs) ended at ``since`` or after."""
        found = await self.coll.find_one(
            {"user_id": user_id, "session_id": {"$in": [None, session_id]}, "at": {"$gte": since}}, {"_id": 1}
        )
        return found is not None


class Tickets(Repository):
    collection = TICKETS

    async def add(self, ticket: Doc) -> None:
        await self.coll.insert_one(ticket)

    async def take(self, ticket: str) -> Doc | None:
        """The ticket, used up (a ticket opens one stream); None when there is none or it was taken."""
        return await self.coll.find_one_and_delete({"_id": ticket})
