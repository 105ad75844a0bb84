"""``/healthz`` (the process answers), ``/readyz`` (its dependencies answer) and ``/metrics``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .errors import Problem, Text, render
from .jsonutil import ORJSONResponse

Check = Callable[[], Awaitable[None]]


class Health:
    def __init__(self, timeout: float = 2.0) -> None:
        self.checks: dict[str, Check] = {}
        self.timeout = timeout

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def run(self) -> dict[str, str]:
        async def one(check: Check) -> str:
            try:
                await asyncio.wait_for(check(), self.timeout)
                return "ok"
            except Exception as e:
                return f"fail: {type(e).__name__}"

        names = list(self.checks)
        results = await asyncio.gather(*(one(self.checks[n]) for n in names))
        return dict(zip(names, results, strict=True))


NOT_READY = Text("Dịch vụ chưa sẵn sàng", "Service not ready")


def router(health: Health) -> APIRouter:
    r = APIRouter(tags=["health"])

    @r.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @r.get("/readyz", summary="Every dependency answers", response_model=None)
    async def readyz(request: Request) -> Response:
        checks = await health.run()
        if all(v == "ok" for v in checks.values()):
            return ORJSONResponse({"status": "ready", "checks": checks})
        problem = Problem(503, "not-ready", NOT_READY, extra={"checks": checks}, headers={"Retry-After": "2"})
        return render(problem, request)

    @r.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return r
