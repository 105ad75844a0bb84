"""One-time codes: a registration's, a new email's or phone's, a password reset's.

Six digits, stored only as a keyed digest (HMAC with ``AUTH_CODE_SECRET``, bound to what the code is
for, so a code for one thing never opens another), valid ``code_ttl_seconds``, ``code_tries`` guesses,
used once. A guess spends its try before it is compared, in one atomic update, so parallel guesses
cannot share a try. The code itself leaves only sealed (``dvckit.sealed``), inside the event the
notification service delivers. At most ``codes_per_hour`` messages go to one destination in a clock hour.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from dvckit.contracts import VerificationCodeIssuedV1
from dvckit.errors import Problem
from dvckit.mongo import Session
from dvckit.runtime import Runtime
from dvckit.sealed import Sealer

from ..adapters.codes import CodeStore
from ..config import Settings
from .errors import BAD_CODE

Purpose = Literal["registration", "contact_change", "password_reset", "account_close"]


def destination(channel: str, value: str) -> str:
    """A stable, non-reversible name for where a message goes (the request log never holds it)."""
    return hashlib.sha256(f"{channel}:{value}".encode()).hexdigest()[:32]


class Codes:
    def __init__(self, rt: Runtime, settings: Settings, store: CodeStore) -> None:
        self.rt = rt
        self.store = store
        self.s = settings
        self.secret = settings.code_secret.get_secret_value().encode()
        self.sealer = Sealer(settings.seal_key.get_secret_value())

    def _digest(self, key: str, code: str) -> str:
        return hmac.new(self.secret, f"{key}:{code}".encode(), hashlib.sha256).hexdigest()

    # -- sending ---------------------------------------------------------------------------------
    async def take(self, dest: str, purpose: str) -> bool:
        """Count one message to ``dest`` in this hour; False when it already had its share. Atomic: a
        burst of parallel requests cannot all pass the count."""
        sent = await self.store.count_message(dest, purpose)
        return sent <= self.s.codes_per_hour

    async def issue(
        self, key: str, data: dict[str, Any], session: Session | None = None
    ) -> tuple[str, datetime]:
        """A new code for ``key`` (replacing any earlier one), kept with ``data``; returns the code
        sealed for the message, and when it expires."""
        code = f"{secrets.randbelow(10**6):06d}"
        expires = datetime.now(UTC) + timedelta(seconds=self.s.code_ttl_seconds)
        record = {
            **data,
            "digest": self._digest(key, code),
            "expires_at": expires,
            "tries_left": self.s.code_tries,
        }
        await self.store.put(key, record, session)
        return self.sealer.seal(code), expires

    async def send(
        self,
        session: Session,
        key: str,
        data: dict[str, Any],
        *,
        purpose: Purpose,
        user_id: str | None = None,
        full_name: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> datetime:
        """A new code for ``key``, and the event that has notify deliver it (sealed) to ``email`` or
        ``phone``, in the caller's transaction; when the code expires."""
        sealed, expires = await self.issue(key, {**data, "purpose": purpose}, session=session)
        await self.rt.outbox.add(
            session,
            VerificationCodeIssuedV1(
                purpose=purpose,
                sealed_code=sealed,
                expires_at=expires,
                user_id=user_id,
                full_name=full_name,
                email=email,
                phone=phone,
            ),
        )
        return expires

    # -- using -----------------------------------------------------------------------------------
    async def redeem(self, key: str, code: str, problem: Problem = BAD_CODE) -> dict[str, Any]:
        """The code's record if ``code`` is right, after spending one try; ``problem`` otherwise."""
        doc = await self.store.spend_try(key)
        if doc is None or not hmac.compare_digest(doc["digest"], self._digest(key, code.strip())):
            raise problem
        return doc

    async def spend(self, key: str, doc: dict[str, Any], session: Session) -> bool:
        """Use the redeemed code up; False when a concurrent request used it first (single use)."""
        return await self.store.remove(key, doc["digest"], session)

    async def pending(self, user_id: str) -> list[dict[str, Any]]:
        """A user's codes for a new email or phone that can still be used."""
        return await self.store.live_for(user_id, "contact_change")
