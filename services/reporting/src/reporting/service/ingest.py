"""Applying events: each batch the consumer hands over is kept, folded and counted in its transaction.

The consumer gives a batch of events (up to ``DVC_EVENT_BATCH``, each not seen before: its
``processed_events`` record is in the same transaction) to :meth:`Ingest.batch` before their handlers
run; the whole batch costs a handful of round trips whatever its size:

1. every event kept (``events``, unique by id; ``applied_at`` recorded);
2. agencies and procedures it changes written;
3. for the dossiers it names: all their kept events read in one query, their facts in another; each
   dossier folded again from all its events (order of arrival does not matter), and the counters moved
   by (new contribution − old contribution);
4. the facts written under their version (another replica that folded the same dossier meanwhile makes
   this transaction run again on what it wrote), the counters in one bulk write, the open list in one.

The handlers registered per event class (consumers.py) then have nothing left to do."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

from dvckit import logs
from dvckit.consumer import after_commit
from dvckit.contracts import AgencyChangedV1, ProcedurePublishedV1, ProcedureWithdrawnV1
from dvckit.events import Envelope, EventData
from dvckit.mongo import Session
from dvckit.runtime import Runtime

from ..adapters.counters import Counters
from ..adapters.directory import Agencies
from ..adapters.events import Events
from ..adapters.facts import Facts
from ..adapters.opened import Opened
from ..adapters.procedures import Procedures
from ..domain.catalogue import Procedure
from ..domain.fold import diff, dossier_of, fold
from ..domain.units import Agency, Directory
from .reference import Reference

log = logs.get(__name__)
AGENCY = AgencyChangedV1.routing_key()
PUBLISHED = ProcedurePublishedV1.routing_key()
WITHDRAWN = ProcedureWithdrawnV1.routing_key()
REFOLD_CHUNK = 200


def kept(env: Envelope, now: datetime) -> dict[str, Any]:
    return {
        "_id": str(env.id),
        "type": env.routing_key,
        "dossier_id": dossier_of(env.routing_key, env.data),
        "occurred_at": env.occurred_at,
        "applied_at": now,
        "data": env.data,
    }


def procedure_of(routing_key: str, data: Mapping[str, Any]) -> Procedure | None:
    if routing_key == PUBLISHED:
        return Procedure.of_published(str(data["code"]), int(data["version"]), data.get("procedure") or {})
    if routing_key == WITHDRAWN:
        return Procedure(code=str(data["code"]), version=int(data["version"]), published=False)
    return None


class Ingest:
    def __init__(
        self,
        rt: Runtime,
        zone: tzinfo,
        events: Events,
        facts: Facts,
        counters: Counters,
        opened: Opened,
        agencies: Agencies,
        procedures: Procedures,
        reference: Reference,
    ) -> None:
        self.rt, self.zone = rt, zone
        self.events, self.facts, self.counters, self.opened = events, facts, counters, opened
        self.agencies, self.procedures, self.reference = agencies, procedures, reference
        self._refold: set[str] = set()
        self._kick = asyncio.Event()

    async def handled(self, e: EventData, env: Envelope, session: Session) -> None:
        """Every event class's handler: :meth:`batch` applied the batch before the handlers ran."""

    async def batch(self, envelopes: list[Envelope], session: Session) -> None:
        if not envelopes:
            return
        await self.events.keep([kept(env, datetime.now(UTC)) for env in envelopes], session)
        directory = before = await self.reference.directory()
        changed = [env.data for env in envelopes if env.routing_key == AGENCY]
        if changed:
            await self.agencies.put(changed, session)
            await self.reference.revision.bump(session)
            directory = self._with(directory, changed)
            after_commit(self.reference.stale)
        procedures = [p for env in envelopes if (p := procedure_of(env.routing_key, env.data))]
        if procedures:
            await self.procedures.put(procedures, session)
            await self.reference.revision.bump(session)
            after_commit(self.reference.stale)
        ids = {d for env in envelopes if (d := dossier_of(env.routing_key, env.data))}
        if ids:
            await self.apply(ids, session, directory)
        moved = [
            a["code"]
            for a in changed
            if (old := before.agencies.get(a["code"])) is None
            or old.ward_code != (a.get("ward_code") or None)
        ]
        if moved:
            after_commit(lambda: self.refold_agencies(moved))

    @staticmethod
    def _with(directory: Directory, changed: Iterable[Mapping[str, Any]]) -> Directory:
        agencies = dict(directory.agencies)
        for a in changed:
            new = Agency.of(a)
            old = agencies.get(new.code)
            if old is None or old.version <= new.version:  # as the stored copy: an older change is ignored
                agencies[new.code] = new
        return Directory.of(agencies.values())

    async def apply(self, ids: Iterable[str], session: Session | None, directory: Directory) -> int:
        """Fold the dossiers ``ids`` again from all their kept events; write what changed. How many
        facts changed."""
        ids = sorted(set(ids))
        events = await self.events.of_dossiers(ids, session)
        olds = await self.facts.get_many(ids, session)
        changes: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
        moves: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for dossier_id in ids:
            new = fold(dossier_id, events.get(dossier_id, ()), directory.commune_of, self.zone)
            old = olds.get(dossier_id)
            if new is None or (old is not None and {k: v for k, v in old.items() if k != "v"} == new):
                continue
            changes.append((old, new))
            for cid, metrics in diff(old, new).items():
                for m, n in metrics.items():
                    moves[cid][m] += n
        await self.facts.save(changes, session)
        await self.counters.apply({c: {m: n for m, n in ms.items() if n} for c, ms in moves.items()}, session)
        await self.opened.sync(changes, session)
        return len(changes)

    # -- folding again after the directory changed -----------------------------------------------------
    def refold_agencies(self, codes: Iterable[str]) -> None:
        """The dossiers of these agencies are folded again (their commune changed, or became known)."""
        self._refold.update(codes)
        self._kick.set()

    async def refold_forever(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            codes, self._refold = sorted(self._refold), set()
            try:
                n = await self.refold(codes)
                log.info("facts folded again after a directory change", agencies=len(codes), changed=n)
            except Exception as e:
                log.warning("folding again failed; will try at the next change", error=repr(e)[:300])

    async def refold(self, codes: list[str]) -> int:
        self.reference.stale()
        directory = await self.reference.directory()
        ids = await self.facts.ids_of_agencies(codes)
        changed = 0
        for i in range(0, len(ids), REFOLD_CHUNK):
            chunk = ids[i : i + REFOLD_CHUNK]

            async def txn(session: Session, chunk: list[str] = chunk) -> int:
                return await self.apply(chunk, session, directory)

            changed += await self.rt.transaction(txn)
        return changed

    async def start_directory(self) -> None:
        """At start: the catalog's directory when the copy is empty (retried while the catalog is down),
        then the facts folded before it arrived are placed in their communes."""
        codes = await self.reference.fill_directory()
        if codes:
            self.refold_agencies(codes)
