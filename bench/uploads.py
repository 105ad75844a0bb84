"""Throughput of a resumable (tus) upload against the plain multipart upload, through the gateway.

    .venv/bin/python bench/uploads.py [--mb 50] [--rounds 3]

One stack of the project's own (bench/lib/harness.py: every service and the gateway, MongoDB servers of
its own, the machine's S3 and RabbitMQ). A citizen files drafts of the test procedure (components of up
to 250 MB) and, each round, sends the same ``--mb`` MB PDF three ways, in turn:

- ``plain``: ``POST …/attachments`` multipart, one request (the service streams it to S3 in 8 MB parts);
- ``tus_one``: tus creation, one PATCH with the whole file, the attach call (JSON, the upload id);
- ``tus_8mib``: the same in PATCHes of 8 MiB (a whole S3 part each: no tail objects);
- ``tus_5mb``: PATCHes of 5,000,000 bytes (not a part's size: each PATCH ends in a tail object that the
  next one reads back and puts in front).

Each time is from the first request to the attached file's answer (the tus ones include creation and
attach); MB/s is the file's size over it. Results: bench/results/uploads.json (every round, the median
of each way, and its ratio to the plain upload's)."""

from __future__ import annotations

import asyncio
import base64
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, options, save, stack
from submission_bench import citizen, inbox_of

from devstack import client

S = "/api/v1/submissions"
TUS = {"Tus-Resumable": "1.0.0"}
WAYS = ("plain", "tus_one", "tus_8mib", "tus_5mb")
CHUNKS = {"tus_one": None, "tus_8mib": 8 * 1024 * 1024, "tus_5mb": 5_000_000}


def meta(**pairs: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in pairs.items())


async def plain(http: httpx.AsyncClient, h: dict[str, str], d: dict, cid: str, data: bytes) -> dict:
    r = await http.post(
        f"{S}/dossiers/{d['id']}/attachments",
        headers=h,
        data={"component_id": cid},
        files={"file": ("bench.pdf", data, "application/pdf")},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def tus(
    http: httpx.AsyncClient, h: dict[str, str], d: dict, cid: str, data: bytes, chunk: int | None
) -> dict:
    r = await http.post(
        f"{S}/uploads",
        headers={
            **h,
            **TUS,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": meta(dossier_id=d["id"], component_id=cid, filename="bench.pdf"),
        },
    )
    assert r.status_code == 201, r.text
    url = r.headers["location"]
    step = chunk or len(data)
    for at in range(0, len(data), step):
        r = await http.patch(
            url,
            content=data[at : at + step],
            headers={**h, **TUS, "Upload-Offset": str(at), "Content-Type": "application/offset+octet-stream"},
        )
        assert r.status_code == 204, r.text
    r = await http.post(
        f"{S}/dossiers/{d['id']}/attachments", json={"upload_id": url.rsplit("/", 1)[1]}, headers=h
    )
    assert r.status_code == 201, r.text
    return r.json()


async def run(s, mb: int, rounds: int) -> dict:
    data = b"%PDF-1.5\n" + os.urandom(mb * 1000 * 1000 - 9)
    times: dict[str, list[float]] = {w: [] for w in WAYS}
    async with httpx.AsyncClient(base_url=s.cfg.gateway_url, timeout=600) as http:
        admin = await client.admin(http, s.cfg.admin_username, s.cfg.admin_password)
        await client.add_procedure(http, admin)
        agencies = []
        for _ in range(300):
            r = await http.get(f"{S}/agencies", params={"procedure": client.TEST_PROCEDURE_CODE})
            if r.status_code == 200 and r.json():
                agencies = r.json()
                break
            await asyncio.sleep(0.2)
        async with inbox_of(s) as inbox:
            p = await citizen(http, inbox, 1)
        h = {"Authorization": p["Authorization"]}
        cid = client.TEST_PROCEDURE["components"][0]["id"]
        body = {"procedure_code": client.TEST_PROCEDURE_CODE, "agency_code": agencies[0]["code"]}
        for n in range(rounds + 1):  # the first round warms up (connections, caches): not counted
            for way in WAYS:
                d = (await http.post(f"{S}/dossiers", json=body, headers=h)).json()
                t0 = time.perf_counter()
                if way == "plain":
                    got = await plain(http, h, d, cid, data)
                else:
                    got = await tus(http, h, d, cid, data, CHUNKS[way])
                took = time.perf_counter() - t0
                assert got["size"] == len(data)
                if n:
                    times[way].append(took)
                await http.delete(f"{S}/dossiers/{d['id']}", headers=h)
                print(f"round {n} {way}: {took:.2f} s", flush=True)
    size = len(data) / 1e6
    median = {w: statistics.median(ts) for w, ts in times.items()}
    return {
        "machine": MACHINE,
        "file_mb": mb,
        "rounds": rounds,
        "seconds": {w: [round(t, 3) for t in ts] for w, ts in times.items()},
        "median_seconds": {w: round(t, 3) for w, t in median.items()},
        "mb_per_s": {w: round(size / t, 1) for w, t in median.items()},
        "throughput_vs_plain": {w: round(median["plain"] / t, 2) for w, t in median.items()},
    }


def main() -> None:
    args = options(mb=50, rounds=3)
    with stack() as s:
        result = asyncio.run(run(s, args.mb, args.rounds))
    save("uploads", result)


if __name__ == "__main__":
    main()
