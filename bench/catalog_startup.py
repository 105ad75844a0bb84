"""How long a catalog replica takes to be ready (its /readyz answers 200, counted from the process's
start, Python's imports included), while another stack is under load:

- ``empty``: the first replica on an empty database (it loads the seed and builds the index);
- ``join``: a fresh replica joining a database that is already seeded (a stack scaling out, a restart);
- ``pair``: two replicas started at once on an empty database (what `make up` with two replicas, or
  tests/system/test_scale.py, does): the later of the two.

    .venv/bin/python bench/catalog_startup.py [--repeat 3] [--citizens 8] [--searchers 4] [--idle 1]

Starts a whole stack of its own (harness.stack) and loads it, in another process: citizens filing
dossiers (bench/submission_bench.py's steps) and clients searching with queries no cache has seen.
The measured replicas run beside it on the stack's busiest MongoDB server (the submission service's),
each on a database of its own, as on a shared database. ``--idle 1`` measures once more before the
load starts.

Before and after: with a tree of the code before the change at /tmp/before-catalog (``git worktree
add /tmp/before-catalog faddb61``; or ``--before PATH``), its replicas run with that tree's catalog
and dvckit first on PYTHONPATH and are measured the same way, in the same run, turn about with the
current code's. Results: bench/results/catalog_startup.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.harness import MACHINE, ROOT, save, stack

from devstack.config import SERVICES
from devstack.testing import free_port

CATALOG = next(s for s in SERVICES if s.name == "catalog")
BEFORE = Path("/tmp/before-catalog")  # noqa: S108 - where the docstring says to put the old tree
READY_LIMIT_S = 240.0


# -- the load (another process) ----------------------------------------------------------------------
def load(
    base: str, cfg: dict[str, str], citizens: int, searchers: int, ready: Any, stop: Any, out: Any
) -> None:
    """Citizens filing dossiers one after another and clients searching, until ``stop`` is set."""
    import httpx
    from catalog_search import distinct_queries
    from submission_bench import PROCEDURE, citizen, file_one, pdf

    from devstack import client

    async def run() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=citizens + searchers + 4)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
            admin = await client.admin(http, "admin", cfg["admin_password"])
            r = await http.post("/api/v1/catalog/procedures", json=PROCEDURE, headers=admin.auth)
            assert r.status_code in (201, 409), r.text

            async def person(i: int) -> dict[str, str] | None:
                for attempt in range(3):  # a code lost on a busy machine: another number, again
                    try:
                        return await citizen(http, inbox, i + 100 * attempt)
                    except AssertionError:
                        continue
                return None

            async with client.Inbox(cfg["notify_mongo"], cfg["notify_db"], Path(cfg["mail_dir"])) as inbox:
                people = [p for p in await asyncio.gather(*map(person, range(citizens))) if p]
            files = [pdf(200 * 1024), pdf(200 * 1024)]
            queries = distinct_queries(50_000)
            done = {"dossiers": 0, "searches": 0, "errors": 0}
            ready.set()

            async def filer(p: dict[str, str]) -> None:
                while not stop.is_set():
                    try:
                        await file_one(http, p, files, {})
                        done["dossiers"] += 1
                    except Exception:
                        done["errors"] += 1
                        await asyncio.sleep(1)

            async def searcher(k: int) -> None:
                i = k
                while not stop.is_set():
                    q = queries[i % len(queries)]
                    i += searchers
                    try:
                        r = await http.get("/api/v1/catalog/procedures", params={"q": q})
                        done["searches" if r.status_code == 200 else "errors"] += 1
                    except Exception:
                        done["errors"] += 1
                        await asyncio.sleep(1)

            began = time.perf_counter()
            await asyncio.gather(*(filer(p) for p in people), *(searcher(k) for k in range(searchers)))
            elapsed = time.perf_counter() - began
            return {
                **done,
                "citizens_filing": len(people),
                "seconds": round(elapsed, 1),
                "dossiers_per_second": round(done["dossiers"] / elapsed, 2),
                "searches_per_second": round(done["searches"] / elapsed, 1),
            }

    out.put(asyncio.run(run()))


# -- one replica -------------------------------------------------------------------------------------
def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - local http only
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


class Replica:
    """A catalog process of ``code`` ("after": this tree; "before": the tree at ``before``) on database
    ``db`` of the server at ``mongo_url``, with the load stack's broker and settings."""

    def __init__(self, s: Any, code: str, before: Path, mongo_url: str, db: str, logs: Path, n: int) -> None:
        self.port = free_port()
        env = s.cfg.service_env(CATALOG, 90 + n, self.port)
        env.update(
            {
                "CATALOG_MONGO_URL": mongo_url,
                "CATALOG_MONGO_DB": db,
                "CATALOG_PORT": str(self.port),
                "DVC_INSTANCE": f"catalog-bench-{n}",
                "PATH": os.environ.get("PATH", ""),
            }
        )
        if code == "before":
            env["PYTHONPATH"] = f"{before / 'services/catalog/src'}:{before / 'libs/dvckit/src'}"
            env["DVC_ROOT"] = str(before)
        self.log = logs / f"{code}-{n}.log"
        self.began = time.monotonic()
        with self.log.open("wb") as f:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", "from catalog.main import run; run()"],
                env=env,
                cwd=str(before if code == "before" else ROOT),
                stdout=f,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> float:
        while time.monotonic() - self.began < READY_LIMIT_S:
            if self.proc.poll() is not None:
                raise RuntimeError(f"replica exited: {self.log.read_text()[-2000:]}")
            if http_status(f"http://127.0.0.1:{self.port}/readyz") == 200:
                return round(time.monotonic() - self.began, 2)
            time.sleep(0.1)
        raise RuntimeError(f"not ready after {READY_LIMIT_S}s: {self.log.read_text()[-2000:]}")

    def how(self) -> dict[str, Any]:
        """What the replica logged of its start (the current code says how: seed, snapshot, database)."""
        for line in self.log.read_text(errors="replace").splitlines():
            if "catalogue ready" in line:
                try:
                    doc = json.loads(line)
                    return {k: doc[k] for k in ("source", "seconds") if k in doc}
                except ValueError:
                    return {"line": line[-200:]}
        return {}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def seed_written(mongo_url: str, db: str, limit: float = READY_LIMIT_S) -> float:
    """Seconds until the seed marker says done (measured from the call)."""
    from pymongo import MongoClient

    began = time.monotonic()
    with MongoClient(mongo_url) as c:
        while time.monotonic() - began < limit:
            m = c[db].catalog_meta.find_one({"_id": "seed"})
            if m and m.get("state") == "done":
                return time.monotonic() - began
            time.sleep(0.2)
    raise RuntimeError("seed not written")


def snapshot_stored(mongo_url: str, db: str, limit: float = 60) -> None:
    from pymongo import MongoClient

    began = time.monotonic()
    with MongoClient(mongo_url) as c:
        while time.monotonic() - began < limit:
            if c[db].catalog_snapshots.find_one({"kind": "head"}, {"_id": 1}):
                return
            time.sleep(0.2)


class Runs:
    def __init__(self, s: Any, before: Path, mongo_url: str, logs: Path) -> None:
        self.s, self.before, self.mongo_url, self.logs = s, before, mongo_url, logs
        self.n = 0

    def replica(self, code: str, db: str) -> Replica:
        self.n += 1
        return Replica(self.s, code, self.before, self.mongo_url, db, self.logs, self.n)

    def db(self, code: str) -> str:
        return f"{self.s.cfg.namespace}cbench_{code}_{self.n + 1}"

    def empty_and_join(self, code: str, joins: int) -> dict[str, Any]:
        """The first replica on an empty database, then ``joins`` fresh replicas one after another."""
        db = self.db(code)
        first = self.replica(code, db)
        try:
            empty = first.wait_ready()
            how = first.how()
            written = round(empty + seed_written(self.mongo_url, db), 2)
            if code == "after":
                snapshot_stored(self.mongo_url, db)
            joined = []
            for _ in range(joins):
                r = self.replica(code, db)
                try:
                    joined.append({"ready_s": r.wait_ready(), **r.how()})
                finally:
                    r.stop()
        finally:
            first.stop()
        return {"empty": {"ready_s": empty, "seed_written_s": written, **how}, "join": joined}

    def pair(self, code: str) -> dict[str, Any]:
        db = self.db(code)
        a, b = self.replica(code, db), self.replica(code, db)
        try:
            times = [a.wait_ready(), b.wait_ready()]
            hows = [a.how(), b.how()]
        finally:
            a.stop()
            b.stop()
        return {
            "ready_s": max(times),
            "each": [{"ready_s": t, **h} for t, h in zip(times, hows, strict=True)],
        }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    empty = [r["empty"]["ready_s"] for r in runs]
    written = [r["empty"]["seed_written_s"] for r in runs]
    join = [j["ready_s"] for r in runs for j in r["join"]]
    return {
        "empty_ready_s_median": round(statistics.median(empty), 2),
        "empty_ready_s_max": max(empty),
        "seed_written_s_median": round(statistics.median(written), 2),
        "join_ready_s_median": round(statistics.median(join), 2) if join else None,
        "join_ready_s_max": max(join) if join else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3, help="empty-database runs under load, per code")
    ap.add_argument("--joins", type=int, default=2, help="fresh replicas joining after each empty run")
    ap.add_argument("--citizens", type=int, default=8)
    ap.add_argument("--searchers", type=int, default=4)
    ap.add_argument("--idle", type=int, default=1, help="runs per code before the load starts")
    ap.add_argument("--before", type=Path, default=BEFORE)
    args = ap.parse_args()
    codes = ["after", "before"] if (args.before / "services/catalog/src/catalog").is_dir() else ["after"]
    result: dict[str, Any] = {"codes": codes, "before_tree": str(args.before) if "before" in codes else None}
    with tempfile.TemporaryDirectory(prefix="dvc-catalog-startup-") as tmp, stack() as s:
        mongo_url = s.cfg.mongo_url_for("submission")
        runs = Runs(s, args.before, mongo_url, Path(tmp))
        result["database"] = "the load stack's submission MongoDB server (a database of each run's own)"
        idle: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
        for _ in range(args.idle):
            for code in codes:
                idle[code].append(runs.empty_and_join(code, 1))
        ctx = multiprocessing.get_context("spawn")
        ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
        cfg = {
            "admin_password": s.cfg.admin_password,
            "notify_mongo": s.cfg.mongo_url_for("notify"),
            "notify_db": s.cfg.db_name("notify"),
            "mail_dir": str(s.cfg.mail_dir),
        }
        loader = ctx.Process(
            target=load, args=(s.cfg.gateway_url, cfg, args.citizens, args.searchers, ready, stop, out)
        )
        loader.start()
        try:
            if not ready.wait(600):
                raise RuntimeError("the load did not start")
            time.sleep(5)  # the load at full pace
            loaded: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
            pairs: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
            for i in range(args.repeat):
                order = codes if i % 2 == 0 else list(reversed(codes))
                for code in order:
                    loaded[code].append(runs.empty_and_join(code, args.joins))
                for code in order:
                    pairs[code].append(runs.pair(code))
            stop.set()
            result["load"] = out.get(timeout=120)
        finally:
            stop.set()
            loader.join(30)
            if loader.is_alive():
                loader.kill()
        result["load"]["what"] = (
            f"{args.citizens} citizens filing dossiers one after another and {args.searchers} clients "
            "searching with queries no cache has seen, through the load stack's gateway"
        )
        for code in codes:
            result[code] = {
                "under_load": {
                    **summary(loaded[code]),
                    "pair_ready_s_median": round(statistics.median(p["ready_s"] for p in pairs[code]), 2),
                    "runs": loaded[code],
                    "pairs": pairs[code],
                },
                "idle": {**summary(idle[code]), "runs": idle[code]} if idle[code] else None,
            }
    result["machine"] = MACHINE
    result["note"] = (
        "ready_s: from the process's start (imports included) to /readyz 200; seed_written_s: until the "
        "seed marker says done (the current code is ready before its seed writes finish and takes no "
        "change until they have). The load generator, both stacks and the infrastructure share the "
        "same cores."
    )
    result["command"] = (
        "git worktree add /tmp/before-catalog faddb61; .venv/bin/python bench/catalog_startup.py"
    )
    save("catalog_startup", result)


if __name__ == "__main__":
    main()
