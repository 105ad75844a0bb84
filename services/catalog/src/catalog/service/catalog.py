"""Catalog use cases: load the seed, keep the search index current, search, administer procedures."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import secrets
from collections import Counter, OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dvckit import aio, logs
from dvckit.contracts import ProcedurePublishedV1, ProcedureWithdrawnV1
from dvckit.errors import Problem, Text
from dvckit.jsonutil import dumps
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters.procedures import Procedures
from ..adapters.search_index import Entry, SearchIndex, pieces
from ..domain.model import OnlineLevel, Procedure
from ..domain.summary import list_item
from ..domain.text import words

log = logs.get(__name__)
RESULT_CACHE = 5000  # search answers kept per replica (a few KB each)
SEED_BATCH = 250  # procedures an insert: small enough to finish well within the socket timeout
REFRESH_WAIT_S = 5.0  # an administrator's change waits this long at most for this replica's new index

NOT_FOUND = Problem(404, "procedure-not-found", Text("Không tìm thấy thủ tục", "No such procedure"))
EXISTS = Problem(409, "procedure-exists", Text("Mã thủ tục đã tồn tại", "This procedure code already exists"))


def version_conflict(current: int) -> Problem:
    return Problem(
        412,
        "version-conflict",
        Text("Thủ tục đã được người khác sửa; vui lòng tải lại", "Changed by someone else; reload"),
        extra={"current_version": current},
    )


def _entry(p: Procedure) -> tuple[Entry, str]:
    extra_text = " ".join([p.field, *p.agencies, *(r.name for r in p.results)])
    name_words = words(p.name)
    text_words = frozenset(name_words) | frozenset(words(extra_text))
    e = Entry(
        code=p.code,
        name=p.name,
        name_words=name_words,
        text_words=text_words,
        popularity=p.popularity,
        field=p.field,
        agencies=p.agencies,
        levels=p.levels,
        online_level=p.online_level,
        summary=list_item(p),
        parts=pieces(p.name),
    )
    return e, " ".join(words(extra_text))


class Catalog:
    def __init__(
        self, rt: Runtime, procedures: Procedures, *, seed_path: Path, watch_seconds: float = 2.0
    ) -> None:
        self.rt = rt
        self.procedures = procedures
        self.seed_path = seed_path
        self.watch_seconds = watch_seconds
        self.index = SearchIndex.build([])
        self.revision = -1
        self._rebuilds: set[asyncio.Task[bool]] = set()  # slow rebuilds left running after a change
        self._rebuilding = asyncio.Lock()
        self._facets: dict[str, list[dict[str, Any]]] = {}
        self._results: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._owner = f"{rt.settings.instance}/{secrets.token_hex(4)}"  # this process, in the seed marker

    # -- start-up: seed and index ------------------------------------------------------------------
    async def load_seed(self) -> int:
        """Load the committed seed on the very first start (one replica does it; others wait)."""
        marker = await self.procedures.seed_marker()
        if marker and marker.get("state") == "done":
            return 0
        if not await self.procedures.claim_seed(self._owner) and await self._seed_loaded_by_another():
            return 0
        loaded = 0
        seed = read_seed(self.seed_path)
        for start in range(0, len(seed), SEED_BATCH):
            loaded += await self.procedures.insert_batch(seed[start : start + SEED_BATCH])
        await self.procedures.seed_loaded(loaded)
        log.info("catalogue seed loaded", procedures=loaded)
        return loaded

    async def _seed_loaded_by_another(self) -> bool:
        """Another replica is loading the seed: wait for it (True once it is done), or take over (False)
        if it has been at it for too long. Our own marker (a start-up step run again after a timeout) is
        resumed at once."""
        deadline = asyncio.get_running_loop().time() + 120
        while asyncio.get_running_loop().time() < deadline:
            doc = await self.procedures.seed_marker()
            if doc and doc.get("state") == "done":
                return True
            if doc and doc.get("owner") == self._owner:
                return False
            if doc and doc["at"].replace(tzinfo=UTC) < datetime.now(UTC) - timedelta(minutes=5):
                return False
            await asyncio.sleep(0.5)
        return False

    async def refresh_index(self, *, force: bool = False) -> bool:
        """Rebuild the in-memory index if the catalogue changed since it was built. One rebuild at a time:
        a caller that comes during one waits, then finds the index current or rebuilds once for every change
        it missed. (Side by side, a burst of changes ran a rebuild each, and they starved the replica.)"""
        async with self._rebuilding:
            return await self._rebuild(force=force)

    async def _rebuild(self, *, force: bool) -> bool:
        revision = await self.procedures.revision()
        if revision == self.revision and not force:
            return False
        docs = await self.procedures.published()
        index = await asyncio.to_thread(SearchIndex.build, (_entry(p) for p in docs))
        facets: dict[str, Counter[str]] = {"field": Counter(), "agency": Counter()}
        for p in docs:
            facets["field"][p.field] += 1
            for a in p.agencies:
                facets["agency"][a] += 1
        self._facets = {
            k: [{"name": n, "count": c} for n, c in sorted(v.items(), key=lambda t: (-t[1], t[0]))]
            for k, v in facets.items()
        }
        self.index, self.revision = index, revision
        self._results.clear()
        # The index is hundreds of thousands of long-lived objects: keep them out of the cyclic
        # garbage collector's full passes, which otherwise stall requests.
        # (Frozen objects are still freed by reference counting when the next rebuild replaces them.)
        gc.collect()
        gc.freeze()
        log.info("search index built", procedures=len(docs), revision=revision)
        return True

    async def _refresh_after_write(self) -> None:
        """After an administrator's change: this replica searches with it at once when the rebuild is
        quick. A slow rebuild (a busy machine) goes on in the background rather than hold the answer past
        the gateway's timeout: the change is committed either way, and every replica's watch catches up."""
        task = asyncio.ensure_future(self.refresh_index())
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=REFRESH_WAIT_S)
        except TimeoutError:
            self._rebuilds.add(task)
            task.add_done_callback(self._rebuild_done)

    def _rebuild_done(self, task: asyncio.Task[bool]) -> None:
        self._rebuilds.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("search index rebuild failed", error=repr(task.exception()))

    async def watch(self) -> None:
        """The background loop (``rt.loop``): rebuild the index when the catalogue changed; a failure
        keeps serving the index we have."""
        await aio.every(self.watch_seconds, self.refresh_index, "index refresh failed")

    async def stop_rebuilds(self) -> None:
        for t in list(self._rebuilds):
            await aio.stop(t)

    # -- reading -----------------------------------------------------------------------------------
    def search(
        self,
        *,
        q: str | None,
        field: str | None,
        agency: str | None,
        level: str | None,
        online: list[str] | None,
        page: int,
        size: int,
    ) -> dict[str, Any]:
        offset = (page - 1) * size
        if q and q.strip():
            hits, total = self.index.search(
                q, field=field, agency=agency, level=level, online=online, offset=offset, limit=size
            )
            items = [{**h.entry.summary, "highlight": {"name": h.highlight}, "score": h.score} for h in hits]
        else:
            matching = [e for e in self.index.entries if e.matches(field, agency, level, online)]
            matching.sort(key=lambda e: (-e.popularity, e.code))
            total = len(matching)
            items = [dict(e.summary) for e in matching[offset : offset + size]]
        return {"items": items, "total": total, "page": page, "size": size}

    def search_json(self, key: tuple[Any, ...], **kw: Any) -> bytes:
        """``search`` serialised, remembered per catalogue revision: people search for the same few
        hundred things all day, and the index only changes when an administrator edits it."""
        cache_key = (self.revision, key)
        got = self._results.get(cache_key)
        if got is not None:
            self._results.move_to_end(cache_key)
            return got
        body = dumps(self.search(**kw))
        self._results[cache_key] = body
        if len(self._results) > RESULT_CACHE:
            self._results.popitem(last=False)
        return body

    def facets(self, kind: str) -> list[dict[str, Any]]:
        return self._facets.get(kind, [])

    async def get(self, code: str) -> Procedure:
        p = await self.procedures.get(code)
        if p is None:
            raise NOT_FOUND
        return p

    async def get_version(self, code: str, version: int) -> Procedure:
        current = await self.get(code)
        if current.version == version:
            return current
        p = await self.procedures.past(code, version)
        if p is None:
            raise NOT_FOUND
        return p

    # -- administration ----------------------------------------------------------------------------
    async def create(self, p: Procedure) -> Procedure:
        p = p.model_copy(update={"version": 1, "updated_at": datetime.now(UTC), "status": "published"})

        async def txn(session: Session) -> None:
            await self.procedures.insert(p, session)
            await self._changed(session, p)

        try:
            await self.rt.transaction(txn)
        except AlreadyExists:
            raise EXISTS from None
        await self._refresh_after_write()
        return p

    async def change(self, code: str, expected_version: int | None, **changes: Any) -> Procedure:
        """Make a new version of a procedure with ``changes``; the old version is kept."""

        async def txn(session: Session) -> Procedure:
            old = await self.procedures.get(code, session)
            if old is None:
                raise NOT_FOUND
            if expected_version is not None and expected_version != old.version:
                raise version_conflict(old.version)
            new = Procedure.model_validate(
                {
                    **old.model_dump(),
                    **changes,
                    "code": code,
                    "version": old.version + 1,
                    "updated_at": datetime.now(UTC),
                }
            )
            if not await self.procedures.replace(old, new, session):
                raise version_conflict(old.version)
            await self._changed(session, new)
            return new

        new = await self.rt.transaction(txn)
        await self._refresh_after_write()
        return new

    async def set_online_level(self, code: str, level: OnlineLevel, expected: int | None) -> Procedure:
        return await self.change(code, expected, online_level=level)

    async def withdraw(self, code: str, expected: int | None) -> Procedure:
        return await self.change(code, expected, status="withdrawn")

    async def publish(self, code: str, expected: int | None) -> Procedure:
        return await self.change(code, expected, status="published")

    async def _changed(self, session: Session, p: Procedure) -> None:
        await self.procedures.bump_revision(session)
        if p.status == "withdrawn":
            await self.rt.outbox.add(
                session, ProcedureWithdrawnV1(code=p.code, version=p.version, name=p.name)
            )
        else:
            await self.rt.outbox.add(
                session, ProcedurePublishedV1(code=p.code, version=p.version, procedure=public_detail(p))
            )


def public_detail(p: Procedure) -> dict[str, Any]:
    """``GET /procedures/{code}``: the whole procedure plus what lists show."""
    return {**list_item(p), **p.model_dump(mode="json")}


def read_seed(path: Path) -> list[Procedure]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [Procedure.model_validate(json.loads(line)) for line in f if line.strip()]
