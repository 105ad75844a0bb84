"""Peak filing against the two MongoDB layouts of the local stack, with the same load, in one run: one
stand-in server shared by every service (``DVC_MONGO_LAYOUT=shared``) against one server a service (the
default of ``make up``).

    .venv/bin/python bench/db_layout.py [--filers 8] [--searchers 10] [--officers 2] [--seconds 45] [--rounds 4]

Two stacks of the project's own (bench/lib/harness.py, fresh MongoDB servers each), one of each layout,
both running from start to end; each prepared as bench/load.py prepares it (citizens register, the
administrator adds the test procedure and its officers) and warmed up for 5 s. Then ``--rounds`` rounds,
each one load.py stage against each stack in turn, the order alternating from round to round: locust
with ``--filers`` citizens filing dossiers with two attachments, ``--searchers`` searching and
``--officers`` accepting, for ``--seconds``, while the other stack idles. Measuring the two layouts in
turn, minutes apart, is what makes them comparable on a machine others share: whatever else runs falls on
both, and a run it disturbed is marked (CPU used beside the two stacks and their load) and left out of
the ratio. Per run: dossiers per second, submit p95, errors, submission to notification, the machine's
CPU use and each process's CPU (percent of one core) and memory. Result: bench/results/db_layout.json,
with the mean dossiers per second of each layout, the ratio per-service over shared, and each round's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import mean, median

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, Processes, save, stack
from load import OUT, locust, prepare, stage

LAYOUTS = ("shared", "per-service")
CORES = psutil.cpu_count() or 1
# Percent of one core used beside the two stacks and their load above which a run counts as disturbed:
# on a quiet box about 30 % goes unattributed (the kernel's loopback networking, the samplers).
DISTURBED_OTHER_CPU = 60.0


def run(layout: str, s, idle, args: argparse.Namespace, fixtures: Path, name: str) -> dict:
    """One measured stage against stack ``s`` (of ``layout``) while stack ``idle`` idles."""
    with Processes(idle) as idle_procs:
        psutil.cpu_percent()  # the machine's CPU use from here
        measured = stage(s, fixtures, name, args.filers, args)
        machine = psutil.cpu_percent()
    procs = measured.pop("processes")
    idle_names = set(idle_procs.stack_pids.values())
    idle_cpu = sum(v["cpu_percent_avg"] for k, v in idle_procs.report().items() if k in idle_names)
    mongo = {k: v for k, v in procs.items() if k.startswith("mongodb")}
    busiest = max(procs, key=lambda k: procs[k]["cpu_percent_avg"])
    other = machine * CORES - sum(v["cpu_percent_avg"] for v in procs.values()) - idle_cpu
    return {
        "layout": layout,
        "round_stage": name,
        **{k: measured[k] for k in ("dossiers", "dossiers_per_second", "submit_p95_ms", "search_p95_ms")},
        "error_rate": measured["error_rate"],
        "submit_to_notification_p95_ms": measured["submit_to_notification"]["p95_ms"],
        # Of both cores together: 100 is the machine saturated.
        "machine_cpu_percent": machine,
        "idle_stack_cpu_percent_of_one_core": round(idle_cpu, 1),
        # What ran beside the two stacks and the load (others' work on a shared box), in percent of one
        # core: the machine's use less every process of both stacks, locust, the broker and S3.
        "other_cpu_percent_of_one_core": round(max(0.0, other), 1),
        "disturbed": other > DISTURBED_OTHER_CPU,
        "mongodb_cpu_percent_of_one_core": {
            "total": round(sum(v["cpu_percent_avg"] for v in mongo.values()), 1),
            **{k: v["cpu_percent_avg"] for k, v in sorted(mongo.items())},
        },
        "busiest_process": {"name": busiest, **procs[busiest]},
        "processes": procs,
        "requests": measured["requests"],
    }


def summary(runs: list[dict], ready: dict[str, float]) -> dict:
    out: dict = {}
    for layout in LAYOUTS:
        mine = [r for r in runs if r["layout"] == layout]
        rates = [r["dossiers_per_second"] for r in mine]
        quiet = [r["dossiers_per_second"] for r in mine if not r["disturbed"]]
        out[layout] = {
            "dossiers_per_second": rates,
            "dossiers_per_second_mean": round(mean(rates), 2),
            # Over the runs nothing else disturbed (all of them if every run was disturbed).
            "dossiers_per_second_mean_undisturbed": round(mean(quiet or rates), 2),
            "disturbed_runs": [r["disturbed"] for r in mine],
            "submit_p95_ms": [r["submit_p95_ms"] for r in mine],
            "submit_to_notification_p95_ms": [r["submit_to_notification_p95_ms"] for r in mine],
            "error_rate_max": max(r["error_rate"] for r in mine),
            "machine_cpu_percent": [r["machine_cpu_percent"] for r in mine],
            "other_cpu_percent_of_one_core": [r["other_cpu_percent_of_one_core"] for r in mine],
            "mongodb_cpu_percent_of_one_core": [r["mongodb_cpu_percent_of_one_core"] for r in mine],
            "busiest_process": [
                f"{r['busiest_process']['name']} {r['busiest_process']['cpu_percent_avg']} %" for r in mine
            ],
            "stack_ready_s": ready[layout],
        }
    shared, own = (out[k]["dossiers_per_second_mean_undisturbed"] for k in LAYOUTS)
    out["ratio_per_service_over_shared"] = round(own / max(0.01, shared), 2)
    shared, own = (out[k]["dossiers_per_second_mean"] for k in LAYOUTS)
    out["ratio_per_service_over_shared_all_runs"] = round(own / max(0.01, shared), 2)
    # Each round's two runs, minutes apart: the ratio within the round, and its median over the rounds
    # where neither run was disturbed.
    pairs = [runs[i : i + 2] for i in range(0, len(runs) - 1, 2)]
    by_round = []
    for pair in pairs:
        rate = {r["layout"]: r["dossiers_per_second"] for r in pair}
        by_round.append(
            {
                "ratio": round(rate["per-service"] / max(0.01, rate["shared"]), 2),
                "disturbed": any(r["disturbed"] for r in pair),
            }
        )
    out["ratio_by_round"] = by_round
    quiet = [p["ratio"] for p in by_round if not p["disturbed"]] or [p["ratio"] for p in by_round]
    out["ratio_by_round_median_undisturbed"] = round(median(quiet), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--filers", type=int, default=8, help="citizens filing dossiers")
    ap.add_argument("--searchers", type=int, default=10)
    ap.add_argument("--officers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=45)
    ap.add_argument("--rounds", type=int, default=4)
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    runs = []
    ready: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stacks:
        running, fixtures = {}, {}
        for layout in LAYOUTS:
            t = time.monotonic()
            running[layout] = stacks.enter_context(stack(mongo_layout=layout))
            ready[layout] = round(time.monotonic() - t, 1)
        for layout, s in running.items():
            fixtures[layout] = Path(tmp) / f"{layout}.json"
            fixtures[layout].write_text(json.dumps(asyncio.run(prepare(s, args.filers, args.officers))))
            locust(s, fixtures[layout], f"db_{layout}_warmup", 2, 2, 1, 5)
        for i in range(args.rounds):
            order = LAYOUTS if i % 2 == 0 else LAYOUTS[::-1]
            for layout in order:
                idle = running[next(other for other in LAYOUTS if other != layout)]
                r = run(layout, running[layout], idle, args, fixtures[layout], f"db_{layout}_{i + 1}")
                runs.append(r)
                print(
                    f"round {i + 1} {layout}: {r['dossiers_per_second']} dossiers/s, "
                    f"submit p95 {r['submit_p95_ms']} ms, machine {r['machine_cpu_percent']} % CPU, "
                    f"MongoDB {r['mongodb_cpu_percent_of_one_core']}, "
                    f"beside the stacks {r['other_cpu_percent_of_one_core']} %"
                    + (" (disturbed)" if r["disturbed"] else ""),
                    flush=True,
                )
    result = {
        "benchmark": "db_layout",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": MACHINE,
        "command": "python bench/db_layout.py " + " ".join(sys.argv[1:]),
        "settings": vars(args),
        "note": (
            "one stack of each layout, both running throughout, the same locust stage (bench/load.py) "
            "against each in turn; locust, the gateway, every service and the infrastructure share the "
            "same cores; CPU figures are percent of one core averaged over the stage, machine_cpu_percent "
            "of both cores together; a run is disturbed when more than "
            f"{DISTURBED_OTHER_CPU:.0f} % of one core went to work beside the stacks and their load"
        ),
        "summary": summary(runs, ready),
        "runs": runs,
    }
    save("db_layout", result)


if __name__ == "__main__":
    main()
