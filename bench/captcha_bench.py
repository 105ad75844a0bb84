"""What step 3's captcha costs: the citizen's browser, an attacker's CPU, and the server.

    .venv/bin/python bench/captcha_bench.py [--challenges 12]

- The proof of work with the submission service's default settings, solved (a) by Debian's Chromium with
  the portal's vendored ALTCHA worker, as a citizen's browser does, with one and with two workers, and
  (b) natively on one core (hashlib's PBKDF2 through the altcha library: what a bot pays at least, per
  core, without a GPU). The same challenges for both, in one run, so the ratio holds on a noisy machine.
- The image captcha: the server's cost to draw one, and how often an off-the-shelf OCR (Tesseract, when
  installed: `apt-get install tesseract-ocr`) reads it right, and how fast.

Nothing is started: it needs no stack. Results go to bench/results/captcha.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import altcha
from captcha.image import ImageCaptcha

from submission.config import Settings
from submission.service.captchas import ALPHABET, IMAGE, POW_ALGORITHM, Captchas

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "gateway" / "web" / "vendor" / "altcha" / "pbkdf2.worker.js"
ORIGIN = "http://localhost:9"  # a secure context (WebCrypto needs one); the route answers
PAGE = """<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">
window.solve = (challenge, n) => new Promise((resolve, reject) => {
  const t0 = performance.now();
  const pool = Array.from({length: n}, () => new Worker("/w.js"));
  let left = n;
  pool.forEach((w, i) => {
    w.onmessage = ({data}) => {
      if (data && data.derivedKey) { pool.forEach((x) => x.terminate()); resolve({...data, ms: performance.now() - t0}); }
      else if (--left === 0) reject(new Error("unsolved"));
    };
    w.postMessage({type: "work", challenge, counterStart: i, counterStep: n, timeout: 300000});
  });
});
</script>"""


def challenges(n: int, settings: Settings) -> list[dict]:
    secret = "bench"
    out = []
    for i in range(n):
        # The counters spread evenly over the configured range: the mean is the range's middle.
        lo, hi = settings.captcha_pow_min, settings.captcha_pow_max
        counter = lo + (hi - lo) * i // max(1, n - 1)
        c = altcha.create_challenge(
            POW_ALGORITHM,
            settings.captcha_pow_cost,
            counter=counter,
            hmac_secret=secret,
            hmac_key_secret=secret,
        )
        out.append(c.to_dict())
    return out


def native(chs: list[dict]) -> list[float]:
    times = []
    for ch in chs:
        t0 = time.perf_counter()
        solution = altcha.solve_challenge(altcha.Challenge.from_dict(ch), timeout=600)
        times.append(time.perf_counter() - t0)
        assert solution is not None
    return times


def browser(chs: list[dict], workers: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless=new", "--no-sandbox"])
        page = b.new_page()
        page.route(f"{ORIGIN}/", lambda r: r.fulfill(body=PAGE, content_type="text/html"))
        page.route(f"{ORIGIN}/w.js", lambda r: r.fulfill(path=str(WORKER), content_type="text/javascript"))
        page.goto(f"{ORIGIN}/")
        page.wait_for_function("typeof window.solve === 'function'")
        times = []
        for ch in chs:
            got = page.evaluate("([c, n]) => solve(c, n)", [ch, workers])
            times.append(got["ms"] / 1000)
        b.close()
    return times


def image(settings: Settings, n: int) -> dict:
    drawer = ImageCaptcha(**IMAGE)
    answers = [Captchas.new_answer() for _ in range(n)]
    t0 = time.perf_counter()
    pngs = [drawer.generate(a).getvalue() for a in answers]
    draw_ms = (time.perf_counter() - t0) / n * 1000
    out: dict = {"draw_ms_each": round(draw_ms, 2)}
    tesseract = shutil.which("tesseract")
    if not tesseract:
        out["ocr"] = "tesseract not installed"
        return out
    right, t_ocr = 0, 0.0
    with tempfile.TemporaryDirectory() as d:
        for i, (answer, png) in enumerate(zip(answers, pngs, strict=True)):
            path = Path(d) / f"{i}.png"
            path.write_bytes(png)
            t0 = time.perf_counter()
            read = subprocess.run(
                [
                    tesseract,
                    str(path),
                    "-",
                    "--psm",
                    "7",
                    "-c",
                    "tessedit_char_whitelist=" + ALPHABET,
                ],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            t_ocr += time.perf_counter() - t0
            right += "".join(read.split()).upper() == answer
    out["ocr"] = {"tries": n, "right": right, "ms_each": round(t_ocr / n * 1000, 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--challenges", type=int, default=12)
    args = ap.parse_args()
    settings = Settings()
    chs = challenges(args.challenges, settings)
    nat = native(chs)
    b1 = browser(chs, 1)
    b2 = browser(chs, 2)
    mean = statistics.fmean
    result = {
        "settings": {
            "algorithm": POW_ALGORITHM,
            "cost": settings.captcha_pow_cost,
            "tries": [settings.captcha_pow_min, settings.captcha_pow_max],
        },
        "native_one_core_s": {"mean": round(mean(nat), 3), "max": round(max(nat), 3)},
        "chromium_1_worker_s": {"mean": round(mean(b1), 3), "max": round(max(b1), 3)},
        "chromium_2_workers_s": {"mean": round(mean(b2), 3), "max": round(max(b2), 3)},
        "ratio_chromium_1_worker_to_native": round(mean(b1) / mean(nat), 2),
        "proofs_per_core_hour_native": round(3600 / mean(nat)),
        "image": image(settings, 40),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
    }
    out = ROOT / "bench" / "results" / "captcha.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
