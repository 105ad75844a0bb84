"""The catalog's agency directory, as the submission service keeps it: in memory, loaded on first use and
again every ``seconds``, and at once when an ``agency.changed`` event says an agency changed (another
replica's copy follows within ``seconds``). A few hundred small records: one call loads them all."""

from __future__ import annotations

import asyncio
import time

from dvckit import logs
from dvckit.contracts import AgencyChangedV1
from dvckit.errors import Problem
from dvckit.events import Envelope
from dvckit.mongo import Session

from ..adapters.clients import Clients
from ..domain.agencies import Agency

log = logs.get(__name__)
RETRY_SECONDS = 5.0  # after a failed reload, how long the copy in hand is used before trying again


class AgencyDirectory:
    def __init__(self, clients: Clients, seconds: float = 300.0) -> None:
        self.clients = clients
        self.seconds = seconds
        self._all: list[Agency] = []
        self._by_code: dict[str, Agency] = {}
        self._until = 0.0
        self._lock = asyncio.Lock()

    async def all(self) -> list[Agency]:
        if time.monotonic() >= self._until:
            async with self._lock:
                if time.monotonic() >= self._until:
                    await self._load()
        return self._all

    async def get(self, code: str) -> Agency | None:
        await self.all()
        return self._by_code.get(code)

    async def _load(self) -> None:
        try:
            items = await self.clients.agencies()
        except Problem:
            if not self._all:
                raise  # nothing to answer with: 503 catalog-unavailable
            log.warning("agency directory not reloaded; the copy in hand is used")
            self._until = time.monotonic() + RETRY_SECONDS
            return
        self._all = [Agency.of(a) for a in items]
        self._by_code = {a.code: a for a in self._all}
        self._until = time.monotonic() + self.seconds

    async def on_changed(self, e: AgencyChangedV1, env: Envelope, session: Session) -> None:
        self._until = 0.0  # the next use reloads: one call, whatever changed
