"""What the gateway costs: the same endpoint called directly and through nginx, in the same run.

    .venv/bin/python bench/gateway_overhead.py [--seconds 10] [--connections 32] [--rounds 3]

Starts every service and the gateway (namespace of its own), then alternates direct and proxied runs
of wrk (one thread) on
- a trivial endpoint: the catalog's /healthz (the gateway's /api/v1/catalog/healthz);
- a signed-in endpoint: notify's unread count with a citizen's token, where the gateway also checks the
  token at the edge (njs, RS256) before the service checks it again;
and reports the median of the rounds and the ratios direct/proxied (throughput) and proxied/direct
(p99). The goal is at most 1.1x for the trivial endpoint. Results: bench/results/gateway_overhead.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import ROOT, options, stack, wrk

from devstack import client
from devstack.config import SERVICES


def citizen_token(s) -> str:
    """A signed-in citizen's access token (registered as a person registers, the code by SMS)."""

    async def register() -> str:
        async with (
            httpx.AsyncClient(base_url=s.cfg.gateway_url, timeout=30) as http,
            client.Inbox(s.cfg.mongo_url_for("notify"), s.cfg.db_name("notify"), s.cfg.mail_dir) as inbox,
        ):
            return (await client.register(http, inbox, client.new_person("Đỗ Văn Hải", email=False))).token

    return asyncio.run(register())


def compare(direct: str, proxied: str, args: argparse.Namespace, headers: dict[str, str]) -> dict:
    """``direct`` and ``proxied`` are full URLs of the same endpoint."""
    targets = {"direct": direct, "proxied": proxied}

    def run(url: str, seconds: int, connections: int) -> dict:
        u = httpx.URL(url)
        base = f"{u.scheme}://{u.host}:{u.port}"
        return wrk(
            base, [u.raw_path.decode()], seconds=seconds, connections=connections, threads=1, headers=headers
        )

    runs: dict[str, list[dict]] = {"direct": [], "proxied": []}
    for url in targets.values():  # warm both paths (connections, caches)
        run(url, 2, 4)
    for _ in range(args.rounds):
        for name, url in targets.items():
            runs[name].append(run(url, args.seconds, args.connections))
    med = {
        name: {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50_ms", "p95_ms", "p99_ms")}
        | {"errors": sum(r["errors"] for r in rs), "non2xx": sum(r["non2xx"] for r in rs)}
        for name, rs in runs.items()
    }
    return {
        **targets,
        **med,
        "throughput_ratio": round(med["direct"]["rps"] / med["proxied"]["rps"], 3),
        "p99_ratio": round(med["proxied"]["p99_ms"] / med["direct"]["p99_ms"], 3),
        "rounds": runs,
    }


def main() -> None:
    args = options(seconds=10, connections=32, rounds=3)
    with stack() as s:
        cfg = s.cfg
        port = {spec.name: cfg.ports(spec)[0] for spec in SERVICES}
        gw = cfg.gateway_url
        token = citizen_token(s)
        auth = {"Authorization": f"Bearer {token}"}
        started = time.time()
        trivial = compare(
            f"http://{cfg.host}:{port['catalog']}/healthz", f"{gw}/api/v1/catalog/healthz", args, {}
        )
        signed_in = compare(
            f"http://{cfg.host}:{port['notify']}/api/v1/notifications/unread-count",
            f"{gw}/api/v1/notifications/unread-count",
            args,
            auth,
        )
    result = {
        "benchmark": "gateway_overhead",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": vars(args),
        "trivial": trivial,
        "signed_in": signed_in,
        "goal": "direct/proxied throughput and proxied/direct p99 at most 1.1 on the trivial endpoint",
    }
    out = ROOT / "bench" / "results" / "gateway_overhead.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for name in ("trivial", "signed_in"):
        r = result[name]
        print(
            f"{name:10} direct {r['direct']['rps']:8.0f} rps p99 {r['direct']['p99_ms']:6.2f} ms | "
            f"proxied {r['proxied']['rps']:8.0f} rps p99 {r['proxied']['p99_ms']:6.2f} ms | "
            f"ratios: throughput {r['throughput_ratio']}, p99 {r['p99_ratio']}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
