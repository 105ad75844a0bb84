"""What the reports read besides the counters, kept in memory: the agency directory (agency → commune,
names, who leads the city) and the catalogue (published procedures). Both are small (a few hundred
agencies, a few thousand procedures) and change rarely: read again from the database every ``seconds``,
and at once after this replica applied a change."""

from __future__ import annotations

import asyncio
import time

from dvckit import logs

from ..adapters.catalog import Catalog, CatalogUnavailable
from ..adapters.directory import Agencies
from ..adapters.procedures import Procedures
from ..domain.catalogue import Procedure, Tally
from ..domain.units import Agency, Directory

log = logs.get(__name__)


class Reference:
    def __init__(
        self,
        agencies: Agencies,
        procedures: Procedures,
        catalog: Catalog,
        seconds: float = 60.0,
        retry_seconds: float = 5.0,
    ) -> None:
        self.agencies_repo, self.procedures_repo, self.catalog = agencies, procedures, catalog
        self.seconds, self.retry_seconds = seconds, retry_seconds
        self._directory = Directory()
        self._procedures: list[Procedure] = []
        self._tally = Tally.of(())
        self._until = 0.0
        self._lock = asyncio.Lock()

    def stale(self) -> None:
        self._until = 0.0

    async def _fresh(self) -> None:
        if time.monotonic() < self._until:
            return
        async with self._lock:
            if time.monotonic() < self._until:
                return
            self._directory = Directory.of(Agency.of(d) for d in await self.agencies_repo.all())
            self._procedures = await self.procedures_repo.all()
            self._tally = Tally.of(self._procedures)
            self._until = time.monotonic() + self.seconds

    async def directory(self) -> Directory:
        await self._fresh()
        return self._directory

    async def procedures(self) -> list[Procedure]:
        await self._fresh()
        return self._procedures

    async def tally(self) -> Tally:
        await self._fresh()
        return self._tally

    async def fill_directory(self, retry_max: float = 60.0) -> list[str]:
        """When the copy is empty, read the catalog's directory, again and again while the catalog does
        not answer (the service serves meanwhile; its agencies arrive by events too). The codes read."""
        delay = self.retry_seconds
        while await self.agencies_repo.empty():
            try:
                items = await self.catalog.agencies()
            except CatalogUnavailable as e:
                log.warning("agency directory not read; trying again", error=str(e)[:200], seconds=delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, retry_max)
                continue
            await self.agencies_repo.put(items)
            self.stale()
            log.info("agency directory read from the catalog", agencies=len(items))
            return [str(a["code"]) for a in items if a.get("code")]
        return []
