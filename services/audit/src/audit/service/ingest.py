"""Keeping audit entries: each ``audit.recorded.v1`` once, chained in its producer's stream.

The consumer hands each batch to :meth:`Ingest.batch` in its transaction (before the handlers, which do
nothing more): the batch's entries are grouped by stream, each stream's head is read once, the entries
are chained after it in delivery order, inserted, and the head moved, all in the consumer's transaction
with the events' processed records. Two replicas appending to one stream at once: the second to write
meets a write conflict (or a taken seq, or a head that moved) and its whole transaction runs again from
the new head (``dvckit.mongo.transaction``), so the chain stays one, without gaps.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from dvckit.consumer import read
from dvckit.contracts import AuditRecordedV1
from dvckit.events import Envelope
from dvckit.mongo import Session

from ..adapters.entries import Chains, Entries
from ..domain.chain import Head, append, moment


def content(e: AuditRecordedV1, env: Envelope, recorded_at: datetime) -> dict[str, Any]:
    """The stored record of an entry, before it is chained (stream, seq, prev and hash added then)."""
    data = e.model_dump(mode="python")
    return {
        "_id": str(env.id),
        **data,
        "at": moment(e.at),
        "recorded_at": recorded_at,
        "correlation_id": env.correlation_id,
    }


class Ingest:
    def __init__(self, entries: Entries, chains: Chains) -> None:
        self.entries = entries
        self.chains = chains

    async def batch(self, envelopes: list[Envelope], session: Session) -> None:
        mine = [env for env in envelopes if env.routing_key == AuditRecordedV1.routing_key()]
        if not mine:
            return
        # An entry kept already, whose processed record is gone (a replay): not chained twice.
        kept = await self.entries.known([str(env.id) for env in mine], session)
        now = moment(datetime.now(UTC))
        by_stream: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for env in mine:
            if str(env.id) not in kept:
                by_stream[env.producer].append(content(read(AuditRecordedV1, env.data), env, now))
        if not by_stream:
            return
        heads = await self.chains.heads(by_stream, session)
        for stream, records in by_stream.items():
            old = heads[stream]
            new = Head(stream, old.seq, old.hash, old.pruned_through, old.pruned_hash)
            chained = [append(new, r) for r in records]
            await self.entries.append(chained, session)
            await self.chains.move(old, new, now, session)

    async def handled(self, e: AuditRecordedV1, env: Envelope, session: Session) -> None:
        """The per-event handler: :meth:`batch` kept it already (it binds the queue and checks the
        payload against its contract)."""
