"""Step 1's prefill: what the caller's account says (full name, citizen ID, phone, email), asked of the auth
service (``GET /me`` with the caller's own token) and kept a short while in this replica's memory, so a
citizen starting several drafts costs auth one account read, not one a draft.

Private: an entry is the account of the token's subject, kept under that subject's id (an answer for any
other account is not kept) and given only to requests of that subject. Current: ``user.contact_changed``
drops the citizen's entry on the replica that consumes it at once, every other replica's entry ends
within ``prefill_cache_seconds``; an administrator's correction of a name shows within that time too. It
is only a start for step 1: the citizen sees it and writes the applicant themselves.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from dvckit.contracts import UserContactChangedV1
from dvckit.events import Envelope
from dvckit.mongo import Session

from ..adapters.clients import Clients
from ..domain.applicant import Prefill
from ..domain.model import Actor


class Prefills:
    def __init__(self, clients: Clients, *, seconds: float, size: int = 10_000) -> None:
        self.clients = clients
        self.seconds = seconds
        self.size = size
        self._memory: OrderedDict[str, tuple[float, Prefill]] = OrderedDict()
        # Moves on with every entry dropped: an answer asked for before a drop is not kept after it.
        self._epoch = 0

    async def of(self, who: Actor, authorization: str) -> Prefill:
        """The caller's prefill; empty (and not kept) when auth cannot say."""
        hit = self._memory.get(who.id)
        if hit is not None:
            if hit[0] > time.monotonic():
                self._memory.move_to_end(who.id)
                return hit[1]
            del self._memory[who.id]
        epoch = self._epoch
        me = await self.clients.me(authorization)
        if not me or me.get("id") != who.id:
            return Prefill()
        known = {k: me[k] for k in Prefill.model_fields if me.get(k) is not None}
        identity = me.get("identity") or {}
        known |= {"date_of_birth": identity.get("birth_date"), "address": identity.get("address")}
        prefill = Prefill.model_validate(known)
        if self.seconds > 0 and epoch == self._epoch:
            self._memory[who.id] = (time.monotonic() + self.seconds, prefill)
            self._memory.move_to_end(who.id)
            while len(self._memory) > self.size:
                self._memory.popitem(last=False)
        return prefill

    def forget(self, user_id: str) -> None:
        self._epoch += 1
        self._memory.pop(user_id, None)

    async def on_contact_changed(self, e: UserContactChangedV1, env: Envelope, session: Session) -> None:
        self.forget(e.user_id)
