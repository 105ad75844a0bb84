"""Where the services spend their time under the mixed load: py-spy flame graphs of a submission and a
notify replica while locust drives citizens filing, citizens searching and officers accepting (the
load test's stage, ``bench/load.py``).

    .venv/bin/python bench/flame.py [--filers 8] [--seconds 30] [--searchers 10] [--officers 2]

Starts a stack of its own (one replica of every service), records each of the two replicas with
``py-spy record`` (sampling, 50 Hz, idle time left out) for the whole stage, and writes
bench/results/flame_submission.svg and bench/results/flame_notify.svg, with the stage's figures in
bench/results/flame.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.code import other_code
from lib.harness import MACHINE, ROOT, save, stack
from load import locust, prepare, stage

PROFILED = ("submission", "notify")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--filers", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--searchers", type=int, default=10)
    ap.add_argument("--officers", type=int, default=2)
    ap.add_argument("--code", type=Path, help="another tree whose services the stack runs")
    args = ap.parse_args()
    extra = other_code(args.code) if args.code else {}
    spy = Path(sys.executable).with_name("py-spy")
    results = ROOT / "bench" / "results"
    with tempfile.TemporaryDirectory() as tmp, stack(extra_env=extra) as s:
        fixtures = Path(tmp) / "fixtures.json"
        fixtures.write_text(json.dumps(asyncio.run(prepare(s, args.filers, args.officers))))
        locust(s, fixtures, "flame_warmup", 2, 2, 1, 5)
        pids = {
            spec.name: proc.pid() for spec, i, _, proc in s.replicas() if i == 1 and spec.name in PROFILED
        }
        spies = [
            subprocess.Popen(
                [
                    *(str(spy), "record", "-p", str(pid), "-o", str(results / f"flame_{name}.svg")),
                    *("-d", str(args.seconds), "-r", "50", "--nonblocking"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name, pid in pids.items()
        ]
        figures = stage(s, fixtures, "flame", args.filers, args)
        for p in spies:
            p.wait()
    save(
        "flame",
        {
            "benchmark": "flame",
            "machine": MACHINE,
            "settings": {k: str(v) for k, v in vars(args).items()},
            "graphs": [f"bench/results/flame_{name}.svg" for name in PROFILED],
            "dossiers_per_second": figures["dossiers_per_second"],
            "submit_p95_ms": figures["submit_p95_ms"],
            "processes": figures["processes"],
        },
    )


if __name__ == "__main__":
    main()
