"""Signing and verifying a result document (issue 19): time per document, against drawing the receipt PDF
in the same run, and what each way of running the work off the event loop costs the other requests.

    .venv/bin/python bench/signing.py [--n 30] [--label now]

1. In one process, one at a time, medians over ``--n`` documents: drawing the receipt (reportlab, the
   pure-Python work the service already moves to a worker process), signing that receipt as an agency
   (pyHanko: PAdES B with the QR stamp) and verifying the signed file.
2. The event loop while 2 × workers documents are signed at once through ``PyHankoSigner``, in a thread
   pool and in a process pool: a ticker every 5 ms measures how late the loop answers (what every other
   request of the replica would wait), with the wall time of the batch.

Results in bench/results/signing_<label>.json. 2 cores shared with other work: read the ratios, which
come from one run, rather than the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from devstack import pki
from submission.adapters.receipt import render
from submission.adapters.signing import PyHankoSigner, sign_pdf, verify_pdf

ROOT = Path(__file__).resolve().parents[1]
AGENCY = ("000.01.G5.H26", "Công an phường Ngô Quyền")
URL = "https://dichvucong.haiphong.gov.vn/xac-thuc?ma=K7M2QX9RTA"


def dossier(n: int) -> dict:
    return {
        "_id": f"00000000-0000-0000-0000-{n:012d}",
        "rev": 3,
        "code": f"000.01.G5.H26-261203-{n:04d}",
        "agency": {"code": AGENCY[0], "name": AGENCY[1], "parent_name": "CÔNG AN THÀNH PHỐ HẢI PHÒNG"},
        "procedure": {
            "code": "1.004194",
            "name": "Đăng ký tạm trú",
            "components": [
                {"id": "aaaaaaaaaaaa", "name": "Tờ khai thay đổi thông tin cư trú", "originals": 1}
            ],
            "fees": [{"name": "Lệ phí đăng ký cư trú", "amount": 15000}],
        },
        "applicant": {"submitter": {"full_name": f"Người Nộp {n}", "citizen_id": "031200000001"}},
        "attachments": [{"component_id": "aaaaaaaaaaaa"}],
        "accepted_at": datetime(2026, 12, 3, 2, 0, tzinfo=UTC),
        "appointment_at": datetime(2026, 12, 8, 10, 0, tzinfo=UTC),
        "accepted_by_name": "Trần Văn Tiếp",
    }


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - t) * 1000


def per_document(folder: Path, n: int) -> dict:
    # Warm every path once (imports, fonts, the signer's key), then measure.
    warm = render(dossier(0))
    verify_pdf((str(folder / "ca.crt"),), sign_pdf(str(folder), warm, *AGENCY, "Lãnh Đạo", "Phê duyệt", URL))
    draw, sign, check, sizes = [], [], [], []
    for i in range(1, n + 1):
        pdf, ms = timed(render, dossier(i))
        draw.append(ms)
        signed, ms = timed(sign_pdf, str(folder), pdf, *AGENCY, "Nguyễn Văn Lãnh", "Phê duyệt kết quả", URL)
        sign.append(ms)
        verdict, ms = timed(verify_pdf, (str(folder / "ca.crt"),), signed)
        assert verdict.authentic and verdict.whole_file
        check.append(ms)
        sizes.append((len(pdf), len(signed)))
    med = {k: statistics.median(v) for k, v in (("draw", draw), ("sign", sign), ("verify", check))}
    return {
        "documents": n,
        "receipt_draw_ms_median": round(med["draw"], 1),
        "sign_ms_median": round(med["sign"], 1),
        "verify_ms_median": round(med["verify"], 1),
        "sign_ms_p95": round(sorted(sign)[int(0.95 * (n - 1))], 1),
        "verify_ms_p95": round(sorted(check)[int(0.95 * (n - 1))], 1),
        "sign_over_draw": round(med["sign"] / med["draw"], 2),
        "verify_over_draw": round(med["verify"] / med["draw"], 2),
        "pdf_bytes_median": statistics.median(s for s, _ in sizes),
        "signed_bytes_median": statistics.median(s for _, s in sizes),
    }


async def loop_lag(folder: Path, pdf: bytes, *, processes: bool, workers: int, batch: int) -> dict:
    """How late a 5 ms ticker runs while ``batch`` documents are signed and verified through the signer."""
    signer = PyHankoSigner(folder, workers=workers, max_pending=batch * 2, processes=processes)
    await signer.warm()
    await signer.verify(
        await signer.sign(
            pdf, agency_code=AGENCY[0], agency_name=AGENCY[1], signer_name="x", reason="x", verify_url=URL
        )
    )
    lags: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append((time.perf_counter() - t) * 1000 - 5)

    async def one() -> None:
        signed = await signer.sign(
            pdf, agency_code=AGENCY[0], agency_name=AGENCY[1], signer_name="x", reason="x", verify_url=URL
        )
        assert (await signer.verify(signed)).authentic

    tick = asyncio.create_task(ticker())
    t = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(batch)))
    wall = time.perf_counter() - t
    done.set()
    await tick
    signer.close()
    lags.sort()
    return {
        "pool": "process" if processes else "thread",
        "workers": workers,
        "documents": batch,
        "wall_s": round(wall, 2),
        "documents_per_s": round(batch / wall, 2),
        "loop_lag_ms_p50": round(lags[len(lags) // 2], 1),
        "loop_lag_ms_p95": round(lags[int(0.95 * (len(lags) - 1))], 1),
        "loop_lag_ms_max": round(lags[-1], 1),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--label", default="now")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pki.ensure(folder, [AGENCY])
        result = {"per_document": per_document(folder, args.n)}
        print(json.dumps(result["per_document"], indent=2))
        pdf = render(dossier(1))
        result["event_loop"] = [
            asyncio.run(loop_lag(folder, pdf, processes=processes, workers=workers, batch=40))
            for processes in (False, True)
            for workers in (1, 2)
        ]
        for row in result["event_loop"]:
            print(row)
    out = ROOT / "bench" / "results" / f"signing_{args.label}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
