"""``/healthz`` (the process answers), ``/readyz`` (the dependencies it needs answer) and ``/metrics``.

A check may be reported without gating readiness: ``/readyz`` lists it, ``dependency_up`` samples it, but
its failure leaves the process ready. The runtime adds the broker that way to processes that only serve
HTTP: they accept writes into the outbox while RabbitMQ is away (docs/architecture.md, "Readiness and the
broker"), and an unready replica would only turn a broker blip into gateway 502s.
"""

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
        self._gates: dict[str, Callable[[], bool]] = {}

    def add(self, name: str, check: Check, *, gates: bool | Callable[[], bool] = True) -> None:
        """``gates``: whether a failure of ``check`` makes ``/readyz`` answer 503; a callable is asked at
        each probe (whether a process consumes is known only once its handlers are registered)."""
        self.checks[name] = check
        self._gates[name] = gates if callable(gates) else (lambda: gates)

    def gating(self, name: str) -> bool:
        return self._gates[name]()

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

    @r.get("/readyz", summary="Every dependency the process needs answers", response_model=None)
    async def readyz(request: Request) -> Response:
        checks = await health.run()
        # Reported, not gating: a failure there leaves the process ready (listed so an operator sees it).
        informational = sorted(n for n in checks if not health.gating(n))
        extra = {"checks": checks, **({"informational": informational} if informational else {})}
        if all(v == "ok" for n, v in checks.items() if n not in informational):
            return ORJSONResponse({"status": "ready", **extra})
        problem = Problem(503, "not-ready", NOT_READY, extra=extra, headers={"Retry-After": "2"})
        return render(problem, request)

    @r.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return r
