"""Papers drawn off the event loop and kept per dossier revision.

Drawing one is about 50 ms of pure-Python reportlab work. On the event loop that stalls every other
request of the replica; in a thread it would still hold the GIL. ``Receipts`` draws them in a small pool
of worker processes, at most ``max_pending`` at a time (beyond: 503 with Retry-After), one drawing per
paper however many ask for it at once, and keeps what it drew by form, dossier and revision."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import pickle
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from zoneinfo import ZoneInfo

from prometheus_client import Counter as Metric

from dvckit import logs
from dvckit.errors import Problem, Text
from dvckit.vn import ZONE

from ...domain.model import Dossier
from . import FORMS
from .common import Doc

log = logs.get(__name__)
renders_total = Metric(
    "submission_receipt_renders_total", "Paper PDFs drawn (cache misses), by form", ["form"]
)
BUSY = Problem(
    503,
    "receipt-busy",
    Text(
        "Hệ thống đang tạo nhiều giấy tờ, vui lòng thử lại sau giây lát",
        "Too many papers are being drawn; please try again shortly",
    ),
    headers={"Retry-After": "2"},
)
DEV_PORTAL = "http://127.0.0.1:8080"
Key = tuple[str, str, int, bytes]  # form, dossier id, revision, digest of what the paper shows


def _render_in_worker(form: str, inputs: Doc, zone: str, portal_url: str) -> tuple[bytes, int]:
    return FORMS[form].render(inputs, ZoneInfo(zone), portal_url), os.getpid()


class Receipts:
    """The papers of Circular 03/2025 (forms 01-06) of a dossier as PDFs: form 01, the receipt, by
    ``pdf``; any of them by ``paper``.

    The cache is this replica's own (bounded by bytes, least recently used goes first), keyed by the form,
    the dossier's id, its ``rev`` and a digest of what the paper shows: an entry is only ever the drawing
    of that one paper of that one dossier as it was at that revision, so replicas need not share or
    invalidate anything (each draws a revision at most once), and even a change made without a new
    ``rev`` (an operator's fix in the database) is drawn afresh."""

    def __init__(
        self,
        *,
        workers: int,
        cache_bytes: int,
        max_pending: int,
        zone: ZoneInfo = ZONE,
        portal_url: str = DEV_PORTAL,
    ) -> None:
        self.zone = zone
        self.portal_url = portal_url
        self.workers = workers
        self.cache_bytes = cache_bytes
        self.max_pending = max_pending
        self._pool: ProcessPoolExecutor | None = None
        self._cache: OrderedDict[Key, bytes] = OrderedDict()
        self._size = 0
        self._pending: dict[Key, asyncio.Task[bytes]] = {}
        self.renders = 0
        self.worker_pids: set[int] = set()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a forked child of a process with running threads (MongoDB and S3 clients) may
            # inherit a lock held at the fork and hang.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def pdf(self, dossier: Dossier | Doc) -> bytes:
        """The receipt and appointment slip (form 01)."""
        return await self.paper("01", dossier)

    async def paper(self, form: str, dossier: Dossier | Doc) -> bytes:
        """Paper ``form`` ("01".."06") of the dossier (the caller checked it exists for it)."""
        d = dossier.document() if isinstance(dossier, Dossier) else dossier
        inputs = FORMS[form].inputs(d)
        digest = hashlib.sha256(pickle.dumps((inputs, self.portal_url))).digest()
        key = (form, str(d["_id"]), int(d.get("rev", 1)), digest)  # type: ignore[call-overload]
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        task = self._pending.get(key)
        if task is None:
            if len(self._pending) >= self.max_pending:
                raise BUSY
            task = asyncio.create_task(self._draw(key, inputs))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        # Shielded: a client that goes away does not cancel the drawing others wait for.
        return await asyncio.shield(task)

    async def _draw(self, key: Key, inputs: Doc) -> bytes:
        loop = asyncio.get_running_loop()
        form = key[0]
        try:
            pdf, pid = await loop.run_in_executor(
                self._executor(), _render_in_worker, form, inputs, self.zone.key, self.portal_url
            )
        except BrokenProcessPool:
            log.warning("the paper worker died; starting a new one")
            self._pool = None
            raise BUSY from None
        self.renders += 1
        self.worker_pids.add(pid)
        renders_total.labels(form).inc()
        self._cache[key] = pdf
        self._size += len(pdf)
        while self._size > self.cache_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._size -= len(old)
        return pdf

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
