"""Verifying the streams' chains, and retention: pruning whole prefixes of a stream older than the cutoff,
with a checkpoint verification starts from (so pruning is never reported as tampering)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from dvckit import logs
from dvckit.mongo import Session

from ..adapters.entries import Chains, Entries
from ..domain.chain import Head, Report, verify

log = logs.get(__name__)


class _Overtaken(Exception):
    """Another replica moved the checkpoint first."""


class Verifier:
    def __init__(self, entries: Entries, chains: Chains) -> None:
        self.entries = entries
        self.chains = chains

    async def streams(self) -> list[str]:
        """Every stream: those with a head and those with records (records without a head are findings)."""
        heads = {h.stream for h in await self.chains.all()}
        return sorted(heads | set(await self.entries.streams()))

    async def verify(self, stream: str) -> Report:
        head = await self.chains.head(stream)
        records = [r async for r in self.entries.stream(stream, after=head.pruned_through)]
        return verify(head, records)

    async def verify_all(self, streams: list[str] | None = None) -> list[Report]:
        return [await self.verify(s) for s in (streams or await self.streams())]


class Retention:
    """Prunes each stream's records older than ``days``: a whole prefix, chunk by chunk, each chunk's
    removal and the checkpoint's move in one transaction."""

    def __init__(
        self,
        entries: Entries,
        chains: Chains,
        transaction: Callable[[Callable[[Session], Awaitable[int]]], Awaitable[int]],
        days: int,
        every_seconds: float,
        chunk: int = 1000,
    ) -> None:
        self.entries = entries
        self.chains = chains
        self.transaction = transaction
        self.days = days
        self.every_seconds = every_seconds
        self.chunk = chunk

    async def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Prune every stream once; how many records each lost."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.days)
        pruned: dict[str, int] = {}
        for head in await self.chains.all():
            n = await self._prune(head, cutoff)
            if n:
                pruned[head.stream] = n
        if pruned:
            log.info("audit records pruned", cutoff=cutoff.isoformat(), streams=pruned)
        return pruned

    async def _prune(self, head: Head, cutoff: datetime) -> int:
        total = 0
        after = head.pruned_through
        while True:
            old = await self.entries.prefix_before(head.stream, after, cutoff, self.chunk)
            # Never the head itself: the last record stays, so the chain's end is always kept.
            old = [r for r in old if r["seq"] < head.seq]
            # Only a prefix without gaps (a removed record is a finding for verify, not for pruning).
            contiguous = []
            for r in old:
                if r["seq"] != after + len(contiguous) + 1:
                    break
                contiguous.append(r)
            if not contiguous:
                return total
            last = contiguous[-1]

            async def txn(session: Session, after: int = after, last: dict = last) -> int:
                moved = await self.chains.checkpoint(
                    head.stream, after, last["seq"], last["hash"], datetime.now(UTC), session
                )
                if not moved:
                    raise _Overtaken
                return await self.entries.remove_through(head.stream, after, last["seq"], session)

            try:
                total += await self.transaction(txn)
            except _Overtaken:
                return total  # another replica prunes this stream now
            after = last["seq"]

    async def forever(self) -> None:
        while True:
            try:
                await self.prune()
            except asyncio.CancelledError:
                raise
            except Exception as e:  # the next round tries again
                log.warning("audit retention failed", error=repr(e)[:300])
            await asyncio.sleep(self.every_seconds)
