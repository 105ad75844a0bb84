"""What a sign-in through an identity provider keeps between the browser's round trips, each used once
and stored only as a SHA-256 digest of the random value the browser holds:

- ``oidc_flows``: a flow begun (by its ``state``): the PKCE verifier, the nonce, where to go back to;
- ``login_tickets``: the end of one, handed to the portal in the URL's fragment (never sent to a server
  or logged) and exchanged for tokens, or, for an identity whose citizen ID a self-registered account
  holds, for linking that account once its password is given.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from dvckit.mongo import Repository

from .store import LOGIN_TICKETS, OIDC_FLOWS

Doc = dict[str, Any]


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class _OneUse(Repository):
    async def put(self, values: Doc, ttl_s: int) -> str:
        """Stores ``values``; the random value that takes them back (once, within ``ttl_s``)."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await self.coll.insert_one(
            {"_id": digest(token), **values, "created_at": now, "expires_at": now + timedelta(seconds=ttl_s)}
        )
        return token

    async def take(self, token: str) -> Doc | None:
        """The values ``token`` stands for, removed: None when unknown, used or expired."""
        doc = await self.coll.find_one_and_delete({"_id": digest(token)})
        if doc is None or doc["expires_at"].replace(tzinfo=UTC) <= datetime.now(UTC):
            return None
        return doc


class OidcFlows(_OneUse):
    collection = OIDC_FLOWS


class LoginTickets(_OneUse):
    collection = LOGIN_TICKETS
