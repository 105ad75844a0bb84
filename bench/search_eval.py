"""Search quality on the public evaluation set, by kind of query: recall@3 and MRR over the first 10.

    .venv/bin/python bench/search_eval.py [--label now] [--engine-at COMMIT] [--no-save]

Builds the same in-memory index the unit test and every catalog replica build from the committed seed (no
server), runs each case of services/catalog/tests/search_eval.json and prints, for every kind (official,
everyday, abbreviation, typo, situation, english) and overall: the number of cases, recall@3 (share of cases
with one of their acceptable codes among the first 3 results) and MRR (1 / rank of the first acceptable code
within the first 10, 0 beyond), then the misses with what came instead. The run is kept in
bench/results/search_eval.json under its label (other labels already there are kept, so a baseline and a
later run sit side by side), with the date, the git commit and the uncommitted changes under the catalog's
sources at the time.
"""

from __future__ import annotations

import argparse
import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "services" / "catalog" / "tests" / "search_eval.json"
OUT = ROOT / "bench" / "results" / "search_eval.json"
KINDS = ("official", "everyday", "abbreviation", "typo", "situation", "english")
CITIZENS = ("everyday", "abbreviation", "typo", "situation")
DEPTH = 10


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def rank_of(expect: list[str], codes: list[str]) -> int | None:
    """1-based rank of the first acceptable code among ``codes``, or None."""
    return next((i + 1 for i, c in enumerate(codes) if c in expect), None)


def summary(rows: list[dict]) -> dict:
    n = len(rows)
    if not n:
        return {"cases": 0, "recall@3": None, "mrr@10": None}
    found = sum(1 for r in rows if r["rank"] is not None and r["rank"] <= 3)
    mrr = sum(1 / r["rank"] for r in rows if r["rank"] is not None) / n
    return {"cases": n, "found@3": found, "recall@3": round(found / n, 3), "mrr@10": round(mrr, 3)}


def use_engine(commit: str | None) -> str:
    """Puts the catalog package on the path: the working tree's, or the one of ``commit`` (exported with git
    archive into a temporary directory, so a baseline can be measured while the tree has uncommitted changes)."""
    src = ROOT / "services" / "catalog" / "src"
    if commit:
        tmp = Path(tempfile.mkdtemp(prefix="search_eval_"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        tar = subprocess.run(
            ["git", "archive", commit, "services/catalog/src"], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=tar.stdout, check=True)
        src = tmp / "services" / "catalog" / "src"
    sys.path.insert(0, str(src))
    return str(src)


def evaluate() -> dict:
    import catalog
    from catalog.config import DEFAULT_SEED
    from catalog.service.view import build_view, item_of, read_seed

    print(f"catalog package: {Path(catalog.__file__).parent}", file=sys.stderr)

    t0 = time.perf_counter()
    index = build_view(map(item_of, read_seed(DEFAULT_SEED)), revision=1, seed="").index
    built = time.perf_counter() - t0
    names = {e.code: e.name for e in index.entries}
    cases = json.loads(EVAL.read_text())["cases"]
    rows = []
    t0 = time.perf_counter()
    for case in cases:
        codes = [h.entry.code for h in index.search(case["q"], limit=DEPTH)[0]]
        rows.append(
            {
                "q": case["q"],
                "kind": case["kind"],
                "expect": case["expect"],
                "top": codes,
                "rank": rank_of(case["expect"], codes),
            }
        )
    searched = time.perf_counter() - t0
    by_kind = defaultdict(list)
    for r in rows:
        by_kind[r["kind"]].append(r)
    result = {
        "overall": summary(rows),
        "by_kind": {k: summary(by_kind[k]) for k in KINDS},
        "citizens_words": summary([r for r in rows if r["kind"] in CITIZENS]),
        "misses": [
            {
                "q": r["q"],
                "kind": r["kind"],
                "expect": r["expect"],
                "rank": r["rank"],
                "top3": [f"{c} {names.get(c, '')[:80]}" for c in r["top"][:3]],
            }
            for r in rows
            if r["rank"] is None or r["rank"] > 3
        ],
        "index_build_s": round(built, 2),
        "search_ms_per_query": round(searched / max(1, len(rows)) * 1000, 2),
    }
    return result


def table(run: dict) -> list[tuple[str, dict]]:
    return [*run["by_kind"].items(), ("citizens", run["citizens_words"]), ("overall", run["overall"])]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--label", default="now", help="name of this run in the results file (e.g. baseline, now)"
    )
    ap.add_argument("--no-save", action="store_true", help="print only")
    ap.add_argument("--engine-at", metavar="COMMIT", help="search with the catalog package of this commit")
    args = ap.parse_args()
    use_engine(args.engine_at)
    result = evaluate()
    commit = git("rev-parse", args.engine_at or "HEAD")
    local = [] if args.engine_at else git("status", "--porcelain", "--", "services/catalog/src").splitlines()
    run = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "engine": "working tree" if not args.engine_at else f"catalog package exported from {commit[:10]}",
        "catalog_src_local_changes": local,  # uncommitted changes to the engine's package when it ran
        "eval_set": str(EVAL.relative_to(ROOT)),
        **result,
    }
    runs = json.loads(OUT.read_text()).get("runs", {}) if OUT.exists() else {}
    base = runs.get("baseline") if args.label != "baseline" else None
    print(
        f"{'kind':<14}{'cases':>6}{'found':>7}{'R@3':>8}{'MRR@10':>8}" + ("  R@3 vs baseline" if base else "")
    )
    for kind, s in table(run):
        if s["cases"]:
            line = f"{kind:<14}{s['cases']:>6}{s['found@3']:>7}{s['recall@3']:>8.3f}{s['mrr@10']:>8.3f}"
            b = dict(table(base)).get(kind) if base else None
            if b and b["cases"]:
                line += f"  {b['recall@3']:.3f} -> {s['recall@3']:.3f} ({s['recall@3'] - b['recall@3']:+.3f})"
            print(line)
    print(f"\n{len(run['misses'])} misses (expected code not in the first 3):")
    for m in run["misses"]:
        rank = f"rank {m['rank']}" if m["rank"] else "not in top 10"
        print(f"  [{m['kind']}] {m['q']!r} -> {m['expect']} ({rank}); got {m['top3']}")
    if args.no_save:
        return
    runs[args.label] = run
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "about": "bench/search_eval.py: recall@3 and MRR@10 of catalogue search over the public evaluation set, by kind; one entry per labelled run",
        "runs": runs,
    }
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"\nsaved under {args.label!r} in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
