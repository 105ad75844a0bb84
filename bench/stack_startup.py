"""Start-up time of `make up` (fresh clone, cold data, warm data, already running) and the memory of the
running stack, per process.

    .venv/bin/python bench/stack_startup.py            # writes bench/results/stack_startup.json

Runs in a fresh `git clone` of this repository's HEAD in a temporary folder, on free ports and in a
namespace of its own (so it can run beside a development stack); uses the machine's RabbitMQ.
"Fresh clone" includes creating `.tools/` and `.venv/` (uv's download cache is whatever this machine
has); "cold" is a stopped stack with an empty data folder; "warm" is a stopped stack whose data
folder is kept.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from devstack.testing import own_stack_env

ROOT = Path(__file__).resolve().parents[1]


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{cmd} failed:\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - t


def tree(pid: int) -> list[int]:
    out = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return out
    for c in children:
        out += tree(int(c))
    return out


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in KiB from smaps_rollup; PSS splits shared pages fairly between processes."""
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dvc-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        data = Path(tmp) / "data"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DVC_", "VIRTUAL_ENV"))},
            **own_stack_env(data),
            "DVC_PORT_OFFSET": "30000",
            "DVC_NAMESPACE": "bench_",
        }
        make = ["make", "--no-print-directory"]
        results: dict[str, object] = {}
        try:
            results["fresh_clone_s"] = round(timed([*make, "up"], clone, env), 2)
            results["already_running_s"] = round(timed([*make, "up"], clone, env), 2)
            timed([*make, "down"], clone, env)
            results["warm_s"] = round(timed([*make, "up"], clone, env), 2)
            time.sleep(5)  # let start-up allocations settle
            procs = {}
            total_rss = total_pss = 0
            for pid_file in sorted((data / "run").glob("*.pid")):
                pid = json.loads(pid_file.read_text())["pid"]
                rss = pss = 0
                for p in tree(pid):
                    r, s = memory_kib(p)
                    rss, pss = rss + r, pss + s
                procs[pid_file.stem] = {"rss_mib": round(rss / 1024, 1), "pss_mib": round(pss / 1024, 1)}
                total_rss, total_pss = total_rss + rss, total_pss + pss
            results["memory"] = procs
            results["total_rss_mib"] = round(total_rss / 1024, 1)
            results["total_pss_mib"] = round(total_pss / 1024, 1)
            timed([*make, "clean"], clone, env)
            results["cold_s"] = round(timed([*make, "up"], clone, env), 2)
        finally:
            subprocess.run([*make, "clean"], cwd=clone, env=env, capture_output=True)
        results["machine"] = (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        )
        results["note"] = "RabbitMQ (the machine's own) is shared and not counted in memory"
    out = ROOT / "bench" / "results" / "stack_startup.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
