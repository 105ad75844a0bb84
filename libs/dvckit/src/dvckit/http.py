"""The FastAPI app every service starts from: problem+json errors, request ids, access log, metrics,
health endpoints and the runtime's lifecycle.

The request middleware is plain ASGI (no ``BaseHTTPMiddleware``): it must not buffer bodies, so uploads
and downloads stream through it.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from prometheus_client import Counter, Histogram
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import apidoc, deps, errors, health, logs
from .jsonutil import ORJSONResponse
from .runtime import Runtime
from .tracing import Tracing

REQUEST_ID = "x-request-id"
_VALID_RID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

requests_total = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
request_seconds = Histogram(
    "http_request_duration_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5, 10),
)
access = logs.get("access")


class RequestContext:
    """Request id (kept from the gateway or made here), access log line and metrics, per request."""

    def __init__(self, app: ASGIApp, tracing: Tracing | None = None) -> None:
        self.app = app
        self.tracing = tracing  # dvckit.tracing: a span a request when on

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        ip: str | None = None
        agent: str | None = None
        for k, v in scope["headers"]:
            if k == b"x-request-id":
                rid = v.decode("latin-1")
            elif k == b"x-real-ip":  # set by the gateway, which overwrites what a client sent
                ip = v.decode("latin-1")[:64]
            elif k == b"user-agent":
                agent = v.decode("latin-1")[:300]
        if not _VALID_RID.match(rid):
            rid = uuid.uuid4().hex
        if ip is None and scope.get("client"):
            ip = scope["client"][0]
        rid_token = logs.request_id_var.set(rid)
        client_token = logs.client_var.set((ip, agent))
        tokens = logs.bind(request_id=rid)
        started = time.perf_counter()
        status = 500
        span = None
        if self.tracing is not None and scope["path"] not in _QUIET_PATHS:
            span = self.tracing.start_server(scope)

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            requests_total.labels(method, template, str(status)).inc()
            request_seconds.labels(method, template).observe(elapsed)
            if scope["path"] not in _QUIET_PATHS:
                access.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    route=template,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            if span is not None and self.tracing is not None:  # after the access line, which names the trace
                self.tracing.end_server(span, status, template, rid)
            logs.reset(tokens)
            logs.request_id_var.reset(rid_token)
            logs.client_var.reset(client_token)


TOO_LARGE = errors.Problem(
    413, "payload-too-large", errors.Text("Dữ liệu gửi lên quá lớn", "The request body is too large")
)


class BodyLimit:
    """Bodies a route reads whole (JSON) hold at most ``max_bytes``: a larger one is refused with 413
    problem+json before it is read (Content-Length) or as soon as it grows past the limit (chunked).
    Routes whose path matches ``streamed`` (uploads) stream their bodies and enforce their own limits."""

    def __init__(self, app: ASGIApp, max_bytes: int, streamed: str | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed = re.compile(streamed) if streamed else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.streamed and self.streamed.match(scope["path"])):
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await errors.render(TOO_LARGE, Request(scope))(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise HTTPException(413)  # a route reading its body renders it as problem+json
            return message

        await self.app(scope, limited, send)


class ReadBeforeAnswer:
    """A small request body is read to its end before the answer starts, also when the route answers
    without reading it (a refusal decided from the headers alone).

    Why: the gateway streams request bodies to the services as they arrive (``proxy_request_buffering
    off``, for uploads). When a service answers while the client is still sending, nginx sends that answer
    saying keep-alive, then closes the connection because it was still reading the body; the client's next
    request on it fails with no answer at all. Waiting for the rest of a small body costs nothing; a body
    over ``max_bytes`` (an upload refused) is left, and its connection closed, as the cheaper end."""

    def __init__(self, app: ASGIApp, max_bytes: int = 64 * 1024, wait_seconds: float = 10.0) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.wait_seconds = wait_seconds  # a client that stops sending is not waited for longer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = Headers(scope=scope).get("content-length", "") if scope["type"] == "http" else ""
        if not (length.isdigit() and 0 < int(length) <= self.max_bytes):
            await self.app(scope, receive, send)
            return
        ended = False

        async def tracked() -> Message:
            nonlocal ended
            message = await receive()
            ended = ended or message["type"] == "http.disconnect" or not message.get("more_body", False)
            return message

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start" and not ended:
                try:
                    async with asyncio.timeout(self.wait_seconds):
                        while not ended:
                            await tracked()
                except TimeoutError:
                    pass
            await send(message)

        await self.app(scope, tracked, answer)


def create_app(
    runtime: Runtime,
    *,
    title: str,
    prefix: str,
    routers: Sequence[APIRouter] = (),
    description: str = "",
    version: str = "0.1.0",
    max_body: int = 1 << 20,
    streamed: str | None = None,
    parts: Any = None,
) -> FastAPI:
    """Build a service's app. Its API lives under ``prefix`` (``/api/v1/auth``), the same path the
    gateway exposes, so no path is rewritten between client and service and the OpenAPI paths are the
    public ones. ``/healthz``, ``/readyz`` and ``/metrics`` sit at the root for probes and Prometheus.
    Request bodies are at most ``max_body`` bytes except on the routes ``streamed`` matches (BodyLimit).
    ``parts``: the service's dataclass of built dependencies, handed to its routes (``dvckit.deps``)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        await runtime.start()
        try:
            yield {"runtime": runtime}
        finally:
            await runtime.stop()

    service = prefix.rstrip("/").rsplit("/", 1)[-1]

    def operation_id(route: APIRoute) -> str:
        # Stable, short names for client generators: `submission_mine`, `auth_login` (the route's
        # function, unique within a service; the static tests check they stay unique in the document).
        return f"{service}_{route.name}"

    app = FastAPI(
        title=title,
        generate_unique_id_function=operation_id,
        description=description,
        version=version,
        default_response_class=ORJSONResponse,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=f"{prefix}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    if parts is not None:
        deps.provide(app, parts)
    errors.install(app)
    apidoc.install(app)
    app.include_router(health.router(runtime.health))
    for r in routers:
        app.include_router(r, prefix=prefix)
    app.add_middleware(ReadBeforeAnswer)
    app.add_middleware(BodyLimit, max_bytes=max_body, streamed=streamed)
    app.add_middleware(RequestContext, tracing=runtime.tracing)
    return app
