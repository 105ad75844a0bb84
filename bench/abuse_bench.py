"""What one abusive citizen costs everyone else (security review, issue 12, finding 4). Other citizens
read their dossiers through the gateway, a few requests a second each, while one citizen, within the
gateway's per-user rate limit:

- ``withdraw_body``: sends a 42 MB multipart body of 452,000 one-byte fields (and a file the action
  refuses) to ``…/actions/withdraw`` of their own accepted dossier, one after the other;
- ``upload_body``: sends the same body as an upload to a draft of theirs;
- ``receipts``: asks for their receipt PDF 18 times a second.

Each attack is compared with the same readers alone just before it, in the same run (``baseline``):
the ratios of the readers' p50 and p95 under the attack to theirs without it. The attacker runs in a process of its own
so its client's work does not slow the readers' clock.

    .venv/bin/python bench/abuse_bench.py [--seconds 20] [--readers 4] [--label new]

To measure another version of the code (the one before the fix, say), export its tree and run this
script with that tree first on PYTHONPATH and DVC_ROOT set to it: the stack's services inherit the
PYTHONPATH (``stack(extra_env=...)``). Results: bench/results/abuse_<label>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import ROOT, pct, stack
from submission_bench import CODE, COMPONENTS, PROCEDURE, citizen, inbox_of, pdf

from devstack import client

S = "/api/v1/submissions"
BOUNDARY = "dvcabusebenchboundary0123456789"
FIELDS = 452_000
RECEIPTS_PER_SECOND = 18


def many_fields(component: str) -> bytes:
    """About 42 MB: the component first (an upload needs it), 452,000 one-byte fields, then a file whose
    bytes no component accepts, so the old code read everything and then answered 415, changing
    nothing (the attack could be repeated at will)."""
    part = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="f0000000"\r\n\r\nxxxxxxxxx\r\n'.encode()
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="component_id"\r\n\r\n{component}\r\n'
    ).encode()
    tail = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    exe = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 9000
    return head + part * FIELDS + tail + exe + f"\r\n--{BOUNDARY}--\r\n".encode()


def attack(base: str, token: str, mode: str, target: str, component: str, seconds: float) -> dict:
    """Runs in its own process: the attack for ``seconds``; each request's status and duration."""

    async def run() -> dict:
        h = {"Authorization": token}
        done: list[tuple[int, float]] = []
        size = 0
        stop = time.perf_counter() + seconds
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            if mode == "receipts":
                # Open loop at a steady rate: a slow answer does not slow the attacker down.
                async def one() -> None:
                    t = time.perf_counter()
                    r = await http.get(f"{S}/dossiers/{target}/receipt", headers=h)
                    done.append((r.status_code, time.perf_counter() - t))

                tasks = []
                i = 0
                start = time.perf_counter()
                while time.perf_counter() < stop:
                    tasks.append(asyncio.create_task(one()))
                    i += 1
                    await asyncio.sleep(max(0.0, start + i / RECEIPTS_PER_SECOND - time.perf_counter()))
                await asyncio.gather(*tasks, return_exceptions=True)
            else:
                body = many_fields(component)
                size = len(body)
                path = (
                    f"{S}/dossiers/{target}/actions/withdraw"
                    if mode == "withdraw_body"
                    else f"{S}/dossiers/{target}/attachments"
                )
                headers = {**h, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
                while time.perf_counter() < stop:
                    t = time.perf_counter()
                    try:
                        r = await http.post(path, content=body, headers=headers)
                        status = r.status_code
                    except httpx.HTTPError:  # answered early and the connection closed mid-body
                        status = 0
                    done.append((status, time.perf_counter() - t))
        statuses: dict[str, int] = {}
        for s, _ in done:
            statuses[str(s)] = statuses.get(str(s), 0) + 1
        return {
            "requests": len(done),
            "statuses": statuses,
            "p50_ms": pct([d for _, d in done], 0.5),
            "body_mib": round(size / 2**20, 1) if mode != "receipts" else None,
        }

    return asyncio.run(run())


async def filed(http: httpx.AsyncClient, p: dict[str, str]) -> dict:
    """A submitted dossier of ``p`` (two small PDFs)."""
    h = {"Authorization": p["Authorization"]}
    d = (await http.post(f"{S}/dossiers", json={"procedure_code": CODE}, headers=h)).json()
    applicant = {"submitter": client.submitter(p, address="Số 1 Lạch Tray, Hải Phòng")}
    assert (await http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=h)).status_code == 200
    for cid in COMPONENTS:
        r = await http.post(
            f"{S}/dossiers/{d['id']}/attachments",
            headers=h,
            data={"component_id": cid},
            files={"file": ("hồ sơ.pdf", pdf(20 * 1024), "application/pdf")},
        )
        assert r.status_code == 201, r.text
    cap = (await http.post(f"{S}/captcha", headers=h)).json()
    r = await http.post(
        f"{S}/dossiers/{d['id']}/submit",
        headers=h,
        json={"captcha_id": cap["captcha_id"], "captcha_answer": "bench"},
    )
    assert r.status_code == 200, r.text
    return d


async def readers(http: httpx.AsyncClient, people: list[tuple[dict, str]], seconds: float) -> dict:
    """Each reader: its own dossier, every 100 ms or so (a closed loop with a pause)."""
    lat: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds

    async def one(p: dict, did: str) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t = time.perf_counter()
            try:
                r = await http.get(f"{S}/dossiers/{did}", headers={"Authorization": p["Authorization"]})
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            lat.append(time.perf_counter() - t)
            errors += not ok
            await asyncio.sleep(0.1)

    await asyncio.gather(*(one(p, did) for p, did in people))
    return {"requests": len(lat), "errors": errors, "p50_ms": pct(lat, 0.5), "p95_ms": pct(lat, 0.95)}


async def run(args: argparse.Namespace, s: Any) -> dict:
    base = s.cfg.gateway_url
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        ah = (await client.admin(http, s.cfg.admin_username, s.cfg.admin_password)).auth
        r = await http.post("/api/v1/catalog/procedures", json=PROCEDURE, headers=ah)
        assert r.status_code in (201, 409), r.text
        async with inbox_of(s) as inbox:
            people = [await citizen(http, inbox, i) for i in range(args.readers + 1)]
        attacker, others = people[0], people[1:]
        target = await filed(http, attacker)
        agency = target["agency"]["code"]
        officer = {
            "full_name": "Cán Bộ Đo Tải",
            "role": "officer",
            "agencies": [agency],
            "username": f"canbobench{os.getpid()}",
            "password": "Bench-Officer-2026!",
        }
        assert (await http.post("/api/v1/auth/users", json=officer, headers=ah)).status_code == 201
        # The officer's first sign-in enrols its second factor (devstack.client: pyotp codes).
        desk = client.Person(officer["full_name"], "", "", None)
        ot = (await client.login(http, desk, officer["username"], officer["password"])).auth
        r = await http.post(f"{S}/dossiers/{target['id']}/actions/accept", headers=ot)
        assert r.status_code == 200, r.text
        draft = (
            await http.post(
                f"{S}/dossiers",
                json={"procedure_code": CODE},
                headers={"Authorization": attacker["Authorization"]},
            )
        ).json()
        mine = []
        for p in others:
            d = await http.post(
                f"{S}/dossiers", json={"procedure_code": CODE}, headers={"Authorization": p["Authorization"]}
            )
            mine.append((p, d.json()["id"]))
        await readers(http, mine, 3)  # warm-up: pools, token caches

        # Each attack right after a baseline of its own: the machine's other work drifts over minutes,
        # so an attack is compared with the readers alone just before it.
        phases: dict[str, dict] = {}
        loop = asyncio.get_running_loop()
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            await loop.run_in_executor(pool, time.sleep, 0)  # the attacker's process started beforehand
            for phase in ("withdraw_body", "upload_body", "receipts"):
                alone = await readers(http, mine, args.seconds)
                what = target["id"] if phase != "upload_body" else draft["id"]
                attacker_run = loop.run_in_executor(
                    pool, attack, base, attacker["Authorization"], phase, what, COMPONENTS[0], args.seconds
                )
                got = await readers(http, mine, args.seconds)
                phases[phase] = {
                    "baseline": alone,
                    "attacked": got,
                    "attacker": await attacker_run,
                    "p50_ratio": round(got["p50_ms"] / (alone["p50_ms"] or 1), 2),
                    "p95_ratio": round(got["p95_ms"] / (alone["p95_ms"] or 1), 2),
                }
                await asyncio.sleep(2)  # let a last attack request drain before the next baseline
    return {"label": args.label, "readers": args.readers, "seconds_per_phase": args.seconds, "phases": phases}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--readers", type=int, default=4)
    ap.add_argument("--label", default="current")
    args = ap.parse_args()
    extra = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    with stack(extra_env=extra) as s:
        result = asyncio.run(run(args, s))
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    result["note"] = (
        "load generator, attacker, gateway, every service and the infrastructure share the same cores "
        "(and, when measured, other people's work on the machine); compare ratios within a run"
    )
    out = ROOT / "bench" / "results" / f"abuse_{args.label}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
