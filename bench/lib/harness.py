"""Shared by the benchmarks: a stack of the project's own on shifted ports, wrk runs, their command lines,
samplers of the machine while a run goes on, percentiles and where the results go."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import aio_pika
import psutil

from devstack.config import SERVICE_NAMES, SERVICES, StackConfig
from devstack.infra import S3, RabbitMQ, Smtp, mongo_servers
from devstack.stack import Stack
from devstack.testing import _free_offset, free_port

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).with_name("paths.lua")
MACHINE = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def options(**defaults: int) -> argparse.Namespace:
    """A benchmark's command line: ``--name N`` for each integer option, with its default."""
    ap = argparse.ArgumentParser()
    for name, default in defaults.items():
        ap.add_argument(f"--{name}", type=int, default=default)
    return ap.parse_args()


def save(name: str, result: dict) -> Path:
    """Writes ``result`` to bench/results/<name>.json and prints it."""
    out = ROOT / "bench" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    out.write_text(text + "\n")
    print(text)
    return out


def pct(xs: list[float], p: float) -> float:
    """The ``p`` quantile of durations ``xs`` (seconds), in milliseconds; 0 when there are none."""
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(len(xs) * p))] * 1000, 1) if xs else 0.0


def percentiles(xs: list[float], suffix: str = "") -> dict[str, float]:
    """p50, p95 and p99 of durations ``xs`` (seconds) in milliseconds, named ``p50<suffix>`` and so on."""
    return {f"p{round(p * 100)}{suffix}": pct(xs, p) for p in (0.5, 0.95, 0.99)}


class Sampler:
    """Samples the machine in a thread while a ``with`` block runs: ``_run`` loops until ``_stop`` is set."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def stack(
    replicas: dict[str, int] | None = None,
    extra_env: dict[str, str] | None = None,
    mongo_layout: str = "per-service",
    **env_overrides: str,
) -> Iterator[Stack]:
    """Every service and the gateway in a namespace of their own, with MongoDB servers and a mail server
    of their own (fresh, so runs compare: the stand-in slows down as its data grows), on the machine's
    S3 and RabbitMQ (reused if running, started otherwise); all removed afterwards. ``mongo_layout`` is
    ``make up``'s (DVC_MONGO_LAYOUT): a server per service, or ``"shared"``, one for all. ``extra_env``
    goes to every service process (their environment is otherwise built from scratch), e.g. a
    PYTHONPATH that runs another version of the code for a before-and-after comparison."""
    dev = StackConfig.from_env()
    for part in (S3(dev), RabbitMQ(dev)):
        part.ensure()
    reps = {s.name: 1 for s in SERVICES} | (replicas or {})
    home = Path(tempfile.mkdtemp(prefix="dvc-bench-"))
    home.chmod(0o755)
    cfg = StackConfig(
        data_dir=home,
        env="development",
        gateway_port=free_port(),
        mongo_port=free_port(),
        mongo_layout=mongo_layout,
        mongo_service_ports={name: free_port() for name in SERVICE_NAMES},
        s3_port=dev.s3_port,
        amqp_port=dev.amqp_port,
        smtp_port=free_port(),
        replicas=reps,
        namespace=f"bench{secrets.token_hex(2)}_",
        port_offset=_free_offset(reps),
        captcha_test_answer="bench",
        extra_env=dict(extra_env or {}),
    )
    own = [*mongo_servers(cfg), Smtp(cfg)]
    with ThreadPoolExecutor(len(own)) as pool:
        list(pool.map(lambda part: part.ensure(), own))
    old = {k: os.environ.get(k) for k in env_overrides}
    os.environ.update(env_overrides)
    s = Stack(cfg)
    try:
        s.up(with_infra=False)
        yield s
    finally:
        s.down(with_infra=False)
        asyncio.run(_delete_queues(cfg))
        with ThreadPoolExecutor(len(own)) as pool:
            list(pool.map(lambda part: part.proc.stop(), own))
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(home, ignore_errors=True)


async def _delete_queues(cfg: StackConfig) -> None:
    """The stack's queues (its namespace's), deleted: the broker is the machine's, and quorum queues left
    behind by many runs cost it dearly when they go all at once."""
    from dvckit.consumer import parking_queue_name, retry_queue_name
    from dvckit.settings import ServiceSettings

    delays = ServiceSettings.model_fields["retry_delays"].default
    conn = await aio_pika.connect(cfg.amqp_url)
    async with conn:
        channel = await conn.channel()
        for name in SERVICE_NAMES:
            queue = f"{cfg.namespace}{name}.events"
            for q in (queue, parking_queue_name(queue), *(retry_queue_name(queue, d) for d in delays)):
                await channel.queue_delete(q)  # a queue that is not there is fine


class Processes(Sampler):
    """CPU (percent of one core, averaged) and peak memory (RSS) of every process on the machine, by
    what it is (each MongoDB server by its name: ``mongodb``, or ``mongodb-<service>``), sampled every
    second in a thread while a ``with`` block runs."""

    def __init__(self, s: Stack) -> None:
        super().__init__()
        self.stack_pids = {
            json.loads(p.read_text())["pid"]: p.stem for p in Path(s.cfg.run_dir).glob("*.pid")
        }
        self.mongo_ports = {str(port): name for name, port in s.cfg.mongo_servers().items()}
        self.s3_port = s.cfg.s3_port
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.rss: dict[str, int] = defaultdict(int)
        self._procs: dict[int, tuple[psutil.Process, str]] = {}

    def _label(self, p: psutil.Process) -> str | None:
        try:
            for anc in [p, *p.parents()]:
                # A service replica, the gateway (its nginx workers too), a MongoDB server, the mail server.
                if anc.pid in self.stack_pids:
                    return self.stack_pids[anc.pid]
            args = p.cmdline()
        except psutil.Error:
            return None
        cmd = " ".join(args)
        if p.pid == os.getpid():
            return "bench driver"
        if "secantusd" in cmd:
            port = args[args.index("--port") + 1] if "--port" in args[:-1] else ""
            return self.mongo_ports.get(port)  # another stack's server: not ours
        if "juicefs" in cmd and "gateway" in cmd:
            # The stack's S3 (its address is the last argument), not another stack's or a test run's.
            return "s3 (juicefs)" if args[-1].endswith(f":{self.s3_port}") else None
        if p.name() == "beam.smp":
            return "rabbitmq"
        if "locust" in cmd:
            return "locust"
        return None

    def _run(self) -> None:
        for p in psutil.process_iter():
            if (label := self._label(p)) is not None:
                p.cpu_percent()  # primes the counter
                self._procs[p.pid] = (p, label)
        while not self._stop.wait(1.0):
            for p in psutil.process_iter():  # locust's process starts after the sampler
                if p.pid not in self._procs and (label := self._label(p)) is not None:
                    p.cpu_percent()
                    self._procs[p.pid] = (p, label)
            cpu: dict[str, float] = defaultdict(float)
            rss: dict[str, int] = defaultdict(int)
            for pid, (p, label) in list(self._procs.items()):
                try:
                    cpu[label] += p.cpu_percent()
                    rss[label] += p.memory_info().rss
                except psutil.Error:
                    del self._procs[pid]
            for label, v in cpu.items():
                self.cpu[label].append(v)
                self.rss[label] = max(self.rss[label], rss[label])

    def report(self) -> dict[str, dict[str, float]]:
        return {
            label: {
                "cpu_percent_avg": round(sum(v) / len(v), 1),
                "cpu_percent_max": round(max(v), 1),
                "rss_mib_max": round(self.rss[label] / 2**20, 1),
            }
            for label, v in sorted(self.cpu.items())
            if v
        }


def wrk(
    base_url: str,
    paths: list[str],
    *,
    seconds: int = 20,
    connections: int = 32,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    disjoint: bool = False,
    delay_ms: int | None = None,
) -> dict:
    """Closed-loop load with wrk; returns requests/s and exact p50/p95/p99 (ms). ``disjoint``: each wrk
    thread takes its own share of ``paths`` in order, so none is asked twice until they run out (with
    ``distinct_paths`` in the result: more requests than that means some were repeats). ``delay_ms``: each
    connection waits about that long (0.5 to 1.5 times, at random) before each request (clients at a person's pace, not a saturating loop)."""
    extra = [a for k, v in (headers or {}).items() for a in ("-H", f"{k}: {v}")]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", *extra, "-s", str(LUA), base_url],
            env={
                **os.environ,
                "WRK_PATHS": f.name,
                **({"WRK_DISJOINT": str(threads)} if disjoint else {}),
                **({"WRK_DELAY_MS": str(delay_ms)} if delay_ms is not None else {}),
            },
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))
    result = json.loads(line.removeprefix("WRK_JSON "))
    return {**result, "distinct_paths": len(paths)} if disjoint else result
