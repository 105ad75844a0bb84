"""Catalog use cases: start from the seed or a snapshot, keep the in-memory catalogue current, search,
administer procedures.

Each replica serves reads (search, facets, details) from memory (``service/view.py``), at one catalogue
revision; the watch loop brings it up to date when the revision moves (an administrator's change).

Start-up, fast on a busy machine:

- the very first start (an empty database): one replica claims the seed, builds the catalogue from the
  seed file in memory, stores a snapshot and is ready; the seed's documents are written in the
  background, and an administrator's change waits for them (``_seed_written``). Reads are already
  right: until then the catalogue is exactly the seed;
- a replica that starts while another writes the seed serves the same seed: from that snapshot, or
  from its own copy of the same file; it takes the writing over if the loader shows no progress;
- later starts read the snapshot of the current revision (one read); a stale one is brought up to date
  from the database, reading again only the procedures whose version changed.
"""

from __future__ import annotations

import asyncio
import gc
import secrets
import time
import zlib
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from dvckit import aio, logs
from dvckit.audit import changes as changed_fields
from dvckit.auth import Principal
from dvckit.contracts import ProcedurePublishedV1, ProcedureWithdrawnV1
from dvckit.errors import Problem, Text
from dvckit.jsonutil import dumps
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.store import AlreadyExists

from ..adapters import data_files
from ..adapters.procedures import Procedures
from ..adapters.search_index import Entry, SearchIndex
from ..adapters.snapshots import CorruptSnapshot, Snapshots, Stored
from ..adapters.vocabulary import TermStore
from ..domain.model import OnlineLevel, Procedure
from ..domain.vocabulary import Vocabulary as Glossary
from . import view as views
from .view import (
    SEED_REVISION,
    Item,
    View,
    build_view,
    item_of,
    public_detail,
    read_seed,
    seed_id,
    view_from_seed,
)
from .vocabulary import Terms

log = logs.get(__name__)
RESULT_CACHE = 5000  # search answers kept per replica (a few KB each)
SEED_BATCH = 250  # procedures an insert: small enough to finish well within the socket timeout
REFRESH_WAIT_S = 5.0  # an administrator's change waits this long at most for this replica's new index
# Changes applied to the index in place (a new segment) rather than by a new index: at most this many
# procedures at once, and until this many entries are left behind by changes.
IN_PLACE_MAX = 200
RETIRED_MAX = 1000
COMPACT_AFTER_S = 10.0  # quiet time after changes applied in place before the index is built afresh
SEED_STALL_S = 60.0  # a seed load that shows no progress this long is taken over
SEED_POLL_S = 0.25  # while another replica loads the seed: how often to look for its snapshot
SEED_OWN_AFTER_S = 30.0  # ...and after how long to build the same seed from our own file instead
SEED_WRITE_WAIT_S = 25.0  # an administrator's change waits this long at most for the seed's writes (the
# gateway gives the catalog 30 s)

NOT_FOUND = Problem(404, "procedure-not-found", Text("Không tìm thấy thủ tục", "No such procedure"))
EXISTS = Problem(409, "procedure-exists", Text("Mã thủ tục đã tồn tại", "This procedure code already exists"))
SEEDING = Problem(
    503,
    "catalogue-loading",
    Text(
        "Danh mục thủ tục đang được nạp lần đầu; vui lòng thử lại sau ít phút",
        "The catalogue is being loaded for the first time; please try again in a few minutes",
    ),
    headers={"Retry-After": "10"},
)

SUMMARY_KEYS = ("code", "version", "status", "field", "detailed", "online_level")
ROUTING_KEYS = ("level", "receivers", "commune_body")


def summary_item(detail: dict[str, Any]) -> dict[str, Any]:
    """One procedure of ``GET /procedures/summary``: what the indexes need of ``public_detail`` (the
    record ``procedure.published.v1`` carries), with the same values. Here rather than in view.py:
    a change of view.py makes every stored snapshot stale."""
    routing = detail.get("routing") or {}
    return {**{k: detail.get(k) for k in SUMMARY_KEYS}, "routing": {k: routing.get(k) for k in ROUTING_KEYS}}


def version_conflict(current: int) -> Problem:
    return Problem(
        412,
        "version-conflict",
        Text("Thủ tục đã được người khác sửa; vui lòng tải lại", "Changed by someone else; reload"),
        extra={"current_version": current},
    )


class Catalog:
    def __init__(
        self,
        rt: Runtime,
        procedures: Procedures,
        *,
        seed_path: Path,
        watch_seconds: float = 2.0,
        snapshots: Snapshots | None = None,
    ) -> None:
        self.rt = rt
        self.procedures = procedures
        self.snapshots = snapshots or Snapshots(rt.db, views.snapshot_key())
        self.seed_path = seed_path
        self.watch_seconds = watch_seconds
        self.view = View.empty()
        self._seed_id: str | None = None
        self._seed_done = False  # the seed's documents are all in the database
        self._seeding: asyncio.Task[None] | None = None  # this replica writing them
        # The seed the database was loaded with when it is not the one served (a load other code took
        # over): the next look rebuilds from the database whatever the revision.
        self._stale: str | None = None
        self._to_store: View | None = None  # the newest view whose snapshot is still to be stored
        self._storing: asyncio.Task[None] | None = None
        self._compacting: asyncio.Task[None] | None = None  # the fresh build after changes made in place
        self._damaged: str | None = None  # a damaged snapshot read ("?": which one unknown): replace it
        self._rebuilds: set[asyncio.Task[Any]] = set()  # slow rebuilds and snapshot writes left running
        self._rebuilding = asyncio.Lock()
        self._results: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._heads: dict[str, tuple[Entry, Glossary, bytes]] = {}  # by code: see _head
        self._summary: tuple[View, str, bytes] | None = None  # see summary()
        self._summary_items: dict[str, tuple[Item, dict[str, Any]]] = {}
        self._summary_lock = asyncio.Lock()
        self._owner = f"{rt.settings.instance}/{secrets.token_hex(4)}"  # this process, in the seed marker
        self.started: dict[str, Any] = {}  # how the last start went (logged; read by tests)
        self.terms = Terms(rt, TermStore(rt.db))  # the search vocabulary (service/vocabulary.py)

    @property
    def revision(self) -> int:
        return self.view.revision

    @property
    def index(self) -> SearchIndex:
        return self.view.index

    @property
    def seed_id(self) -> str:
        if self._seed_id is None:
            self._seed_id = seed_id(self.seed_path)
        return self._seed_id

    # -- start-up ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Have the catalogue in memory (a start-up hook: run again after a database timeout)."""
        began = time.monotonic()
        first_look = began
        while True:
            marker = await self.procedures.seed_marker()
            if marker is None:
                if await self.procedures.claim_seed(self._owner, self.seed_id):
                    source = await self._begin_seed()
                    break
                continue  # another replica claimed it first: look again
            if marker.get("state") == "done":
                self._seed_done = True
                source = await self._load_current(str(marker.get("seed", "")))
                break
            if marker.get("owner") == self._owner or (
                self._stalled(marker)
                and await self.procedures.take_over_seed(marker, self._owner, self.seed_id)
            ):
                source = await self._begin_seed()
                break
            got = await self._seed_of_another(marker, time.monotonic() - first_look)
            if got:
                source = got
                break
            await asyncio.sleep(SEED_POLL_S)
        await self.terms.start()
        self.started = {
            "source": source,
            "seconds": round(time.monotonic() - began, 3),
            "revision": self.view.revision,
            "procedures": len(self.view.items),
            "published": self.view.published,
        }
        log.info("catalogue ready", **self.started)

    async def _begin_seed(self) -> str:
        """This replica loads the seed: the catalogue from the file, in memory, then its writes (the
        snapshot first, for the other replicas) in the background."""
        if self._seeding is not None and not self._seeding.done():
            return "seed"  # this start-up step run again: the writes go on
        seed = self.seed_id
        view, procs = await asyncio.to_thread(view_from_seed, self.seed_path, seed)
        self._install(view, full_collect=False)
        await self.procedures.seed_progress(self._owner, seed)
        self._seeding = asyncio.create_task(self._write_seed(view, procs), name="catalog-seed")
        return "seed"

    async def _write_seed(self, view: View, procs: list[Procedure]) -> None:
        began = time.monotonic()
        await self._save_snapshot(view)
        await self.procedures.seed_progress(self._owner, view.seed)
        loaded = 0
        for start in range(0, len(procs), SEED_BATCH):
            loaded += await self.procedures.insert_batch(procs[start : start + SEED_BATCH])
            await self.procedures.seed_progress(self._owner, view.seed)
        await self.procedures.seed_loaded(loaded, view.seed, SEED_REVISION)
        self._seed_done = True
        log.info("catalogue seed written", procedures=loaded, seconds=round(time.monotonic() - began, 3))

    async def _seed_of_another(self, marker: dict[str, Any], waited: float) -> str | None:
        """Another replica is loading the seed: serve the same seed, from its snapshot or (after a while,
        when it is the same file) from our own copy. None: nothing yet, look again."""
        seed = str(marker.get("seed", ""))
        stored = await self._read_snapshot(only=(SEED_REVISION, seed))
        view = await self._decoded(stored) if stored else None
        if view is not None:
            self._install(view, full_collect=False)
            return "snapshot"
        if seed == self.seed_id and waited >= SEED_OWN_AFTER_S:
            view, _ = await asyncio.to_thread(view_from_seed, self.seed_path, seed)
            self._install(view, full_collect=False)
            return "seed"
        return None

    @staticmethod
    def _stalled(marker: dict[str, Any]) -> bool:
        at = marker.get("at")
        return at is None or at.replace(tzinfo=UTC) < datetime.now(UTC) - timedelta(seconds=SEED_STALL_S)

    async def _load_current(self, seed: str) -> str:
        """The catalogue as the database has it: the snapshot of its revision, else brought up to date
        from the database (what a stale snapshot holds is reused where the version did not change)."""
        revision = await self.procedures.revision()
        stored = await self._read_snapshot()
        base: dict[str, Item] = {}
        if stored and stored.seed == seed:
            view = await self._decoded(stored)
            if view is not None and view.revision == revision:
                self._install(view, full_collect=False)
                return "snapshot"
            base = view.items if view is not None else {}
        view = await self._from_database(revision, seed, base, None)
        self._install(view, full_collect=False)
        self._snapshot_later(view)
        return "database+snapshot" if base else "database"

    async def _read_snapshot(self, only: tuple[int, str] | None = None) -> Stored | None:
        """The stored snapshot; None when there is none (or not the one ``only`` names: its head is
        looked at first) or it is damaged (the next write replaces it)."""
        try:
            if only is not None:
                head = await self.snapshots.head()
                if head is None or (head.get("revision"), head.get("seed")) != only:
                    return None
            stored = await self.snapshots.read()
        except CorruptSnapshot as e:
            self._damaged_snapshot(e, e.token)
            return None
        if stored is None or (only is not None and (stored.revision, stored.seed) != only):
            return None
        return stored

    async def _decoded(self, stored: Stored) -> View | None:
        """The catalogue a snapshot holds, or None when its bytes are not one (of another layout)."""
        try:
            return await asyncio.to_thread(views.view_from_snapshot, stored.blob)
        except views.CorruptSnapshot as e:
            self._damaged_snapshot(e, stored.token)
            return None

    def _damaged_snapshot(self, e: Exception, token: str | None) -> None:
        log.warning("catalogue snapshot damaged; rebuilding it", error=str(e)[:200])
        self._damaged = token or "?"

    async def _save_snapshot(self, view: View) -> None:
        """Store ``view`` for other replicas, unless a snapshot as new is there already."""
        head = await self.snapshots.head()
        if (
            self._damaged is None
            and head is not None
            and head.get("revision", -1) >= view.revision
            and head.get("seed") == view.seed
        ):
            return
        blob = await asyncio.to_thread(views.encode, view)
        damaged = self._damaged
        if damaged == "?" and head is not None:
            damaged = str(head.get("token"))
        if await self.snapshots.write(view.revision, view.seed, blob, replacing=damaged):
            self._damaged = None
            log.info("catalogue snapshot stored", revision=view.revision, bytes=len(blob))

    async def _from_database(
        self,
        revision: int,
        seed: str,
        base: dict[str, Item],
        previous: View | None,
        codes: list[str] | None = None,
    ) -> View:
        """The catalogue at (at least) ``revision``: one bulk read, or, given ``base``, the versions of
        every procedure and the procedures whose version ``base`` does not have; a few of those go into
        ``previous``'s index in place (``views.updated_view``), the procedures ``codes`` (the changes
        since ``previous``, when known) without reading every version first."""
        items: dict[str, Item] = {}
        if previous is not None and codes is not None and self._in_place(previous, codes):
            return await self._updated(previous, codes, revision)
        if base:
            current = await self.procedures.current_versions()
            need = views.changed(base, current)
            gone = not base.keys() <= {code for code, _ in current}
            if previous is not None and not gone and self._in_place(previous, need):
                return await self._updated(previous, need, revision)
            if len(need) * 2 <= len(current):
                fetch = set(need)
                items = {code: base[code] for code, _ in current if code not in fetch}
                procs = await self.procedures.current_procedures(need)
            else:
                procs = await self.procedures.current_procedures()
        else:
            procs = await self.procedures.current_procedures()

        def build() -> View:
            items.update((i.code, i) for i in map(item_of, procs))
            return build_view(items.values(), revision=revision, seed=seed, previous=previous)

        return await asyncio.to_thread(build)

    async def _updated(self, previous: View, codes: list[str], revision: int) -> View:
        """``previous`` with the procedures ``codes`` read again and put into its index in place."""
        procs = await self.procedures.current_procedures(codes)
        return await asyncio.to_thread(views.updated_view, previous, map(item_of, procs), revision=revision)

    @staticmethod
    def _in_place(view: View, need: list[str]) -> bool:
        return 0 < len(need) <= IN_PLACE_MAX and view.index.retired + len(need) <= RETIRED_MAX

    def _install(self, view: View, *, full_collect: bool = True) -> None:
        self.view = view
        self._results.clear()
        # The catalogue is hundreds of thousands of long-lived objects: keep them out of the cyclic
        # garbage collector's full passes, which otherwise stall requests. (Frozen objects are still
        # freed by reference counting when the next rebuild replaces them.) At start-up a young
        # collection is enough: what was built before is the process's own, long-lived too.
        gc.collect() if full_collect else gc.collect(1)
        gc.freeze()
        self._track(asyncio.ensure_future(self.summary()))  # ready before the first reader asks

    # -- keeping it current ------------------------------------------------------------------------
    async def refresh_index(self, *, force: bool = False) -> bool:
        """Rebuild the in-memory catalogue if the catalogue changed since it was built. One rebuild at a
        time: a caller that comes during one waits, then finds it current or rebuilds once for every change
        it missed. (Side by side, a burst of changes ran a rebuild each, and they starved the replica.)"""
        async with self._rebuilding:
            revision, codes = await self.procedures.changes_since(self.view.revision)
            stale, seed = self._stale is not None, self._stale or self.view.seed
            if revision == self.view.revision and not (force or stale):
                return False
            self._stale = None
            if stale or force:
                codes = None
            base = {} if stale else self.view.items
            view = await self._from_database(revision, seed, base, None if stale else self.view, codes)
            self._install(view, full_collect=not view.index.retired)
            how = "in place" if view.index.retired else "rebuilt"
            log.info(f"catalogue {how}", revision=revision, procedures=len(view.items))
        self._snapshot_later(view)
        if view.index.retired:
            self._compact_later()
        return True

    def _compact_later(self) -> None:
        if self._compacting is None or self._compacting.done():
            self._compacting = asyncio.create_task(self._compact(), name="catalog-compact")
            self._track(self._compacting)

    async def _compact(self) -> None:
        """Once the catalogue has been quiet for COMPACT_AFTER_S after changes applied in place, the index
        built afresh, in the background: the same document order and ranking statistics as a replica that
        started from the snapshot has (tantivy's counts include deleted documents until segments merge), so
        every replica ranks alike again."""
        while True:
            seen = self.view.revision
            await asyncio.sleep(COMPACT_AFTER_S)
            if self.view.revision == seen:
                break
        async with self._rebuilding:
            view = self.view
            if not view.index.retired:
                return
            fresh = await asyncio.to_thread(
                build_view, view.items.values(), revision=view.revision, seed=view.seed, previous=view
            )
            if self.view is view:
                self._install(fresh)
                log.info("catalogue index compacted", revision=view.revision)

    async def _refresh_after_write(self) -> None:
        """After an administrator's change: this replica searches with it at once when the rebuild is
        quick. A slow rebuild (a busy machine) goes on in the background rather than hold the answer past
        the gateway's timeout: the change is committed either way, and every replica's watch catches up."""
        task = asyncio.ensure_future(self.refresh_index())
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=REFRESH_WAIT_S)
        except TimeoutError:
            self._track(task)

    def _snapshot_later(self, view: View) -> None:
        """Store ``view``'s snapshot in the background: one writer, which stores the newest view it was
        given (a burst of changes writes a few snapshots, not one each)."""
        self._to_store = view
        if self._storing is None or self._storing.done():
            self._storing = asyncio.create_task(self._store_snapshots(), name="catalog-snapshot")
            self._track(self._storing)

    async def _store_snapshots(self) -> None:
        while self._to_store is not None:
            view, self._to_store = self._to_store, None
            await self._save_snapshot(view)

    def _track(self, task: asyncio.Future[Any]) -> None:
        self._rebuilds.add(task)  # type: ignore[arg-type]
        task.add_done_callback(self._rebuild_done)

    def _rebuild_done(self, task: asyncio.Future[Any]) -> None:
        self._rebuilds.discard(task)  # type: ignore[arg-type]
        if not task.cancelled() and task.exception() is not None:
            log.error("catalogue background work failed", error=repr(task.exception())[:300])

    async def watch(self) -> None:
        """The background loop (``rt.loop``): see the seed through, then rebuild when the catalogue
        changed; a failure keeps serving what we have."""
        await aio.every(self.watch_seconds, self._tick, "index refresh failed")

    async def _tick(self) -> None:
        if not self._seed_done:
            await self._see_seed_through()
            if not self._seed_done:
                return
        await self.refresh_index()
        if await self.terms.refresh():
            self._results.clear()

    async def _see_seed_through(self) -> None:
        """While the seed is being written: note when it is done; resume our own writes if they failed;
        take over another replica's that show no progress."""
        if self._seeding is not None and not self._seeding.done():
            return
        marker = await self.procedures.seed_marker()
        if marker is not None and marker.get("state") == "done":
            self._seed_finished(marker)
            return
        if self._seeding is not None and not self._seeding.cancelled() and self._seeding.exception():
            log.warning("seed writes failed; resuming", error=repr(self._seeding.exception())[:200])
        mine = marker is not None and marker.get("owner") == self._owner
        if mine or (
            marker is not None
            and self._stalled(marker)
            and await self.procedures.take_over_seed(marker, self._owner, self.seed_id)
        ):
            log.warning("writing the seed", taken_from=None if mine else marker.get("owner"))
            if self.view.seed == self.seed_id:
                procs = await asyncio.to_thread(read_seed, self.seed_path)
            else:  # we served the other replica's seed: now ours, and once written what the database holds
                view, procs = await asyncio.to_thread(view_from_seed, self.seed_path, self.seed_id)
                self._stale = self.seed_id
                self._install(view)
            self._seeding = asyncio.create_task(self._write_seed(self.view, procs), name="catalog-seed")

    def _seed_finished(self, marker: dict[str, Any]) -> None:
        self._seed_done = True
        if str(marker.get("seed", "")) != self.view.seed:
            self._stale = str(marker.get("seed", ""))  # not the seed served (other code took the load over)

    async def _seed_written(self) -> None:
        """An administrator's change waits for the seed's writes (a change to a procedure not yet written
        would be lost, and the revision would move past the seed's)."""
        deadline = time.monotonic() + SEED_WRITE_WAIT_S
        while not self._seed_done:
            marker = await self.procedures.seed_marker()
            if marker is not None and marker.get("state") == "done":
                self._seed_finished(marker)
                break
            if time.monotonic() > deadline:
                raise SEEDING
            await asyncio.sleep(0.5)

    async def stop_rebuilds(self) -> None:
        for t in list(self._rebuilds):
            await aio.stop(t)  # type: ignore[arg-type]
        await aio.stop(self._seeding)

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
        offset: int | None = None,
    ) -> tuple[bytes, int]:
        """A page of results as JSON: each procedure's summary and English gloss, encoded once
        (``_head``), with what the query adds (highlight, score); and how many match in all. The page
        starts after ``offset`` results (a cursor's), else at ``page``."""
        offset = (page - 1) * size if offset is None else offset
        glossary = self.terms.current
        if q and q.strip():
            answer = self.index.answer(
                q,
                field=field,
                agency=agency,
                level=level,
                online=online,
                offset=offset,
                limit=size,
                vocabulary=glossary,
            )
            items = [
                self._head(h.entry, glossary)
                + b","
                + dumps({"highlight": {"name": h.highlight}, "score": h.score})[1:]
                for h in answer.hits
            ]
            rest = {"total": answer.total, "page": page, "size": size}
            rest |= {"matched": answer.matched, "suggestions": answer.suggestions}
        else:
            matching = [e for e in self.index.entries if e.matches(field, agency, level, online)]
            matching.sort(key=lambda e: (-e.popularity, e.code))
            items = [self._head(e, glossary) + b"}" for e in matching[offset : offset + size]]
            rest = {"total": len(matching), "page": page, "size": size}
        return b'{"items":[' + b",".join(items) + b"]," + dumps(rest)[1:], int(rest["total"])

    def english_name(self, e: Entry, glossary: Glossary) -> str | None:
        """The procedure's English name: curated for the most-used ones (while their Vietnamese name is
        the one translated), else the glossary's gloss, if it can build one."""
        curated = data_files.english_names().get(e.code)
        if curated is not None and curated[0] == e.name:
            return curated[1]
        return glossary.gloss(e.name_words)

    def _head(self, e: Entry, glossary: Glossary) -> bytes:
        """A result's summary and ``name_en``, as an unclosed JSON object: encoded once per version of
        the procedure and of the glossary (a page of results then costs a small encoding per result)."""
        got = self._heads.get(e.code)
        if got is not None and got[0] is e and got[1] is glossary:
            return got[2]
        head = e.summary_json[:-1] + b',"name_en":' + dumps(self.english_name(e, glossary))
        self._heads[e.code] = (e, glossary, head)
        return head

    def search_json(self, key: tuple[Any, ...], **kw: Any) -> tuple[bytes, int]:
        """``search`` serialised, remembered per catalogue revision: people search for the same few
        hundred things all day, and the index only changes when an administrator edits it."""
        cache_key = (self.revision, self.terms.revision, key)
        got = self._results.get(cache_key)
        if got is not None:
            self._results.move_to_end(cache_key)
            return got
        body = self.search(**kw)
        self._results[cache_key] = body
        if len(self._results) > RESULT_CACHE:
            self._results.popitem(last=False)
        return body

    def facets(self, kind: str) -> list[dict[str, Any]]:
        return self.view.facets.get(kind, [])

    async def summary(self) -> tuple[str, bytes]:
        """``GET /procedures/summary``: every published procedure, compactly (its ETag and body). Built
        once per view from the details kept in memory (the very record ``procedure.published.v1``
        carries, so a consumer's copy from it equals one from the events), in a thread, and served as
        is after; ``_install`` starts the build, so a request rarely waits for it."""
        view = self.view
        if self._summary is None or self._summary[0] is not view:
            async with self._summary_lock:
                if self._summary is None or self._summary[0] is not view:
                    etag, body = await asyncio.to_thread(self._build_summary, view)
                    self._summary = (view, etag, body)
        return self._summary[1], self._summary[2]

    def _build_summary(self, view: View) -> tuple[str, bytes]:
        # Reading back 6,600 details takes about a second: an item not changed since the previous view
        # (the same object) keeps its summary, so after an administrator's edit only the edited are read.
        before, now = self._summary_items, {}
        for code, item in view.items.items():
            if not item.published:
                continue
            kept = before.get(code)
            now[code] = (
                kept
                if kept is not None and kept[0] is item
                else (item, summary_item(orjson.loads(zlib.decompress(item.detail))))
            )
        self._summary_items = now
        # The seed in the ETag too: a catalogue loaded afresh starts again from the same revision.
        etag = f'W/"summary-{view.revision}-{view.seed[:12]}"'
        return etag, dumps({"revision": view.revision, "items": [s for _i, s in now.values()]})

    def detail(self, code: str) -> tuple[str, bytes]:
        """``GET /procedures/{code}``: its ETag and body, from memory (withdrawn procedures too)."""
        item = self.view.items.get(code)
        if item is None:
            raise NOT_FOUND
        return f'"{code}-v{item.version}"', zlib.decompress(item.detail)

    async def detail_version(self, code: str, version: int) -> tuple[str, bytes]:
        """A version of a procedure: the current one from memory, one it replaced from the database."""
        item = self.view.items.get(code)
        if item is None:
            raise NOT_FOUND
        if item.version == version:
            return self.detail(code)
        p = await self.procedures.past(code, version)
        if p is None:
            raise NOT_FOUND
        return f'"{code}-v{p.version}"', dumps(public_detail(p))

    # -- administration ----------------------------------------------------------------------------
    async def create(self, p: Procedure, who: Principal | None = None) -> Procedure:
        await self._seed_written()
        p = p.model_copy(update={"version": 1, "updated_at": datetime.now(UTC), "status": "published"})

        async def txn(session: Session) -> None:
            await self.procedures.insert(p, session)
            await self._changed(session, p)
            await self._audit(session, who, None, p, "procedure.created")

        try:
            await self.rt.transaction(txn)
        except AlreadyExists:
            raise EXISTS from None
        await self._refresh_after_write()
        return p

    async def change(
        self,
        code: str,
        expected_version: int | None,
        *,
        who: Principal | None = None,
        action: str = "procedure.changed",
        **changes: Any,
    ) -> Procedure:
        """Make a new version of a procedure with ``changes``; the old version is kept. ``who``: the
        administrator, recorded in the audit trail as ``action`` in the same transaction."""
        await self._seed_written()

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
            await self._audit(session, who, old, new, action)
            return new

        new = await self.rt.transaction(txn)
        await self._refresh_after_write()
        return new

    async def set_online_level(
        self, code: str, level: OnlineLevel, expected: int | None, who: Principal | None = None
    ) -> Procedure:
        action = "procedure.online_level_changed"
        return await self.change(code, expected, who=who, action=action, online_level=level)

    async def withdraw(self, code: str, expected: int | None, who: Principal | None = None) -> Procedure:
        return await self.change(code, expected, who=who, action="procedure.withdrawn", status="withdrawn")

    async def publish(self, code: str, expected: int | None, who: Principal | None = None) -> Procedure:
        return await self.change(code, expected, who=who, action="procedure.published", status="published")

    async def _audit(
        self, session: Session, who: Principal | None, old: Procedure | None, new: Procedure, action: str
    ) -> None:
        """An administrator's change of a procedure in the audit trail: the changed fields only, before →
        after."""
        if who is None:
            return
        was, now = changed_fields(
            old.model_dump(mode="json", exclude={"updated_at"}) if old else None,
            new.model_dump(mode="json", exclude={"updated_at"}),
        )
        await self.rt.audit.add(
            session,
            who,
            kind="change",
            action=action,
            target_type="procedure",
            target_id=new.code,
            before=was,
            after=now,
        )

    async def _changed(self, session: Session, p: Procedure) -> None:
        await self.procedures.bump_revision(p.code, session)
        if p.status == "withdrawn":
            await self.rt.outbox.add(
                session, ProcedureWithdrawnV1(code=p.code, version=p.version, name=p.name)
            )
        else:
            await self.rt.outbox.add(
                session, ProcedurePublishedV1(code=p.code, version=p.version, procedure=public_detail(p))
            )


__all__ = ["Catalog", "public_detail", "read_seed"]  # read_seed: bench/catalog_search.py
