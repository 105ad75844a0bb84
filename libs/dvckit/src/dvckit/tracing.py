"""OpenTelemetry tracing across the services and the events (docs/operations.md, "Tracing").

Off unless ``DVC_OTEL_ENDPOINT`` (or ``<SERVICE>_OTEL_ENDPOINT``) names an OTLP/HTTP receiver
(``http://otel-collector:4318``; ``/v1/traces`` is added unless the address already ends with it). Off,
:func:`configure` returns ``None``, nothing of OpenTelemetry's SDK is imported, and every hook below is
one ``is None`` test (the request middleware, the outbox and the consumer hold ``tracing = None``).

On, each :class:`Runtime` has a :class:`Tracing` of its own (a tracer provider whose resource names the
service and replica, spans batched and exported in a background thread) and records:

- a SERVER span for each HTTP request (``dvckit.http.RequestContext``), child of the request's W3C
  ``traceparent`` (the gateway makes one when the client sent none);
- the envelope of each event written through the outbox carries the ``traceparent`` of the span current
  when :meth:`dvckit.outbox.Outbox.add` ran (the request's, or the consumer span of the event being
  handled): :func:`traceparent`, read by :meth:`dvckit.events.Envelope.wrap`;
- a PRODUCER span when the relay publishes a record, child of the envelope's context; the message carries
  that span's ``traceparent`` in its AMQP headers;
- a CONSUMER span for each event handled, child of the message's ``traceparent`` (else the envelope's):
  the events its handlers write continue the same trace;
- a CLIENT span for each MongoDB command and each S3 call (:func:`watch_s3`) made while one of those spans
  is current (none for the background loops' own queries), and the ``traceparent`` header on the calls a
  service makes to another with httpx while a span is current (:func:`client_hooks`).

The sampling decision is the trace id's (``TraceIdRatioBased``, ``DVC_OTEL_SAMPLE_RATIO``, default 1): every
service decides the same for the same trace, whatever flag the caller sent, so a trace is kept whole or
not at all. Standard ``OTEL_EXPORTER_OTLP_TRACES_HEADERS`` / ``..._CERTIFICATE`` / ``..._TIMEOUT`` set the
exporter's headers, TLS and timeout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pymongo import monitoring

from . import logs

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span

    from .events import Envelope
    from .settings import ServiceSettings

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
_VALID = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")

# True once any Tracing was made in this process: until then traceparent()/inject() return at once.
_enabled = False
# The process's tracing (the last made: one a process but in tests), for clients built without the runtime.
_default: Tracing | None = None


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector's address."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def configure(settings: ServiceSettings) -> Tracing | None:
    """The service's tracing, or None when no endpoint is set (the default)."""
    endpoint = getattr(settings, "otel_endpoint", "")
    if not endpoint:
        return None
    return Tracing(
        traces_url(endpoint),
        service=settings.service_name,
        instance=settings.instance,
        namespace=getattr(settings, "otel_namespace", "dvc-haiphong"),
        ratio=getattr(settings, "otel_sample_ratio", 1.0),
    )


def traceparent() -> str | None:
    """The W3C ``traceparent`` of the span current in this context, if one is recording."""
    if not _enabled:
        return None
    from opentelemetry import trace

    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid or not ctx.trace_flags.sampled:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def inject(headers: Any) -> None:
    """Add the current span's ``traceparent`` to an outgoing request's headers (an httpx request hook,
    or any mutable mapping)."""
    value = traceparent()
    if value is not None:
        headers[TRACEPARENT] = value


def watch_s3(client: Any) -> None:
    """CLIENT spans of an aiobotocore S3 client's calls made while a span is current (``S3 PutObject``…:
    the operation and its HTTP status, never the bucket's keys). Nothing is registered while tracing is
    off."""
    t = _default
    if t is None:
        return
    client.meta.events.register("before-call.s3", t._s3_started)
    client.meta.events.register("after-call.s3", t._s3_ended)
    client.meta.events.register("after-call-error.s3", t._s3_failed)


async def httpx_hook(request: Any) -> None:
    """``httpx.AsyncClient(event_hooks={"request": [httpx_hook]})``: the call continues the trace."""
    inject(request.headers)


def client_hooks() -> dict[str, list[Any]]:
    """The event hooks of an httpx client calling another service of the system: its requests carry the
    current span's ``traceparent`` (nothing while tracing is off). Not for outside parties' clients (the
    payment provider, SMS, VNeID): the trace context stays inside."""
    return {"request": [httpx_hook]}


def _valid(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str) and _VALID.match(value) and not value.startswith("ff"):
        return value
    return None


class Tracing:
    """One service's tracer: its own provider (resource: service, replica), spans exported by OTLP/HTTP
    in batches from a background thread (a slow or absent collector never holds a request up: spans
    beyond the queue are dropped)."""

    def __init__(
        self,
        url: str,
        *,
        service: str,
        instance: str,
        namespace: str = "dvc-haiphong",
        ratio: float = 1.0,
        exporter: Any = None,
    ) -> None:
        global _enabled, _default
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        by_trace_id = TraceIdRatioBased(ratio)
        self.provider: TracerProvider = TracerProvider(
            resource=Resource.create(
                {
                    "service.name": service,
                    "service.namespace": namespace,
                    "service.instance.id": instance,
                }
            ),
            # A remote parent's flag is not trusted (a client could ask for every request to be kept): the
            # trace id decides, the same way in every service.
            sampler=ParentBased(
                root=by_trace_id, remote_parent_sampled=by_trace_id, remote_parent_not_sampled=by_trace_id
            ),
        )
        self.provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter(endpoint=url)))
        self.tracer = self.provider.get_tracer("dvckit")
        self.service = service
        self._trace = trace
        self._propagator = TraceContextTextMapPropagator()
        self._kind = trace.SpanKind
        self._status = trace.Status
        self._error = trace.StatusCode.ERROR
        _enabled = True
        _default = self

    # -- contexts ----------------------------------------------------------------------------------

    def _context(self, parent: str | None, state: str | None = None) -> Any:
        """A context whose parent is ``parent`` (a fresh one without: a root span, never the span that
        happens to be current in an in-process caller)."""
        carrier = {TRACEPARENT: parent} if parent else {}
        if parent and state:
            carrier[TRACESTATE] = state
        return self._propagator.extract(carrier)

    @contextmanager
    def _current(self, span: Span) -> Iterator[Span]:
        from opentelemetry import context

        token = context.attach(self._trace.set_span_in_context(span))
        try:
            yield span
        finally:
            context.detach(token)

    @contextmanager
    def _within(self, span: Span) -> Iterator[None]:
        """``span`` current while the block runs, an exception out of it recorded on it, ended after."""
        try:
            with self._current(span):
                yield
        except BaseException as e:
            span.record_exception(e)
            span.set_status(self._status(self._error, type(e).__name__))
            raise
        finally:
            span.end()

    # -- HTTP --------------------------------------------------------------------------------------

    def start_server(self, scope: Mapping[str, Any]) -> tuple[Span, Any]:
        """The SERVER span of a request (``dvckit.http.RequestContext``), current until :meth:`end_server`."""
        from opentelemetry import context

        parent = state = None
        for k, v in scope["headers"]:
            if k == b"traceparent":
                parent = _valid(v)
            elif k == b"tracestate":
                state = v.decode("latin-1")[:512]
        method = scope["method"]
        span = self.tracer.start_span(
            method,
            context=self._context(parent, state),
            kind=self._kind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        )
        token = context.attach(self._trace.set_span_in_context(span))
        ctx = span.get_span_context()
        # Every log line of a traced request names its trace (the span's id too, for the trace's own view).
        bound = (
            logs.bind(trace_id=f"{ctx.trace_id:032x}", span_id=f"{ctx.span_id:016x}")
            if span.is_recording()
            else {}
        )
        return span, (token, bound, method)

    def end_server(self, started: tuple[Span, Any], status: int, route: str, request_id: str) -> None:
        from opentelemetry import context

        span, (token, bound, method) = started
        try:
            if not span.is_recording():  # not sampled
                return
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("dvc.request_id", request_id)
            if status >= 500:
                span.set_status(self._status(self._error))
        finally:
            span.end()
            context.detach(token)
            if bound:
                logs.reset(bound)

    # -- events ------------------------------------------------------------------------------------

    @contextmanager
    def publishing(self, envelope: Envelope, headers: dict[str, Any]) -> Iterator[None]:
        """The relay's PRODUCER span of one record, child of the envelope's context; the message's
        ``traceparent`` header names it, so the consumer's span is its child."""
        parent = _valid(envelope.traceparent)
        if parent is None:
            yield
            return
        span = self.tracer.start_span(
            f"{envelope.routing_key} publish",
            context=self._context(parent),
            kind=self._kind.PRODUCER,
            attributes=_messaging(envelope, "publish"),
        )
        with self._within(span):
            inject(headers)
            yield

    @contextmanager
    def handling(self, envelope: Envelope, headers: Mapping[str, Any] | None) -> Iterator[None]:
        """A CONSUMER span around one event's handlers, child of the message's ``traceparent`` (the
        publish span), else of the envelope's; an event without either starts no trace."""
        parent = _valid((headers or {}).get(TRACEPARENT)) or _valid(envelope.traceparent)
        if parent is None:
            yield
            return
        span = self.tracer.start_span(
            f"{envelope.routing_key} process",
            context=self._context(parent),
            kind=self._kind.CONSUMER,
            attributes={**_messaging(envelope, "process"), "messaging.consumer.group.name": self.service},
        )
        ctx = span.get_span_context()
        bound = (
            logs.bind(trace_id=f"{ctx.trace_id:032x}", span_id=f"{ctx.span_id:016x}")
            if span.is_recording()
            else {}
        )
        try:
            with self._within(span):
                yield
        finally:
            if bound:
                logs.reset(bound)

    # -- MongoDB -----------------------------------------------------------------------------------

    def mongo_listener(self) -> monitoring.CommandListener:
        return _MongoSpans(self)

    # -- S3 (botocore's events: watch_s3) -------------------------------------------------------------

    def _s3_started(self, model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self._trace.get_current_span().is_recording():
            return
        context["dvc_span"] = self.tracer.start_span(
            f"S3 {model.name}",
            kind=self._kind.CLIENT,
            attributes={"rpc.system": "aws-api", "rpc.service": "S3", "rpc.method": model.name},
        )

    def _s3_ended(self, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        span = context.pop("dvc_span", None)
        if span is not None:
            status = getattr(http_response, "status_code", 0)
            span.set_attribute("http.response.status_code", status)
            if status >= 500:
                span.set_status(self._status(self._error))
            span.end()

    def _s3_failed(self, exception: BaseException, context: dict[str, Any], **_: Any) -> None:
        span = context.pop("dvc_span", None)
        if span is not None:
            span.set_status(self._status(self._error, type(exception).__name__))
            span.end()

    # -- lifecycle ---------------------------------------------------------------------------------

    def flush(self, timeout_ms: int = 5000) -> bool:
        return bool(self.provider.force_flush(timeout_ms))

    def shutdown(self) -> None:
        self.provider.shutdown()


def _messaging(envelope: Envelope, operation: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {
        "messaging.system": "rabbitmq",
        "messaging.operation.type": operation,
        "messaging.destination.name": envelope.routing_key,
        "messaging.message.id": str(envelope.id),
        "dvc.event.producer": envelope.producer,
    }
    if envelope.correlation_id:
        attrs["messaging.message.conversation_id"] = envelope.correlation_id
    return attrs


class _MongoSpans(monitoring.CommandListener):
    """A CLIENT span per MongoDB command sent while a recording span is current (a request's, an event's):
    the database, the command and the collection, never the command's document (personal data)."""

    def __init__(self, tracing: Tracing) -> None:
        self.tracing = tracing
        self.open: dict[tuple[Any, int], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        trace = self.tracing._trace
        current = trace.get_current_span()
        if not current.is_recording():
            return
        name = event.command_name
        attrs: dict[str, Any] = {
            "db.system.name": "mongodb",
            "db.namespace": event.database_name,
            "db.operation.name": name,
        }
        target = event.command.get(name)
        if isinstance(target, str):
            attrs["db.collection.name"] = target
        span = self.tracing.tracer.start_span(
            f"{name} {target}" if isinstance(target, str) else name,
            kind=self.tracing._kind.CLIENT,
            attributes=attrs,
        )
        if len(self.open) > 10_000:  # a command whose end never came (never seen): do not grow for ever
            self.open.clear()
        self.open[(event.connection_id, event.request_id)] = span

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        span = self.open.pop((event.connection_id, event.request_id), None)
        if span is not None:
            span.end()

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        span = self.open.pop((event.connection_id, event.request_id), None)
        if span is not None:
            span.set_status(self.tracing._status(self.tracing._error, str(event.failure.get("codeName", ""))))
            span.end()
