"""Shared by the benchmarks: a stack of the project's own on shifted ports, and wrk runs."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.config import SERVICES, StackConfig
from devstack.infra import S3, Mongo, RabbitMQ, Smtp
from devstack.stack import Stack
from devstack.testing import _free_offset, free_port

ROOT = Path(__file__).resolve().parents[2]
LUA = Path(__file__).with_name("paths.lua")


@contextmanager
def stack(replicas: dict[str, int] | None = None, **env_overrides: str) -> Iterator[Stack]:
    """Every service and the gateway in a namespace of their own, with a MongoDB and a mail server of
    their own (fresh, so runs compare: the stand-in slows down as its data grows), on the machine's S3
    and RabbitMQ (reused if running, started otherwise); all removed afterwards."""
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
        s3_port=dev.s3_port,
        amqp_port=dev.amqp_port,
        smtp_port=free_port(),
        replicas=reps,
        namespace=f"bench{secrets.token_hex(2)}_",
        port_offset=_free_offset(reps),
        captcha_test_answer="bench",
    )
    own = [Mongo(cfg), Smtp(cfg)]
    for part in own:
        part.ensure()
    old = {k: os.environ.get(k) for k in env_overrides}
    os.environ.update(env_overrides)
    s = Stack(cfg)
    try:
        s.up(with_infra=False)
        yield s
    finally:
        s.down(with_infra=False)
        for part in own:
            part.proc.stop()
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(home, ignore_errors=True)


def wrk(
    base_url: str,
    paths: list[str],
    *,
    seconds: int = 20,
    connections: int = 32,
    threads: int = 2,
    headers: dict[str, str] | None = None,
) -> dict:
    """Closed-loop load with wrk; returns requests/s and exact p50/p95/p99 (ms)."""
    extra = [a for k, v in (headers or {}).items() for a in ("-H", f"{k}: {v}")]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(paths))
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", *extra, "-s", str(LUA), base_url],
            env={**os.environ, "WRK_PATHS": f.name},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("WRK_JSON "))
    return json.loads(line.removeprefix("WRK_JSON "))
