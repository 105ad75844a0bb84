"""The register of dossiers' reading (form 07): an agency's dossiers filed in a period, in the order filed,
each as the few fields a row shows, in one query with a projection (the ``agency_register`` index), read
batch by batch so a month of a busy ward never sits in memory whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from .store import DOSSIERS

Doc = dict[str, Any]
BATCH = 500
_PARTY = ("name", "full_name", "address", "phone")
# A transfer, a consultation, or a supplement request (named by its action, or by its status before the
# workflow named actions; a file's change during a supplement has that status too, and a ``change``).
_MOVE = {
    "$and": [
        {"$eq": [{"$ifNull": ["$$this.change", None]}, None]},
        {
            "$or": [
                {"$in": ["$$this.action", ["transfer", "consult", "request-supplement"]]},
                {
                    "$and": [
                        {"$eq": [{"$ifNull": ["$$this.action", None]}, None]},
                        {"$eq": ["$$this.status", "supplement_requested"]},
                    ]
                },
            ]
        },
    ]
}
PROJECTION: Doc = {
    "_id": 0,
    "code": 1,
    "status": 1,
    "procedure.name": 1,
    "agency.name": 1,
    "organisation.name": 1,
    "organisation.address": 1,
    **{f"applicant.{who}.{k}": 1 for who in ("owner", "submitter") for k in _PARTY},
    "submitted_at": 1,
    "accepted_at": 1,
    "appointment_at": 1,
    "original_appointment_at": 1,
    "finished_at": 1,
    "returned_at": 1,
    "closed_at": 1,
    # Only the dates (and kinds) of its moves, not the whole history.
    "moves": {
        "$map": {
            "input": {"$filter": {"input": {"$ifNull": ["$history", []]}, "cond": _MOVE}},
            "in": {"at": "$$this.at", "action": {"$ifNull": ["$$this.action", "request-supplement"]}},
        }
    },
}


class DossierRegister:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.coll = db[DOSSIERS]

    async def rows(self, agency: str, start: datetime, end: datetime) -> AsyncIterator[Doc]:
        """The agency's dossiers filed from ``start`` until (before) ``end``, oldest first."""
        query = {"agency.code": agency, "submitted_at": {"$gte": start, "$lt": end}}
        cursor = self.coll.find(query, PROJECTION, batch_size=BATCH).sort("submitted_at", 1)
        async for doc in cursor:
            yield doc
