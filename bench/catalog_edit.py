"""How soon an administrator's edit of a procedure is searchable, with the full catalogue (6,616), on the
replica that made it and on another one.

    .venv/bin/python bench/catalog_edit.py [--edits 10] [--replicas 2]

Starts every service with ``--replicas`` catalog replicas (namespace of its own; the committed seed).
Each edit renames a published procedure with a word no procedure has (``PUT /procedures/{code}`` with
``If-Match``, straight at one replica), then asks every replica directly, every 20 ms, for that word
until the procedure is the first result. Reports the edit's own answer time and, per replica, the time
from sending the edit to the first answer that finds it (p50 and max over the edits).
Results: bench/results/catalog_edit.json.
"""

from __future__ import annotations

import asyncio
import secrets
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, options, save, stack

from catalog.api.routes import ProcedureIn
from devstack import client

WRITABLE = set(ProcedureIn.model_fields) - {"version", "status", "updated_at"}
CODES = ("1.001193", "1.004194", "2.000046", "1.000894", "1.001612", "2.001263", "1.003583")


async def found_at(http: httpx.AsyncClient, url: str, word: str, code: str, started: float) -> float:
    while True:
        r = await http.get(f"{url}/api/v1/catalog/procedures", params={"q": word, "size": 1})
        items = r.json()["items"] if r.status_code == 200 else []
        if items and items[0]["code"] == code:
            return time.monotonic() - started
        if time.monotonic() - started > 60:
            return float("inf")
        await asyncio.sleep(0.02)


async def run(s, edits: int) -> dict:
    urls = [f"http://127.0.0.1:{port}" for spec, _i, port, _p in s.replicas() if spec.name == "catalog"]
    answer: list[float] = []
    seen: dict[str, list[float]] = {f"replica_{i + 1}": [] for i in range(len(urls))}
    async with (
        httpx.AsyncClient(base_url=s.cfg.gateway_url, timeout=60) as gw,
        httpx.AsyncClient(timeout=60) as http,
    ):
        admin = await client.admin(gw, s.cfg.admin_username, s.cfg.admin_password)
        codes = [
            c
            for c in CODES
            if (await http.get(f"{urls[0]}/api/v1/catalog/procedures/{c}")).status_code == 200
        ]
        for n in range(edits):
            code = codes[n % len(codes)]
            r = await http.get(f"{urls[0]}/api/v1/catalog/procedures/{code}")
            body = r.json()
            word = "zq" + secrets.token_hex(3).replace("0", "a")
            body["name"] = f"{body['name'].split(' zq')[0]} {word}"
            body = {k: v for k, v in body.items() if k in WRITABLE}
            started = time.monotonic()
            waits = [asyncio.create_task(found_at(http, u, word, code, started)) for u in urls]
            while True:  # the seed's first load may still be being written (503, Retry-After)
                put = await http.put(
                    f"{urls[0]}/api/v1/catalog/procedures/{code}",
                    json=body,
                    headers={**admin.auth, "If-Match": r.headers["etag"]},
                )
                if put.status_code != 503:
                    break
                await asyncio.sleep(1)
                started = time.monotonic()
            assert put.status_code == 200, put.text
            answer.append(time.monotonic() - started)
            for key, t in zip(seen, await asyncio.gather(*waits), strict=True):
                seen[key].append(t)
            await asyncio.sleep(0.5)

    def summary(xs: list[float]) -> dict[str, float]:
        return {"p50_s": round(statistics.median(xs), 3), "max_s": round(max(xs), 3)}

    return {"edit_answer": summary(answer), **{k: summary(v) for k, v in seen.items()}}


def main() -> None:
    args = options(edits=10, replicas=2)
    with stack({"catalog": args.replicas}) as s:
        figures = asyncio.run(run(s, args.edits))
    save(
        "catalog_edit",
        {
            **figures,
            "edits": args.edits,
            "catalog_replicas": args.replicas,
            "note": "replica_1 made each edit (the time includes its answer); seconds from sending it",
            "machine": MACHINE,
        },
    )


if __name__ == "__main__":
    main()
