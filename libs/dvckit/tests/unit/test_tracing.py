"""dvckit.tracing: off by default; on, the spans of a request, a publish and a handling, linked by the W3C
trace context that travels in the headers and in the envelope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from dvckit import tracing
from dvckit.contracts import UserRegisteredV1
from dvckit.events import Envelope
from dvckit.settings import ServiceSettings

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


def event() -> UserRegisteredV1:
    return UserRegisteredV1.model_validate(
        {"user_id": "u1", "full_name": "Nguyễn Văn An", "roles": ["citizen"], "phone": "0912345678"}
    )


def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/api/v1/things", "headers": list(headers)}


@pytest.fixture
def spans() -> Any:
    exporter = InMemorySpanExporter()
    t = tracing.Tracing("http://unused/v1/traces", service="svc", instance="svc-1", exporter=exporter)
    yield t, exporter
    t.shutdown()


def finished(t: tracing.Tracing, exporter: InMemorySpanExporter) -> dict[str, Any]:
    t.flush()
    return {s.name: s for s in exporter.get_finished_spans()}


def test_off_unless_an_endpoint_is_set() -> None:
    assert tracing.configure(ServiceSettings()) is None
    assert ServiceSettings().otel_endpoint == ""
    assert tracing.traceparent() is None  # no span current
    env = Envelope.wrap(event(), producer="auth")
    assert env.traceparent is None
    assert "traceparent" not in env.model_dump(mode="json")  # the envelope as it was before tracing
    assert b"traceparent" not in env.to_message().body


def test_the_traces_address() -> None:
    assert tracing.traces_url("http://collector:4318") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("http://collector:4318/") == "http://collector:4318/v1/traces"
    assert tracing.traces_url("https://x/otlp/v1/traces") == "https://x/otlp/v1/traces"
    t = tracing.configure(ServiceSettings(otel_endpoint="http://127.0.0.1:1"))
    assert isinstance(t, tracing.Tracing)
    t.shutdown()


def test_a_request_an_event_published_and_handled_make_one_trace(spans) -> None:
    t, exporter = spans
    started = t.start_server(scope((b"traceparent", f"00-{TRACE}-{PARENT}-01".encode())))
    env = Envelope.wrap(event(), producer="auth")  # as Outbox.add does, inside the request
    t.end_server(started, 201, "/things", "rid-1")
    got = finished(t, exporter)
    server = got["POST /things"]
    assert f"{server.context.trace_id:032x}" == TRACE and f"{server.parent.span_id:016x}" == PARENT
    assert (
        server.attributes["dvc.request_id"] == "rid-1"
        and server.attributes["http.response.status_code"] == 201
    )
    assert env.traceparent == f"00-{TRACE}-{server.context.span_id:016x}-01"
    # The envelope survives the bus.
    assert Envelope.from_body(env.to_message().body).traceparent == env.traceparent

    headers: dict[str, Any] = {}
    with t.publishing(env, headers):
        pass
    publish = finished(t, exporter)["user.registered.v1 publish"]
    assert publish.parent.span_id == server.context.span_id
    assert headers["traceparent"] == f"00-{TRACE}-{publish.context.span_id:016x}-01"

    with t.handling(env, headers):
        inner = Envelope.wrap(event(), producer="notify")  # an event a handler writes continues the trace
    process = finished(t, exporter)["user.registered.v1 process"]
    assert process.parent.span_id == publish.context.span_id and process.kind.name == "CONSUMER"
    assert inner.traceparent == f"00-{TRACE}-{process.context.span_id:016x}-01"

    # A message without the header (published before tracing): the envelope's context is the parent.
    exporter.clear()
    with t.handling(env, {}):
        pass
    assert finished(t, exporter)["user.registered.v1 process"].parent.span_id == server.context.span_id


def test_nothing_starts_a_trace_from_an_event_without_one(spans) -> None:
    t, exporter = spans
    env = Envelope.wrap(event(), producer="auth")
    headers: dict[str, Any] = {}
    with t.publishing(env, headers), t.handling(env, None):
        pass
    assert headers == {} and finished(t, exporter) == {}
    # A malformed context is no reason to refuse the event: it is read, and traced as if it had none.
    odd = Envelope.from_body(env.model_copy(update={"traceparent": "00-nonsense"}).to_message().body)
    with t.publishing(odd, headers), t.handling(odd, {"traceparent": b"garbage"}):
        pass
    assert headers == {} and finished(t, exporter) == {}


def test_a_malformed_traceparent_starts_a_trace_of_its_own(spans) -> None:
    t, exporter = spans
    for bad in (
        b"00-xyz",
        b"ff-" + TRACE.encode() + b"-" + PARENT.encode() + b"-01",
        b"00-" + TRACE.encode(),
    ):
        t.end_server(t.start_server(scope((b"traceparent", bad))), 200, "/r", "rid")
        t.flush()
        (span,) = exporter.get_finished_spans()
        assert span.parent is None
        exporter.clear()


def test_an_error_answer_marks_the_span(spans) -> None:
    t, exporter = spans
    t.end_server(t.start_server(scope()), 503, "/r", "rid")
    assert finished(t, exporter)["POST /r"].status.status_code.name == "ERROR"


def test_the_trace_id_decides_sampling_whatever_the_caller_asks() -> None:
    exporter = InMemorySpanExporter()
    t = tracing.Tracing("http://unused", service="svc", instance="svc-1", ratio=0.0, exporter=exporter)
    started = t.start_server(scope((b"traceparent", f"00-{TRACE}-{PARENT}-01".encode())))
    assert tracing.traceparent() is None  # not kept: events carry nothing
    t.end_server(started, 200, "/r", "rid")
    t.flush()
    assert exporter.get_finished_spans() == ()
    t.shutdown()


async def test_calls_to_other_services_carry_the_trace(spans) -> None:
    t, _ = spans
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("traceparent"))
        return httpx.Response(204)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(answer), base_url="http://catalog", event_hooks=tracing.client_hooks()
    ) as client:
        await client.get("/a")  # no span current: nothing sent
        started = t.start_server(scope())
        await client.get("/b")
        t.end_server(started, 200, "/r", "rid")
    span_id = f"{started[0].get_span_context().span_id:016x}"
    assert seen[0] is None and seen[1] is not None and seen[1].split("-")[2] == span_id
