"""Filing under load, through the gateway: concurrent citizens each create a draft, fill step 1, upload
two 200 KB PDFs, get a captcha and submit. Then one 200 MB upload through the gateway beside a direct S3
upload of the same file, with the largest memory growth of any process during it.

    .venv/bin/python bench/submission_bench.py [--citizens 20] [--seconds 30] [--replicas 1]
        [--code TREE --mongo-layout shared --label before]

Starts every service and the gateway (namespace of its own). An administrator adds a procedure with two
PDF components (limit 250 MB) to the catalogue, as one would for a new online service. ``--code`` runs
another tree's services (``git worktree add /tmp/before <commit>``), for a before/after ratio measured on
the same machine the same hour. Results: bench/results/submission_r<replicas>_c<citizens>[_<label>].json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.code import other_code
from lib.harness import MACHINE, Sampler, percentiles, save, stack

from devstack import client
from devstack.config import S3_ACCESS_KEY, S3_SECRET_KEY

S = "/api/v1/submissions"
# The administrator's test procedure: two PDF components, 250 MB each at most.
CODE = client.TEST_PROCEDURE_CODE
PROCEDURE = client.TEST_PROCEDURE
COMPONENTS = [c["id"] for c in PROCEDURE["components"]]


def pdf(size: int, salt: int = 0) -> bytes:
    head = b"%PDF-1.5\n"
    block = os.urandom(64 * 1024)
    return head + (block * (size // len(block) + 1))[: size - len(head)]


def write_big_pdf(path: Path, mib: int) -> Path:
    """A PDF-headed file of ``mib`` MiB of random bytes (nothing compresses it on the way)."""
    block = os.urandom(1 << 20)
    with path.open("wb") as f:
        f.write(b"%PDF-1.5\n")
        for _ in range(mib):
            f.write(block)
    return path


async def citizen(http: httpx.AsyncClient, inbox: client.Inbox, i: int) -> dict[str, str]:
    """A citizen registered as a person registers (the SMS code read from the stack's SMS record)."""
    n = (os.getpid() % 1000) * 1000 + i
    p = client.Person("Người Nộp Thử", f"0314{n:08d}", f"097{n:07d}", None)
    await client.register(http, inbox, p)
    return {
        "full_name": p.full_name,
        "citizen_id": p.citizen_id,
        "phone": p.phone,
        "Authorization": f"Bearer {p.token}",
    }


def inbox_of(s) -> client.Inbox:
    return client.Inbox(s.cfg.mongo_url_for("notify"), s.cfg.db_name("notify"), s.cfg.mail_dir)


async def file_one(
    http: httpx.AsyncClient, p: dict[str, str], files: list[bytes], lat: dict[str, list[float]]
) -> str:
    h = {"Authorization": p["Authorization"]}

    async def timed(step: str, coro):
        t = time.perf_counter()
        r = await coro
        lat.setdefault(step, []).append(time.perf_counter() - t)
        if r.status_code >= 400:
            raise RuntimeError(f"{step}: {r.status_code} {r.text[:200]}")
        return r

    d = (await timed("draft", http.post(f"{S}/dossiers", json={"procedure_code": CODE}, headers=h))).json()
    applicant = {"submitter": client.submitter(p, address="Số 1 Lạch Tray, Hải Phòng")}
    await timed("applicant", http.put(f"{S}/dossiers/{d['id']}/applicant", json=applicant, headers=h))
    for cid, data in zip(COMPONENTS, files, strict=True):
        await timed(
            "upload",
            http.post(
                f"{S}/dossiers/{d['id']}/attachments",
                headers=h,
                data={"component_id": cid},
                files={"file": ("hồ sơ.pdf", data, "application/pdf")},
            ),
        )
    await timed("fees", http.get(f"{S}/dossiers/{d['id']}/fees", headers=h))
    cap = (await timed("captcha", http.post(f"{S}/captcha", headers=h))).json()
    r = await timed(
        "submit",
        http.post(
            f"{S}/dossiers/{d['id']}/submit",
            headers=h,
            json={"captcha_id": cap["captcha_id"], "captcha_answer": "bench"},
        ),
    )
    return r.json()["code"]


class MemoryWatch(Sampler):
    """Samples the RSS of the stack's processes (and their children) every 50 ms in a thread."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__()
        self.pids = {p.stem: json.loads(p.read_text())["pid"] for p in run_dir.glob("*.pid")}
        self.base = {n: self._rss(pid) for n, pid in self.pids.items()}
        self.peak = dict(self.base)

    @staticmethod
    def _rss(pid: int) -> int:
        total = 0
        todo = [pid]
        while todo:
            p = todo.pop()
            try:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
            except OSError:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            for n, pid in self.pids.items():
                self.peak[n] = max(self.peak[n], self._rss(pid))
            time.sleep(0.05)

    def growth_mib(self) -> dict[str, float]:
        return {n: round((self.peak[n] - self.base[n]) / 2**20, 1) for n in self.pids}


async def big_upload(
    base: str,
    s3_endpoint: str,
    bucket: str,
    token: str,
    path: Path,
    run_dir: Path,
    *,
    code: str = CODE,
    component: str = COMPONENTS[0],
) -> dict:
    h = {"Authorization": token}
    size = path.stat().st_size
    async with httpx.AsyncClient(base_url=base, timeout=600) as http:
        d = (await http.post(f"{S}/dossiers", json={"procedure_code": code}, headers=h)).json()
        with MemoryWatch(run_dir) as mem, path.open("rb") as f:
            t = time.perf_counter()
            r = await http.post(
                f"{S}/dossiers/{d['id']}/attachments",
                headers=h,
                data={"component_id": component},
                files={"file": ("tệp lớn.pdf", f, "application/pdf")},
            )
            gateway_s = time.perf_counter() - t
        assert r.status_code == 201, r.text
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        config=AioConfig(signature_version="s3v4", s3={"addressing_style": "path"}),
    ) as s3:
        # The same file, straight to S3 in the same 8 MB multipart parts the service uses.
        t = time.perf_counter()
        up = await s3.create_multipart_upload(Bucket=bucket, Key="bench/direct.pdf")
        parts = []
        with path.open("rb") as f:
            n = 1
            while chunk := f.read(8 << 20):
                r2 = await s3.upload_part(
                    Bucket=bucket, Key="bench/direct.pdf", UploadId=up["UploadId"], PartNumber=n, Body=chunk
                )
                parts.append({"PartNumber": n, "ETag": r2["ETag"]})
                n += 1
        await s3.complete_multipart_upload(
            Bucket=bucket, Key="bench/direct.pdf", UploadId=up["UploadId"], MultipartUpload={"Parts": parts}
        )
        direct_s = time.perf_counter() - t
        await s3.delete_object(Bucket=bucket, Key="bench/direct.pdf")
    growth = mem.growth_mib()
    return {
        "size_mib": round(size / 2**20),
        "through_gateway_mib_s": round(size / 2**20 / gateway_s, 1),
        "direct_s3_mib_s": round(size / 2**20 / direct_s, 1),
        "ratio": round(direct_s / gateway_s, 2),
        "memory_growth_mib": growth,
        "largest_growth_mib": max(growth.values()),
    }


async def run(args: argparse.Namespace, s) -> dict:
    base = s.cfg.gateway_url
    async with httpx.AsyncClient(
        base_url=base, timeout=60, limits=httpx.Limits(max_connections=args.citizens * 2)
    ) as http:
        admin = await client.admin(http, s.cfg.admin_username, s.cfg.admin_password)
        r = await http.post("/api/v1/catalog/procedures", json=PROCEDURE, headers=admin.auth)
        assert r.status_code in (201, 409), r.text
        async with inbox_of(s) as inbox:
            people = await asyncio.gather(*(citizen(http, inbox, i) for i in range(args.citizens)))
        files = [pdf(200 * 1024), pdf(200 * 1024)]
        lat: dict[str, list[float]] = {}
        # Warm-up: one dossier each (connection pools, caches), not counted.
        await asyncio.gather(*(file_one(http, p, files, {}) for p in people))
        codes: list[str] = []
        errors: list[str] = []
        stop = time.perf_counter() + args.seconds

        async def worker(p: dict[str, str]) -> None:
            while time.perf_counter() < stop:
                try:
                    codes.append(await file_one(http, p, files, lat))
                except Exception as e:  # counted, not fatal
                    errors.append(repr(e)[:200])

        t = time.perf_counter()
        await asyncio.gather(*(worker(p) for p in people))
        elapsed = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        big = write_big_pdf(Path(tmp) / "big.pdf", 200)
        large = await big_upload(
            base, s.cfg.s3_endpoint, s.cfg.bucket, people[0]["Authorization"], big, s.cfg.run_dir
        )
    return {
        "citizens": args.citizens,
        "submission_replicas": args.replicas,
        "seconds": round(elapsed, 1),
        "dossiers": len(codes),
        "distinct_codes": len(set(codes)),
        "dossiers_per_second": round(len(codes) / elapsed, 1),
        "errors": len(errors),
        "first_errors": errors[:3],
        "latency_ms": {k: percentiles(v) for k, v in lat.items()},
        "large_upload": large,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--citizens", type=int, default=20)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--replicas", type=int, default=1)
    ap.add_argument("--code", type=Path, help="another tree whose services the stack runs (before/after)")
    ap.add_argument("--mongo-layout", default="per-service", choices=("per-service", "shared"))
    ap.add_argument("--label", default="", help="results go to submission_r<replicas>_c<citizens>_<label>")
    args = ap.parse_args()
    extra = other_code(args.code) if args.code else {}
    with stack({"submission": args.replicas}, extra_env=extra, mongo_layout=args.mongo_layout) as s:
        result = asyncio.run(run(args, s))
    result["machine"] = MACHINE
    result["code"] = str(args.code or ".")
    result["mongo_layout"] = args.mongo_layout
    result["note"] = "load generator, gateway, every service and the infrastructure share the same 2 cores"
    save(f"submission_r{args.replicas}_c{args.citizens}" + (f"_{args.label}" if args.label else ""), result)


if __name__ == "__main__":
    main()
