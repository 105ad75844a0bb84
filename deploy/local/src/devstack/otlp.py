"""A local OTLP/HTTP trace receiver standing in for an OpenTelemetry Collector (tests, and a look at the
spans of a local stack): it takes ``POST /v1/traces`` (protobuf ``ExportTraceServiceRequest``, gzip or
not, as the SDK's exporter sends it), keeps every span decoded, and answers as a collector does.

    with Collector() as c:        # listens on a free port of 127.0.0.1
        settings = Settings(otel_endpoint=c.endpoint)
        ...
        c.spans                   # [Span(trace_id, span_id, parent_id, name, kind, service, ...)]

``.venv/bin/python -m devstack.otlp [PORT]`` runs it and prints one line a span (for ``DVC_OTEL_ENDPOINT``
on a development stack: ``http://127.0.0.1:4318``).
"""

from __future__ import annotations

import gzip
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str  # "" for a root span
    name: str
    kind: str
    service: str
    instance: str
    start_ns: int
    end_ns: int
    attributes: dict[str, Any] = field(default_factory=dict)
    status: int = 0  # 0 unset, 1 ok, 2 error


def _value(v: Any) -> Any:
    which = v.WhichOneof("value")
    return getattr(v, which) if which else None


def decode(body: bytes) -> list[Span]:
    """The spans of one ``ExportTraceServiceRequest``."""
    req = ExportTraceServiceRequest()
    req.ParseFromString(body)
    spans = []
    for rs in req.resource_spans:
        res = {a.key: _value(a.value) for a in rs.resource.attributes}
        for ss in rs.scope_spans:
            for s in ss.spans:
                spans.append(
                    Span(
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        name=s.name,
                        kind=KINDS.get(s.kind, str(s.kind)),
                        service=str(res.get("service.name", "")),
                        instance=str(res.get("service.instance.id", "")),
                        start_ns=s.start_time_unix_nano,
                        end_ns=s.end_time_unix_nano,
                        attributes={a.key: _value(a.value) for a in s.attributes},
                        status=s.status.code,
                    )
                )
    return spans


class Collector:
    """The receiver, in a thread of its own (the SDK's exporter posts from its own thread)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, echo: bool = False) -> None:
        self.spans: list[Span] = []
        self.requests = 0
        self._lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path.rstrip("/") != "/v1/traces":
                    self.send_error(404)
                    return
                try:
                    spans = decode(body)
                except Exception:
                    self.send_error(400)
                    return
                with collector._lock:
                    collector.spans.extend(spans)
                    collector.requests += 1
                if echo:
                    for s in spans:
                        parent = s.parent_id or "-"
                        print(f"{s.trace_id} {s.span_id} ← {parent:16} {s.service:11} {s.kind:8} {s.name}")
                out = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Collector:
        self._thread = threading.Thread(target=self.server.serve_forever, name="otlp-collector", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def trace(self, trace_id: str) -> list[Span]:
        with self._lock:
            return [s for s in self.spans if s.trace_id == trace_id]


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4318
    c = Collector(port=port, echo=True)
    print(f"OTLP/HTTP receiver on {c.endpoint} (DVC_OTEL_ENDPOINT={c.endpoint})", flush=True)
    try:
        c.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
