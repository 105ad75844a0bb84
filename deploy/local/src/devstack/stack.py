"""The whole local stack: infrastructure, every service's replicas and the gateway."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from . import gateway, pki
from .config import SERVICES, ServiceSpec, StackConfig
from .infra import (
    BIN,
    S3,
    Idp,
    Mongo,
    PaySandbox,
    PushSvc,
    RabbitMQ,
    Smtp,
    mongo_servers,
    nginx_binary,
    say,
)
from .procs import Proc, wait_until

# A fresh catalogue replica is ready in seconds (from a snapshot, or built from the seed in memory); a
# service that fails says so at once (its process exits).
READY_TIMEOUT = 180.0
SEED_TIMEOUT = 240.0  # readiness and the catalogue's seed written, together


def http_status(url: str, timeout: float = 1.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - local http only
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


@dataclass
class Stack:
    cfg: StackConfig

    # -- parts -------------------------------------------------------------------------------------
    def infra(self) -> list[Mongo | S3 | RabbitMQ | Smtp | Idp | PaySandbox | PushSvc]:
        parts: list[Mongo | S3 | RabbitMQ | Smtp | Idp | PaySandbox | PushSvc]
        parts = [*mongo_servers(self.cfg), S3(self.cfg), RabbitMQ(self.cfg), Smtp(self.cfg), Idp(self.cfg)]
        # The payment provider sandbox and the local push service: development components, never part of a
        # production stack.
        if self.cfg.uses_paysandbox:
            parts.append(PaySandbox(self.cfg))
        if self.cfg.uses_pushsvc:
            parts.append(PushSvc(self.cfg))
        return parts

    def replicas(self) -> list[tuple[ServiceSpec, int, int, Proc]]:
        out = []
        for spec in SERVICES:
            for i, port in enumerate(self.cfg.ports(spec), start=1):
                out.append((spec, i, port, Proc(f"{spec.name}-{i}", self.cfg.run_dir, self.cfg.log_dir)))
        return out

    def workers(self) -> list[tuple[ServiceSpec, int, int, Proc]]:
        """The services' worker processes (``StackConfig.workers``), which the gateway does not route to."""
        out = []
        for spec in SERVICES:
            for i, port in enumerate(self.cfg.worker_ports(spec), start=1):
                out.append(
                    (spec, i, port, Proc(f"{spec.name}-worker-{i}", self.cfg.run_dir, self.cfg.log_dir))
                )
        return out

    @property
    def gateway_proc(self) -> Proc:
        return Proc("gateway", self.cfg.run_dir, self.cfg.log_dir)

    # -- lifecycle ---------------------------------------------------------------------------------
    def up_infra(self) -> None:
        self.cfg.data_dir.mkdir(parents=True, exist_ok=True)
        parts = self.infra()
        with ThreadPoolExecutor(len(parts)) as pool:
            results = list(pool.map(lambda c: (c.key, c.ensure()), parts))
        for name, how in results:
            say(f"{name}: {how}")
        shared = self.cfg.data_dir / Mongo.NAME
        if self.cfg.mongo_layout == "per-service" and shared.is_dir():
            say(
                f"note: {shared} holds a shared MongoDB server's data, which the per-service servers do not "
                "read: DVC_MONGO_LAYOUT=shared runs that server again; `make clean` removes it"
            )

    def up_services(self) -> None:
        started = []
        processes = [(*r, False) for r in self.replicas()] + [(*w, True) for w in self.workers()]
        for spec, i, port, proc, worker in processes:
            if proc.running() and http_status(f"http://{self.cfg.host}:{port}/healthz") == 200:
                continue
            proc.stop()  # a stale record of a dead process
            proc.start(
                [str(BIN / f"dvc-{spec.name}")],
                env=self.cfg.service_env(spec, i, port, worker=worker),
                cwd=self.cfg.root,
            )
            started.append(proc.name)
        if started:
            say("started " + ", ".join(started))

    def up_gateway(self) -> None:
        conf = gateway.write_local(self.cfg)
        nginx = nginx_binary()
        prefix = str(conf.parent)
        check = subprocess.run(
            [nginx, "-t", "-q", "-p", prefix, "-c", str(conf)],
            capture_output=True,
            text=True,
        )
        if check.returncode != 0:
            raise SystemExit(f"gateway configuration invalid:\n{check.stderr}")
        proc = self.gateway_proc
        if proc.running():
            # Replica counts may have changed: reload the new configuration without dropping requests.
            subprocess.run([nginx, "-s", "reload", "-p", prefix, "-c", str(conf)], check=True)
            return
        proc.start([nginx, "-p", prefix, "-c", str(conf)])
        wait_until(
            "gateway (nginx)", lambda: http_status(f"{self.cfg.gateway_url}/gateway/healthz") == 200, 15, proc
        )
        say(f"gateway: started on {self.cfg.gateway_url}")

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Wait until every replica and worker, and every route through the gateway, answers /readyz
        with 200."""
        started = time.monotonic()
        for _spec, _i, port, proc in self.replicas() + self.workers():
            wait_until(
                f"{proc.name} /readyz",
                lambda port=port: http_status(f"http://{self.cfg.host}:{port}/readyz") == 200,
                max(1.0, timeout - (time.monotonic() - started)),
                proc,
                interval=0.2,
            )
        for spec in SERVICES:
            url = f"{self.cfg.gateway_url}{spec.prefix}/readyz"
            wait_until(
                f"{url}",
                lambda url=url: http_status(url) == 200,
                max(1.0, timeout - (time.monotonic() - started)),
                interval=0.2,
            )
        self._wait_seed_written(max(1.0, SEED_TIMEOUT - (time.monotonic() - started)))
        return time.monotonic() - started

    def _wait_seed_written(self, timeout: float) -> None:
        """A fresh catalogue serves as soon as it is built and writes its seed in the background, during
        which an administrator's change waits or gets 503. A local stack is used at once (tests add
        procedures straight away): it counts as up when the seed is written."""
        from pymongo import MongoClient

        with MongoClient(self.cfg.mongo_url_for("catalog"), serverSelectionTimeoutMS=5000) as c:
            meta = c[self.cfg.db_name("catalog")]["catalog_meta"]
            wait_until(
                "the catalogue's seed written",
                lambda: (meta.find_one({"_id": "seed"}) or {}).get("state") == "done",
                timeout,
                interval=0.3,
            )

    def up_pki(self, *, live: bool = False) -> None:
        """The local CA and a signing certificate for each agency (devstack.pki): those of the committed
        directory before the services start; with ``live``, those the running catalogue serves (agencies
        an administrator added)."""
        try:
            agencies = pki.live_directory(self.cfg.gateway_url) if live else pki.committed_directory()
        except (OSError, ValueError, ImportError) as e:
            say(f"pki: could not read the agency directory ({e!r}); run `devstack pki` once the stack is up")
            return
        issued = pki.ensure(self.cfg.pki_dir, agencies)
        if issued:
            say(f"pki: issued {issued} agency signing certificates in {self.cfg.pki_dir}")

    def up(self, *, with_infra: bool = True) -> None:
        t0 = time.monotonic()
        if with_infra:
            self.up_infra()
        self.up_pki()
        self.up_services()
        self.up_gateway()
        self.wait_ready()
        self.up_pki(live=True)
        say(f"ready in {time.monotonic() - t0:.1f}s")

    def down(self, *, with_infra: bool = True) -> list[str]:
        stopped = []
        if self.gateway_proc.stop():
            stopped.append("gateway")
        # Stop every replica we have a PID file for, whatever the current replica counts say.
        for pid_file in sorted(self.cfg.run_dir.glob("*.pid")) if self.cfg.run_dir.exists() else []:
            name = pid_file.stem
            if any(name.startswith(f"{s.name}-") for s in SERVICES):
                if Proc(name, self.cfg.run_dir, self.cfg.log_dir).stop():
                    stopped.append(name)
        if with_infra:
            procs = {part.key: part.proc for part in self.infra()}
            # The payment sandbox even when DVC_ENV changed to production since `up` started it.
            procs.setdefault(PaySandbox.__name__, PaySandbox(self.cfg).proc)
            procs.setdefault(PushSvc.__name__, PushSvc(self.cfg).proc)
            # MongoDB servers of the other layout too (DVC_MONGO_LAYOUT changed since they were started).
            names = {proc.name for proc in procs.values()}
            for pid_file in (
                sorted(self.cfg.run_dir.glob(f"{Mongo.NAME}*.pid")) if self.cfg.run_dir.exists() else []
            ):
                if pid_file.stem not in names:
                    procs[pid_file.stem] = Proc(pid_file.stem, self.cfg.run_dir, self.cfg.log_dir)
            # Side by side: a MongoDB stand-in takes about two seconds to stop, and there is one a service.
            with ThreadPoolExecutor(len(procs)) as pool:
                done = list(pool.map(lambda kv: (kv[0], kv[1].stop()), procs.items()))
            stopped += [key for key, was_running in done if was_running]
        return stopped

    def status(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for part in self.infra():
            state = ("ours" if part.proc.running() else "external") if part.ping() else "down"
            out[part.key] = state
        for _spec, _i, port, proc in self.replicas() + self.workers():
            code = http_status(f"http://{self.cfg.host}:{port}/readyz")
            out[proc.name] = "ready" if code == 200 else ("not ready" if code else "down")
        code = http_status(f"{self.cfg.gateway_url}/gateway/healthz")
        out["gateway"] = "up" if code == 200 else "down"
        return out


def print_status(stack: Stack) -> None:
    print(json.dumps(stack.status(), indent=2), file=sys.stdout)


def clean(cfg: StackConfig) -> None:
    import shutil

    if cfg.data_dir.exists():
        shutil.rmtree(cfg.data_dir)
    say(f"removed {cfg.data_dir}")
