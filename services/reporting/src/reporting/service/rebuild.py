"""Rebuilding every read model from the kept events (``python -m reporting.rebuild``): the facts, the
counters and the open list are emptied and made again by the same fold as the consumer's; the
catalogue from the kept procedure events. The agency directory is kept (it came from the catalog).

Run it with the service's consumers stopped (``REPORTING_CONSUME=false``, or the replicas scaled to 0):
events applied while it runs could be counted twice or not at all. The result is the same as the
incremental one (tests/integration/test_rebuild.py compares them)."""

from __future__ import annotations

import time
from datetime import tzinfo
from typing import Any

from dvckit import logs

from ..adapters.counters import Counters
from ..adapters.events import Events
from ..adapters.facts import Facts
from ..adapters.opened import Opened
from ..adapters.procedures import Procedures
from ..domain.fold import fold
from ..domain.totals import Totals
from .ingest import PUBLISHED, WITHDRAWN, procedure_of
from .reference import Reference

log = logs.get(__name__)
CHUNK = 2000  # facts written per bulk write


async def rebuild(
    zone: tzinfo,
    events: Events,
    facts: Facts,
    counters: Counters,
    opened: Opened,
    procedures: Procedures,
    reference: Reference,
) -> dict[str, Any]:
    started = time.monotonic()
    reference.stale()
    directory = await reference.directory()
    await procedures.put(
        [
            p
            async for e in events.of_types((PUBLISHED, WITHDRAWN))
            if (p := procedure_of(e["type"], e["data"]))
        ]
    )
    await reference.revision.bump()
    reference.stale()
    await facts.clear()
    await counters.clear()
    await opened.clear()
    totals = Totals()
    held: list[dict[str, Any]] = []
    dossiers = 0
    async for dossier_id, evs in events.by_dossier():
        f = fold(dossier_id, evs, directory.commune_of, zone)
        if f is None:
            continue
        dossiers += 1
        totals.add(f)
        held.append(f)
        if len(held) >= CHUNK:
            await facts.insert_many(held)
            await opened.insert_many(held)
            held = []
    await facts.insert_many(held)
    await opened.insert_many(held)
    sums = totals.counters()
    await counters.insert(sums)
    took = round(time.monotonic() - started, 2)
    log.info("read models rebuilt", facts=dossiers, counters=len(sums), seconds=took)
    return {"facts": dossiers, "counters": len(sums), "seconds": took}
