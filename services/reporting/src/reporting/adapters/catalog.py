"""The catalog's published API, as reporting calls it: the agency directory and the summary of the
published procedures."""

from __future__ import annotations

from typing import Any

import httpx

from dvckit import tracing


class CatalogUnavailable(Exception):
    pass


class Catalog:
    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=10.0, transport=transport, event_hooks=tracing.client_hooks()
        )

    async def agencies(self) -> list[dict[str, Any]]:
        """``GET /api/v1/catalog/agencies``: the active agencies (a few hundred small records)."""
        try:
            r = await self.http.get("/api/v1/catalog/agencies")
        except httpx.HTTPError as e:
            raise CatalogUnavailable(repr(e)[:200]) from e
        if r.status_code != 200:
            raise CatalogUnavailable(f"catalog answered {r.status_code}")
        body = r.json()
        items = body["items"] if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise CatalogUnavailable("unexpected answer")
        return items

    async def procedure_summary(self, etag: str | None = None) -> tuple[str | None, dict[str, Any]] | None:
        """``GET /api/v1/catalog/procedures/summary``: ``(its ETag, {"revision", "items"})``, or None when
        the catalog answers 304 to ``etag`` (nothing changed). ~6,600 compact items: a longer wait."""
        headers = {"If-None-Match": etag} if etag else {}
        try:
            r = await self.http.get("/api/v1/catalog/procedures/summary", headers=headers, timeout=60.0)
        except httpx.HTTPError as e:
            raise CatalogUnavailable(repr(e)[:200]) from e
        if r.status_code == 304:
            return None
        if r.status_code != 200:
            raise CatalogUnavailable(f"catalog answered {r.status_code}")
        body = r.json()
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise CatalogUnavailable("unexpected answer")
        return r.headers.get("etag"), body

    async def close(self) -> None:
        await self.http.aclose()
