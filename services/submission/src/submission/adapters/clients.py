"""Calls to other services' published APIs (the catalogue; the caller's own account for step 1)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from dvckit import logs, tracing
from dvckit.errors import Problem, Text

log = logs.get(__name__)

CATALOG_DOWN = Problem(
    503,
    "catalog-unavailable",
    Text(
        "Không lấy được thông tin thủ tục, vui lòng thử lại sau",
        "The procedure catalogue is not answering; please try again",
    ),
    headers={"Retry-After": "5"},
)
AUTH_DOWN = Problem(
    503,
    "auth-unavailable",
    Text(
        "Không lấy được thông tin tổ chức, vui lòng thử lại sau",
        "The organisation's details could not be read; please try again",
    ),
    headers={"Retry-After": "5"},
)
STAFF_DOWN = Problem(
    503,
    "auth-unavailable",
    Text(
        "Không lấy được danh sách cán bộ của cơ quan, vui lòng thử lại sau",
        "The agency's staff could not be read; please try again",
    ),
    headers={"Retry-After": "5"},
)
NO_PROCEDURE = Problem(404, "procedure-not-found", Text("Không tìm thấy thủ tục", "No such procedure"))


class Clients:
    def __init__(
        self,
        *,
        catalog_url: str,
        auth_url: str,
        transport: httpx.AsyncBaseTransport | None = None,
        auth_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        hooks = tracing.client_hooks()  # the calls continue the caller's trace (when tracing is on)
        self.catalog = httpx.AsyncClient(
            base_url=catalog_url, timeout=5.0, limits=limits, transport=transport, event_hooks=hooks
        )
        self.auth = httpx.AsyncClient(
            base_url=auth_url,
            timeout=3.0,
            limits=limits,
            transport=auth_transport or transport,
            event_hooks=hooks,
        )

    async def procedure(self, code: str) -> dict[str, Any]:
        try:
            r = await self.catalog.get(f"/api/v1/catalog/procedures/{code}")
        except httpx.HTTPError as e:
            log.warning("catalog call failed", error=repr(e)[:200])
            raise CATALOG_DOWN from None
        if r.status_code == 404:
            raise NO_PROCEDURE
        if r.status_code != 200:
            log.warning("catalog answered", status=r.status_code)
            raise CATALOG_DOWN
        return r.json()

    async def agencies(self) -> list[dict[str, Any]]:
        """The catalogue's whole agency directory (active and not)."""
        try:
            r = await self.catalog.get("/api/v1/catalog/agencies")
        except httpx.HTTPError as e:
            log.warning("catalog call failed", error=repr(e)[:200])
            raise CATALOG_DOWN from None
        if r.status_code != 200:
            log.warning("catalog answered", status=r.status_code)
            raise CATALOG_DOWN
        body = r.json()
        return body["items"] if isinstance(body, dict) else body

    async def me(self, authorization: str) -> dict[str, Any] | None:
        """The caller's account, to prefill step 1; None if auth cannot say (step 1 starts empty)."""
        try:
            r = await self.auth.get("/api/v1/auth/me", headers={"Authorization": authorization})
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None

    async def organisation(self, authorization: str, org_id: str) -> dict[str, Any] | None:
        """The organisation as auth shows it to the caller (their own token); None when auth says the
        caller is not a member (or it does not exist)."""
        return await self._as_caller(
            f"/api/v1/auth/organisations/{quote(org_id, safe='')}", authorization, AUTH_DOWN
        )

    async def staff(self, authorization: str, agency_code: str) -> list[dict[str, Any]]:
        """The agency's staff and their roles as auth shows them to the caller (their own token: an
        officer of that agency sees them); [] when auth says the caller may not."""
        path = f"/api/v1/auth/agencies/{quote(agency_code, safe='')}/staff"
        found = await self._as_caller(path, authorization, STAFF_DOWN)
        return found["items"] if found else []

    async def _as_caller(self, path: str, authorization: str, down: Problem) -> dict[str, Any] | None:
        """What auth answers the caller's own token at ``path``: None when it says no (or nothing there);
        ``down`` when it cannot say."""
        try:
            r = await self.auth.get(path, headers={"Authorization": authorization})
        except httpx.HTTPError as e:
            log.warning("auth call failed", error=repr(e)[:200])
            raise down from None
        if r.status_code in (401, 403, 404):
            return None
        if r.status_code != 200:
            log.warning("auth answered", status=r.status_code)
            raise down
        return r.json()

    async def close(self) -> None:
        await self.catalog.aclose()
        await self.auth.aclose()
