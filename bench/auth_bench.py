"""Auth figures: login throughput (bounded by argon2id), failed-login timing for known and unknown
accounts, and local token verification per second on one core.

    .venv/bin/python bench/auth_bench.py [--seconds 15] [--concurrency 8]

Starts one auth service process (uvicorn, one worker, production argon2 parameters) against the local
infrastructure (reused if `make up` runs, started otherwise), on a free port and a database of its own,
and drives it directly (no gateway) with a closed loop of concurrent clients. Results go to
bench/results/auth.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import httpx
from pymongo import AsyncMongoClient

from auth.config import Settings
from devstack.client import outbox_code
from devstack.config import StackConfig
from devstack.infra import S3, Mongo, RabbitMQ
from devstack.procs import Proc, wait_until
from devstack.stack import http_status
from devstack.testing import free_port
from dvckit.auth import TokenVerifier

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Bench-Login-Pass-2026"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def alternating(client: httpx.AsyncClient, path: str, known, unknown, n: int) -> dict:
    """``n`` requests for an account that exists and ``n`` for one that does not, one after the other
    in turn (so both see the same machine), each answer's time recorded on its side."""
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    statuses: set[int] = set()
    for i in range(n):
        for side, body_for in (("known", known), ("unknown", unknown)):
            t = time.perf_counter()
            r = await client.post(path, json=body_for(i))
            times[side].append(time.perf_counter() - t)
            statuses.add(r.status_code)
    p50 = {side: pct(xs, 0.5) * 1000 for side, xs in times.items()}
    return {
        "requests_each": n,
        "p50_ms_known": round(p50["known"], 2),
        "p50_ms_unknown": round(p50["unknown"], 2),
        "known_over_unknown": round(p50["known"] / p50["unknown"], 3),
        "status": sorted(statuses),
    }


async def closed_loop(client: httpx.AsyncClient, seconds: float, concurrency: int, body_for) -> dict:
    latencies: list[float] = []
    codes: dict[int, int] = {}
    stop = time.perf_counter() + seconds

    async def worker(w: int) -> None:
        i = 0
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = await client.post("/api/v1/auth/login", json=body_for(w, i))
            latencies.append(time.perf_counter() - t)
            codes[r.status_code] = codes.get(r.status_code, 0) + 1
            i += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(latencies, 0.50) * 1000, 1),
        "p95_ms": round(pct(latencies, 0.95) * 1000, 1),
        "status": codes,
    }


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--enumeration-requests", type=int, default=300)
    args = ap.parse_args()

    dev = StackConfig.from_env()
    for part in (Mongo(dev, "auth"), S3(dev), RabbitMQ(dev)):
        part.ensure()
    port = free_port()
    db = f"bench_auth_{os.getpid()}"
    settings = Settings()
    env = {
        "AUTH_PORT": str(port),
        "AUTH_MONGO_URL": dev.mongo_url_for("auth"),
        "AUTH_MONGO_DB": db,
        "DVC_EXCHANGE": "bench.dvc.events",
        "DVC_ENV": "development",
        "AUTH_LOG_LEVEL": "WARNING",
        "AUTH_IP_FAILURES": "1000000",
        "AUTH_LOCKOUT_FAILURES": "1000000",
    }
    home = Path(tempfile.mkdtemp(prefix="dvc-bench-auth-"))
    proc = Proc("auth-bench", home / "run", home / "log")
    proc.start([str(Path(sys.executable).parent / "dvc-auth")], env=env)
    base = f"http://127.0.0.1:{port}"
    results: dict = {}
    try:
        wait_until("auth", lambda: http_status(f"{base}/readyz") == 200, 60, proc)
        mongo = AsyncMongoClient(dev.mongo_url_for("auth"))
        outbox, seal_key = mongo[db].outbox, settings.seal_key.get_secret_value()
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            users = []
            for i in range(args.concurrency):
                body = {
                    "full_name": "Người Đo Tải",
                    "citizen_id": f"0319{os.getpid() % 1000:03d}{i:05d}",
                    "phone": f"097{os.getpid() % 1000:03d}{i:04d}",
                    "password": PASSWORD,
                }
                r = await client.post("/api/v1/auth/register", json=body)
                assert r.status_code == 202, r.text
                # No notify here: the code is read from auth's outbox and opened with the seal key.
                code = await outbox_code(outbox, seal_key, "registration", phone=body["phone"])
                confirm = {"citizen_id": body["citizen_id"], "phone": body["phone"], "code": code}
                r = await client.post("/api/v1/auth/register/confirm", json=confirm)
                assert r.status_code == 201, r.text
                users.append(body["citizen_id"])

            ok = await closed_loop(
                client,
                args.seconds,
                args.concurrency,
                lambda w, i: {"username": users[w], "password": PASSWORD},
            )
            known = await closed_loop(
                client,
                args.seconds / 3,
                args.concurrency,
                lambda w, i: {"username": users[w], "password": "wrong-password-x"},
            )
            unknown = await closed_loop(
                client,
                args.seconds / 3,
                args.concurrency,
                lambda w, i: {"username": f"0{w:02d}{i:09d}"[:12], "password": "wrong-password-x"},
            )
            # Whether an account exists must not show in the answer or its time (issue 12, finding 13).
            forgot = await alternating(
                client,
                "/api/v1/auth/password/forgot",
                lambda i: {"username": users[i % len(users)]},
                lambda i: {"username": f"khong.co.{i}@example.vn"},
                args.enumeration_requests,
            )
            newcomer = lambda i: f"{os.getpid() % 1000:03d}{i:05d}"  # noqa: E731
            register = await alternating(
                client,
                "/api/v1/auth/register",
                lambda i: {
                    "full_name": "Người Đã Có",
                    "citizen_id": users[i % len(users)],
                    "phone": f"086{newcomer(i)[1:]}",
                    "password": PASSWORD,
                },
                lambda i: {
                    "full_name": "Người Mới",
                    "citizen_id": f"0318{newcomer(i)}",
                    "phone": f"085{newcomer(i)[1:]}",
                    "password": PASSWORD,
                },
                max(1, args.enumeration_requests // 10),
            )
            token = (
                await client.post("/api/v1/auth/login", json={"username": users[0], "password": PASSWORD})
            ).json()["access_token"]
            jwks = (await client.get("/api/v1/auth/.well-known/jwks.json")).json()
        await mongo.close()

        async def source() -> dict:
            return jwks

        verifier = TokenVerifier(source, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
        await verifier.verify(token)
        n = 20_000
        t = time.process_time()
        for _ in range(n):
            await verifier._verify(token)  # the full check every time: parse, RSA, claims
        verify_per_s = n / (time.process_time() - t)
        t = time.process_time()
        for _ in range(n):
            await verifier.verify(token)  # a token seen before: the cache answers
        cached_per_s = n / (time.process_time() - t)

        results = {
            "argon2id": {
                "time_cost": settings.argon2_time_cost,
                "memory_kib": settings.argon2_memory_kib,
                "parallelism": settings.argon2_parallelism,
                "hash_threads": settings.hash_threads,
            },
            "concurrency": args.concurrency,
            "login_ok": ok,
            "login_wrong_password_known_account": known,
            "login_unknown_account": unknown,
            "password_forgot_known_vs_unknown": forgot,
            "register_taken_vs_new_citizen_id": register,
            "token_verify_per_second_one_core": round(verify_per_s),
            "token_verify_cached_per_second_one_core": round(cached_per_s),
            "token": "RS256, 2048-bit key, PyJWT + cryptography, claims checked (iss, aud, exp, jti...)",
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "process": "one uvicorn worker; clients on the same machine",
        }
    finally:
        proc.stop()
        from pymongo import MongoClient

        with MongoClient(dev.mongo_url_for("auth")) as c:
            c.drop_database(db)
    out = ROOT / "bench" / "results" / "auth.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
