"""The gateway passes a W3C ``traceparent`` to the services: its own when the client sent none (the trace
id is the request id it made), a trusted load balancer's as it came, and never an untrusted client's.
Debian's nginx with the local configuration, a stand-in service that records the headers it gets."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack import gateway
from devstack.config import SERVICES, StackConfig
from devstack.infra import nginx_binary
from devstack.testing import free_port

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"


def _free_offset(host: str) -> int:
    catalog = next(s for s in SERVICES if s.name == "catalog")
    for offset in range(20_000, 40_000, 97):
        with socket.socket() as s:
            try:
                s.bind((host, catalog.base_port + offset))
                return offset
            except OSError:
                continue
    raise RuntimeError("no free port")


@pytest.fixture
def behind_gateway(tmp_path: Path) -> Any:
    """A gateway on 127.0.0.2 whose catalog is a stand-in; requests come from 127.0.0.1, which is not
    among its trusted proxies (127.0.0.2 is, and ``trusted`` adds 127.0.0.1 in a second gateway)."""
    seen: list[dict[str, str]] = []

    class Service(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    host = "127.0.0.2"
    offset = _free_offset(host)
    catalog = next(s for s in SERVICES if s.name == "catalog")
    server = ThreadingHTTPServer((host, catalog.base_port + offset), Service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    procs: list[subprocess.Popen[bytes]] = []

    def start(trusted: tuple[str, ...] = ()) -> tuple[str, Path]:
        cfg = StackConfig(
            data_dir=tmp_path / f"data{len(procs)}",
            host=host,
            gateway_port=free_port(),
            port_offset=offset,
            trusted_proxies=trusted,
        )
        conf = gateway.write_local(cfg)
        procs.append(subprocess.Popen([nginx_binary(), "-p", str(conf.parent), "-c", str(conf)]))
        url = f"http://{host}:{cfg.gateway_port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/gateway/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        return url, cfg.log_dir / "gateway-access.log"

    try:
        yield start, seen
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        server.shutdown()
        server.server_close()


def test_the_gateway_starts_the_trace_of_a_request_without_one(behind_gateway) -> None:
    start, seen = behind_gateway
    url, access_log = start()
    r = httpx.get(f"{url}/api/v1/catalog/readyz")
    assert r.status_code == 200
    tp = seen[-1]["traceparent"]
    m = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-01", tp)
    assert m, tp
    # The trace id is the request id the gateway made (and returned), the span id a part of it.
    assert m.group(1) == r.headers["x-request-id"] == seen[-1]["x-request-id"]
    assert m.group(2) == m.group(1)[:16]
    assert "tracestate" not in seen[-1]

    # A client's own (127.0.0.1: not a trusted proxy of this gateway) is replaced, its tracestate dropped.
    r = httpx.get(
        f"{url}/api/v1/catalog/readyz",
        headers={"traceparent": f"00-{TRACE}-{PARENT}-01", "tracestate": "vendor=1"},
    )
    assert TRACE not in seen[-1]["traceparent"] and "tracestate" not in seen[-1]
    assert seen[-1]["traceparent"].split("-")[1] == r.headers["x-request-id"]

    time.sleep(1.2)  # each worker's access log buffer is flushed every second
    lines = [json.loads(line) for line in access_log.read_text().splitlines()]
    (line,) = [x for x in lines if x["request_id"] == r.headers["x-request-id"]]
    assert line["trace_id"] == r.headers["x-request-id"]


def test_a_trusted_load_balancers_trace_context_is_passed_on(behind_gateway) -> None:
    start, seen = behind_gateway
    url, _ = start(trusted=("127.0.0.1",))
    headers = {"traceparent": f"00-{TRACE}-{PARENT}-01", "tracestate": "vendor=1"}
    assert httpx.get(f"{url}/api/v1/catalog/readyz", headers=headers).status_code == 200
    assert seen[-1]["traceparent"] == f"00-{TRACE}-{PARENT}-01" and seen[-1]["tracestate"] == "vendor=1"
    # A malformed one is replaced by the gateway's own.
    httpx.get(f"{url}/api/v1/catalog/readyz", headers={"traceparent": "00-nonsense-01"})
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", seen[-1]["traceparent"])
