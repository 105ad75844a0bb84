"""`make up` / `make down` / `make clean` on a data folder of their own, as a developer runs them.

The stack runs its own MongoDB stand-in and S3 gateway on free ports (so the test also covers starting
them), shares the machine's RabbitMQ under a namespace of its own, and shifts its service ports.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import httpx

from devstack import client
from devstack.config import ROOT, SERVICES
from devstack.procs import is_running, port_open
from devstack.testing import _free_offset, own_stack_env


async def register(url: str, inbox: tuple[Any, ...], p: client.Person) -> client.Person:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http, client.Inbox(*inbox) as phone:
        return await client.register(http, phone, p)


def make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )


def pids(data: Path) -> dict[str, int]:
    return {p.stem: json.loads(p.read_text())["pid"] for p in (data / "run").glob("*.pid")}


def alive(pid: int) -> bool:
    return is_running(pid)


def test_up_is_idempotent_down_stops_what_it_started_data_survives_clean_wipes(tmp_path, infra):
    data = tmp_path / "data"
    env = {
        **os.environ,
        **own_stack_env(data),
        "DVC_AMQP_PORT": str(infra.amqp_port),
        "DVC_PORT_OFFSET": str(_free_offset({s.name: 1 for s in SERVICES})),
        "DVC_NAMESPACE": f"{infra.namespace}mk_",
        "DVC_ENV": "development",
    }
    gateway = int(env["DVC_GATEWAY_PORT"])
    url = f"http://127.0.0.1:{gateway}"
    first = make("up", env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"{url}/" in first.stdout
    # One MongoDB server a service, on DVC_MONGO_PORT + the service's index.
    servers = {f"mongodb-{spec.name}": int(env["DVC_MONGO_PORT"]) + i for i, spec in enumerate(SERVICES)}
    for spec in SERVICES:
        assert f"Mongo ({spec.name}): started" in first.stdout, first.stdout
    assert "S3: started" in first.stdout
    started = pids(data)
    assert {*servers, "s3", "gateway", "auth-1", "catalog-1", "submission-1", "notify-1"} <= set(started)
    for name, port in servers.items():
        assert str(port) in " ".join(json.loads((data / "run" / f"{name}.pid").read_text())["cmd"])
    assert "rabbitmq" not in started  # the machine's broker was reused, so it is not ours to stop

    for spec in SERVICES:
        assert httpx.get(f"{url}{spec.prefix}/readyz").status_code == 200
    inbox = (
        f"mongodb://127.0.0.1:{servers['mongodb-notify']}/?retryWrites=false&directConnection=true",
        f"{env['DVC_NAMESPACE']}dvc_notify",
        data / "mail",
    )
    person = asyncio.run(register(url, inbox, client.new_person("Phạm Minh Đức", email=False)))

    again = make("up", env)  # running it twice does no harm: nothing restarted
    assert again.returncode == 0, again.stdout + again.stderr
    assert pids(data) == started
    assert all(f"Mongo ({spec.name}): reused" in again.stdout for spec in SERVICES), again.stdout
    status = make("status", env)
    assert status.returncode == 0, status.stdout + status.stderr
    shown = json.loads(status.stdout[status.stdout.index("{") :])
    assert all(shown[f"Mongo ({spec.name})"] == "ours" for spec in SERVICES), shown

    down = make("down", env)
    assert down.returncode == 0, down.stdout + down.stderr
    assert not [n for n, p in started.items() if alive(p)], down.stdout
    assert not port_open("127.0.0.1", gateway)
    assert port_open("127.0.0.1", infra.amqp_port)  # not ours: still running
    assert all((data / name).is_dir() for name in servers)
    assert not any(port_open("127.0.0.1", port) for port in servers.values())

    try:
        back = make("up", env)
        assert back.returncode == 0, back.stdout + back.stderr
        # Data survived down and up: the citizen signs in.
        r = httpx.post(
            f"{url}/api/v1/auth/login", json={"username": person.citizen_id, "password": client.PASSWORD}
        )
        assert r.status_code == 200, r.text
    finally:
        cleaned = make("clean", env)
    assert cleaned.returncode == 0, cleaned.stdout + cleaned.stderr
    assert not data.exists()
    assert not port_open("127.0.0.1", gateway)
