"""The submission service's copy of the catalogue: kept current by procedure.* events, filled from the
catalog's API on a miss (the seed's procedures never produced events)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from dvckit.contracts import ProcedurePublishedV1, ProcedureWithdrawnV1
from dvckit.events import Envelope
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.clients import Clients
from ..adapters.store import PROCEDURES


class ProcedureCache:
    def __init__(self, rt: Runtime, clients: Clients, memory_seconds: float = 30.0) -> None:
        self.coll = rt.db[PROCEDURES]
        self.clients = clients
        # A few seconds in memory as well: a draft needs its procedure, and many citizens file the same
        # few procedures; events reach this replica's memory at once, other replicas' within the TTL.
        self.memory_seconds = memory_seconds
        self._memory: dict[str, tuple[float, dict[str, Any]]] = {}

    async def get(self, code: str) -> dict[str, Any]:
        hit = self._memory.get(code)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        procedure = await self._get(code)
        self._memory[code] = (time.monotonic() + self.memory_seconds, procedure)
        return procedure

    async def _get(self, code: str) -> dict[str, Any]:
        doc = await self.coll.find_one({"_id": code})
        if doc is not None:
            return doc["procedure"]
        procedure = await self.clients.procedure(code)
        try:
            # If an event stored a version meanwhile, it stays (setOnInsert does nothing then).
            await self.coll.update_one(
                {"_id": code},
                {
                    "$setOnInsert": {
                        "procedure": procedure,
                        "version": procedure["version"],
                        "at": datetime.now(UTC),
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            pass  # another request cached it at the same moment
        return procedure

    async def on_published(self, env: Envelope, session: Session) -> None:
        e = ProcedurePublishedV1.model_validate(env.data)
        await self._store(e.code, e.version, e.procedure, session)

    async def on_withdrawn(self, env: Envelope, session: Session) -> None:
        e = ProcedureWithdrawnV1.model_validate(env.data)
        doc = await self.coll.find_one({"_id": e.code}, session=session)
        procedure = {
            **(doc["procedure"] if doc else {"code": e.code, "name": e.name}),
            "status": "withdrawn",
            "fileable": False,
            "version": e.version,
        }
        await self._store(e.code, e.version, procedure, session)

    async def _store(self, code: str, version: int, procedure: dict[str, Any], session: Session) -> None:
        # Events can arrive out of order: an older version never replaces a newer one.
        current = await self.coll.find_one({"_id": code}, {"version": 1}, session=session)
        if current is not None and current.get("version", 0) >= version:
            return
        self._memory.pop(code, None)
        await self.coll.replace_one(
            {"_id": code},
            {"procedure": procedure, "version": version, "at": datetime.now(UTC)},
            upsert=True,
            session=session,
        )
