"""Search through the gateway under load: 32 concurrent clients over the full catalogue, beside the same
load on a trivial endpoint of the same service (its /healthz through the gateway), in the same run.

    .venv/bin/python bench/catalog_search.py [--seconds 20] [--connections 32] [--replicas 1]

Starts every service and the gateway (namespace of its own; the catalog loads the committed seed),
generates 400 realistic queries from procedure names (with and without diacritics, some with a typo,
plus the evaluation set's queries) and drives `GET /api/v1/catalog/procedures?q=…` with wrk, repeating
them as real traffic does (the gateway's cache and the service's result cache answer repeats). Then the
same with 30,000 distinct queries that no cache has seen, to show the search itself (`search_uncached`:
each wrk thread takes its own share of them, in order, so none is asked twice while they last; the result
says how many there were), and as-you-type suggestions (`GET /api/v1/catalog/suggest?q=`) for every
distinct prefix of procedure names a search box would send (about 100,000; `suggest_uncached`), then
by the same 32 clients at a typing pace (each waits 50-150 ms before asking again: `..._typing_pace`).
Results: bench/results/catalog_search_r<replicas>.json.
"""

from __future__ import annotations

import json
import random
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, ROOT, options, save, stack, wrk

from catalog.config import DEFAULT_SEED
from catalog.domain.text import strip_marks
from catalog.service.catalog import read_seed

EVAL = ROOT / "services" / "catalog" / "tests" / "search_eval.json"
TYPING_PAUSE_MS = 100


def queries(n: int = 400, seed: int = 42) -> list[str]:
    rnd = random.Random(seed)
    procs = [p for p in read_seed(DEFAULT_SEED) if p.status == "published"]
    weights = [1 + p.popularity**0.5 for p in procs]
    out = []
    for p in rnd.choices(procs, weights=weights, k=n):
        ws = p.name.split()
        k = rnd.randint(2, min(4, len(ws))) if len(ws) >= 2 else 1
        start = rnd.randint(0, max(0, min(2, len(ws) - k)))
        q = " ".join(ws[start : start + k])
        if rnd.random() < 0.5:
            q = strip_marks(q)
        if rnd.random() < 0.1 and len(q) > 6:  # a typo: two letters swapped
            i = rnd.randint(1, len(q) - 2)
            q = q[:i] + q[i + 1] + q[i] + q[i + 2 :]
        out.append(q)
    if EVAL.exists() and seed == 42:
        out += [c["q"] for c in json.loads(EVAL.read_text())["cases"]]
    return out


def distinct_queries(n: int) -> list[str]:
    """Queries no cache has seen: random runs of words from random names (so every request is a search)."""
    rnd = random.Random(7)
    names = [p.name.split() for p in read_seed(DEFAULT_SEED)]
    seen: set[str] = set()
    while len(seen) < n:
        ws = rnd.choice(names)
        k = rnd.randint(1, min(3, len(ws)))
        i = rnd.randint(0, len(ws) - k)
        q = " ".join(ws[i : i + k])
        seen.add(strip_marks(q) if rnd.random() < 0.5 else q)
    return sorted(seen, key=lambda _q: rnd.random())


def prefixes(n: int) -> list[str]:
    """What a search box holds while a name is typed: up to three whole words from near the start of a
    name and the beginning of the next one (2+ letters in all), with or without diacritics; ``n`` of
    them, all different, drawn from every such text of every published name."""
    rnd = random.Random(11)
    found: set[str] = set()
    for p in read_seed(DEFAULT_SEED):
        if p.status != "published":
            continue
        ws = p.name.split()
        for start in range(min(3, len(ws))):
            for k in range(1, min(4, len(ws) - start) + 1):
                *whole, last = ws[start : start + k]
                for cut in range(1, len(last) + 1):
                    q = " ".join([*whole, last[:cut]])
                    if len(q) >= 2:
                        found.add(q)
                        found.add(strip_marks(q))
    return rnd.sample(sorted(found), min(n, len(found)))


def main() -> None:
    args = options(seconds=20, connections=32, replicas=1)
    qs = queries()

    def path(q: str, **extra: object) -> str:
        return f"/api/v1/catalog/procedures?{urllib.parse.urlencode({'q': q, 'size': 20, **extra})}"

    search_paths = [path(q) for q in qs]
    # Distinct queries, each with a page size no warm path uses, so neither cache can answer them.
    cold_paths = [path(q, size=19) for q in distinct_queries(30_000)]
    suggest_paths = [f"/api/v1/catalog/suggest?{urllib.parse.urlencode({'q': q})}" for q in prefixes(150_000)]
    started = time.monotonic()
    with stack({"catalog": args.replicas}) as s:
        ready_s = time.monotonic() - started
        base = s.cfg.gateway_url
        # Warm-up: each realistic query once, as the first visitors of the day would.
        wrk(base, search_paths, seconds=5, connections=4)
        trivial = wrk(base, ["/api/v1/catalog/healthz"], seconds=args.seconds, connections=args.connections)
        search = wrk(base, search_paths, seconds=args.seconds, connections=args.connections)
        cold = wrk(base, cold_paths, seconds=args.seconds, connections=args.connections, disjoint=True)
        suggest = wrk(base, suggest_paths, seconds=args.seconds, connections=args.connections, disjoint=True)
        # The same clients at a typing pace: each asks again 50-150 ms after its answer (the portal waits
        # for a 150 ms pause in typing), fresh prefixes (the saturating run above asked for the first ones).
        paced = wrk(
            base,
            suggest_paths[::-1],
            seconds=args.seconds,
            connections=args.connections,
            disjoint=True,
            delay_ms=TYPING_PAUSE_MS,
        )
    result = {
        "search": search,
        "search_uncached": cold,
        "suggest_uncached": suggest,
        "suggest_uncached_typing_pace": {**paced, "pause_ms": TYPING_PAUSE_MS},
        "trivial_endpoint": trivial,
        "queries": len(qs),
        "connections": args.connections,
        "catalog_replicas": args.replicas,
        "stack_ready_with_seed_load_s": round(ready_s, 1),
        "procedures": sum(1 for _ in read_seed(DEFAULT_SEED)),
        "machine": MACHINE,
        "note": "wrk, nginx, every service and the infrastructure share the same 2 cores",
    }
    save(f"catalog_search_r{args.replicas}", result)


if __name__ == "__main__":
    main()
