"""argon2id through argon2-cffi, in a bounded pool of worker threads (never on the event loop)."""

from __future__ import annotations

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..config import Settings


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self.limiter = anyio.CapacityLimiter(settings.hash_threads)
        # Verified against when the account does not exist, so a failed login costs the same either way.
        self._dummy = self.hasher.hash("not-a-real-password")
        self.verifications = 0  # counted for tests: every login attempt verifies exactly once

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password, limiter=self.limiter)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, stored: str | None, password: str) -> bool:
        """True if ``password`` matches ``stored``; with ``stored=None`` spends the same time, then False."""
        self.verifications += 1
        ok = await anyio.to_thread.run_sync(
            self._verify, stored or self._dummy, password, limiter=self.limiter
        )
        return ok and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)
