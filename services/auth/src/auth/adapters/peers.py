"""The other services' per-person endpoints, called with the person's own token (their data export,
and the check before their account is closed): submission, notify, payment and the audit trail.

Each answers only about the caller. Anything but a 200 (a service down, slow, or answering an error) is
``PeerUnavailable``: the export is then refused as a whole, never handed over with a part missing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from dvckit import logs, tracing

log = logs.get(__name__)

# Each service's per-person routes (docs/auth.md, "Your data").
SUBMISSION_EXPORT = "/api/v1/submissions/me/export"
SUBMISSION_IN_HAND = "/api/v1/submissions/me/in-hand"
NOTIFY_EXPORT = "/api/v1/notifications/me/export"
PAYMENT_EXPORT = "/api/v1/payments/me/export"
AUDIT_ME = "/api/v1/audit/me"
# Pages read at most from one service for one export (a runaway total must not loop for ever).
MAX_PAGES = 2000


class PeerUnavailable(Exception):
    """A service did not give its part (``service``: which)."""

    def __init__(self, service: str, detail: str) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service


@dataclass(frozen=True)
class Peer:
    name: str
    client: httpx.AsyncClient


class Peers:
    def __init__(
        self,
        *,
        submission_url: str,
        notify_url: str,
        payment_url: str,
        audit_url: str,
        timeout: float = 30.0,
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        transports = transports or {}
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=8)

        def client(name: str, url: str) -> Peer:
            return Peer(
                name,
                httpx.AsyncClient(
                    base_url=url,
                    timeout=timeout,
                    limits=limits,
                    transport=transports.get(name),
                    event_hooks=tracing.client_hooks(),  # an export's calls continue its trace
                ),
            )

        self.submission = client("submission", submission_url)
        self.notify = client("notify", notify_url)
        self.payment = client("payment", payment_url)
        self.audit = client("audit", audit_url)

    async def _get(self, peer: Peer, path: str, authorization: str, **params: Any) -> dict[str, Any]:
        try:
            r = await peer.client.get(path, params=params, headers={"Authorization": authorization})
        except httpx.HTTPError as e:
            log.warning("a service did not answer", service=peer.name, error=repr(e)[:200])
            raise PeerUnavailable(peer.name, "no answer") from None
        if r.status_code != 200:
            log.warning("a service refused", service=peer.name, path=path, status=r.status_code)
            raise PeerUnavailable(peer.name, f"answered {r.status_code}")
        try:
            body = r.json()
        except ValueError:
            raise PeerUnavailable(peer.name, "not JSON") from None
        if not isinstance(body, dict):
            raise PeerUnavailable(peer.name, "not a JSON object")
        return body

    async def pages(
        self, peer: Peer, path: str, authorization: str, *, size: int, lists: tuple[str, ...] = ()
    ) -> AsyncIterator[dict[str, Any]]:
        """Every page of ``path`` (``?page=&size=``) until the list runs out: ``items`` and ``total`` at
        the top, or each of ``lists`` holding its own ``items`` and ``total`` (notify's two)."""
        for page in range(1, MAX_PAGES + 1):
            body = await self._get(peer, path, authorization, page=page, size=size)
            yield body
            parts = [body[k] for k in lists] if lists else [body]
            try:
                more = any(page * size < int(p["total"]) and p["items"] for p in parts)
            except (KeyError, TypeError, ValueError):
                raise PeerUnavailable(peer.name, "a page without items and total") from None
            if not more:
                return
        raise PeerUnavailable(peer.name, "too many pages")

    async def download(self, path: str, authorization: str) -> AsyncIterator[bytes]:
        """A dossier's file from submission, as it streams (the caller's own, by their token)."""
        safe = quote(path, safe="/")
        try:
            async with self.submission.client.stream(
                "GET", safe, headers={"Authorization": authorization}
            ) as r:
                if r.status_code != 200:
                    log.warning("a file was not given", status=r.status_code)
                    raise PeerUnavailable("submission", f"file answered {r.status_code}")
                async for chunk in r.aiter_bytes(256 * 1024):
                    yield chunk
        except httpx.HTTPError as e:
            log.warning("a file download failed", error=repr(e)[:200])
            raise PeerUnavailable("submission", "file download failed") from None

    async def in_hand(self, authorization: str) -> dict[str, Any]:
        return await self._get(self.submission, SUBMISSION_IN_HAND, authorization)

    async def close(self) -> None:
        for peer in (self.submission, self.notify, self.payment, self.audit):
            await peer.client.aclose()
