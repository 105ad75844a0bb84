"""The submission service's copy of the catalogue: kept current by procedure.* events, filled from the
catalog's API on a miss (the seed's procedures never produced events)."""

from __future__ import annotations

import time

from dvckit.contracts import ProcedurePublishedV1, ProcedureWithdrawnV1, PublishedProcedure
from dvckit.events import Envelope
from dvckit.mongo import Session

from ..adapters.clients import Clients
from ..adapters.procedures import ProcedureStore


class ProcedureCache:
    def __init__(self, store: ProcedureStore, clients: Clients, memory_seconds: float = 30.0) -> None:
        self.store = store
        self.clients = clients
        # A few seconds in memory as well: a draft needs its procedure, and many citizens file the same
        # few procedures; events reach this replica's memory at once, other replicas' within the TTL.
        self.memory_seconds = memory_seconds
        self._memory: dict[str, tuple[float, PublishedProcedure]] = {}

    async def procedure(self, code: str) -> PublishedProcedure:
        hit = self._memory.get(code)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        procedure = await self.store.get(code)
        if procedure is None:
            procedure = PublishedProcedure.model_validate(await self.clients.procedure(code))
            await self.store.add(procedure)
        elif procedure.routing is None and procedure.status == "published":
            # Kept before the catalogue published where each procedure is filed: its record again.
            procedure = PublishedProcedure.model_validate(await self.clients.procedure(code))
            await self.store.refresh(procedure)
        self._memory[code] = (time.monotonic() + self.memory_seconds, procedure)
        return procedure

    async def get(self, code: str) -> dict[str, object]:
        """The procedure as the catalogue published it (JSON)."""
        return (await self.procedure(code)).as_json()

    async def on_published(self, e: ProcedurePublishedV1, env: Envelope, session: Session) -> None:
        await self._store(e.code, e.version, e.procedure, session)

    async def on_withdrawn(self, e: ProcedureWithdrawnV1, env: Envelope, session: Session) -> None:
        known = await self.store.get(e.code, session)
        before = known or PublishedProcedure(code=e.code, name=e.name, version=e.version)
        withdrawn = {"status": "withdrawn", "fileable": False, "version": e.version}
        await self._store(e.code, e.version, before.model_copy(update=withdrawn), session)

    async def _store(self, code: str, version: int, procedure: PublishedProcedure, session: Session) -> None:
        if await self.store.put(code, version, procedure, session):
            self._memory.pop(code, None)
