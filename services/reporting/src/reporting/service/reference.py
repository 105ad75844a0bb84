"""What the reports read besides the counters, kept in memory: the agency directory (agency → commune,
names, who leads the city) and the catalogue (published procedures). Both are small (a few hundred
agencies, a few thousand procedures) and change rarely: read again from the database every ``seconds``,
and at once after this replica applied a change.

Both come from the catalog at start too: its procedure events cover only changes, never the seed it
started from, so the catalogue's summary (``GET /procedures/summary``) is read when the copy is empty and
whenever the catalog's revision moved (a conditional GET: a 304 costs nothing)."""

from __future__ import annotations

import asyncio
import time

from dvckit import logs

from ..adapters.catalog import Catalog, CatalogUnavailable
from ..adapters.directory import Agencies
from ..adapters.procedures import Procedures
from ..adapters.revision import Revision
from ..domain.catalogue import Procedure, Tally
from ..domain.units import Agency, Directory

log = logs.get(__name__)
RETRY_MAX = 60.0  # the longest wait between two tries while the catalog does not answer


class Reference:
    def __init__(
        self,
        agencies: Agencies,
        procedures: Procedures,
        catalog: Catalog,
        revision: Revision,
        seconds: float = 60.0,
        retry_seconds: float = 5.0,
    ) -> None:
        self.agencies_repo, self.procedures_repo, self.catalog = agencies, procedures, catalog
        self.revision = revision
        self._rev = -1
        self.seconds, self.retry_seconds = seconds, retry_seconds
        self._directory = Directory()
        self._procedures: list[Procedure] = []
        self._tally = Tally.of(())
        self._until = 0.0
        self._must = True
        self._loaded: float | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def stale(self) -> None:
        """This replica changed them: the next use reads them again before answering."""
        self._until = 0.0
        self._must = True

    async def _fresh(self) -> None:
        if time.monotonic() < self._until:
            return
        if self._must or self._loaded is None:
            async with self._lock:
                if self._must or self._loaded is None:
                    await self._load()
            return
        # Only old (another replica may have changed them): read them again in the background, and
        # answer meanwhile with what is in hand (reading thousands of procedures must not delay an answer).
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self._reload_quietly(), name="reference-refresh")

    async def _reload_quietly(self) -> None:
        try:
            async with self._lock:
                if await self.revision.get() == self._rev:  # nothing changed: one small read
                    self._until = time.monotonic() + self.seconds
                    return
                await self._load()
        except Exception as e:
            log.warning("directory and catalogue not read again", error=repr(e)[:200])
            self._until = time.monotonic() + self.retry_seconds

    async def _load(self) -> None:
        self._must = False
        rev = await self.revision.get()
        directory = Directory.of(Agency.of(d) for d in await self.agencies_repo.all())
        procedures = await self.procedures_repo.all()
        self._directory, self._procedures, self._tally = directory, procedures, Tally.of(procedures)
        self._rev = rev
        self._loaded = time.monotonic()
        self._until = self._loaded + self.seconds

    async def directory(self) -> Directory:
        await self._fresh()
        return self._directory

    async def procedures(self) -> list[Procedure]:
        await self._fresh()
        return self._procedures

    async def tally(self) -> Tally:
        await self._fresh()
        return self._tally

    async def fill_directory(self, retry_max: float = RETRY_MAX) -> list[str]:
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
            await self.revision.bump()
            self.stale()
            log.info("agency directory read from the catalog", agencies=len(items))
            return [str(a["code"]) for a in items if a.get("code")]
        return []

    async def sync_catalogue(self) -> int | None:
        """One look at the catalog's summary: stored when the copy is empty or the catalog's revision
        moved since the summary last stored (events stay authoritative: a procedure whose copy is of a
        newer version is left as it is). How many procedures written; None when nothing was read."""
        seen = await self.revision.summary_seen() or {}
        empty = await self.procedures_repo.empty()
        got = await self.catalog.procedure_summary(None if empty else seen.get("etag"))
        if got is None:
            return None
        etag, body = got
        revision = body.get("revision")
        if not empty and seen.get("revision") == revision and seen.get("etag") == etag:
            return None  # a catalog that does not answer 304: the same revision all the same
        procedures = [
            Procedure.of_published(str(i["code"]), int(i["version"]), i)
            for i in body["items"]
            if isinstance(i, dict) and i.get("code") and i.get("version") is not None
        ]
        written = await self.procedures_repo.put_unless_newer(procedures)
        await self.revision.saw_summary(revision, etag)
        if written:
            await self.revision.bump()
            self.stale()
        log.info(
            "catalogue read from the catalog", revision=revision, procedures=len(procedures), written=written
        )
        return written

    async def sync_catalogue_forever(self, seconds: float) -> None:
        """The background loop: the summary at start (again and again while the catalog does not
        answer), then a look every ``seconds``."""
        delay = self.retry_seconds
        while True:
            try:
                await self.sync_catalogue()
                delay, wait = self.retry_seconds, seconds
            except CatalogUnavailable as e:
                log.warning("catalogue summary not read; trying again", error=str(e)[:200], seconds=delay)
                wait, delay = delay, min(delay * 2, RETRY_MAX)
            await asyncio.sleep(wait)
