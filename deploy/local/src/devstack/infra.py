"""The local infrastructure: the MongoDB stand-ins (one a service), the S3 gateway, RabbitMQ and nginx.

Each component is reused when something already answers on its port (a developer's own server, or one
``make up`` started earlier) and started otherwise, bound to 127.0.0.1 with its data under the data dir.
Only what was started here gets a PID file, so ``down`` stops exactly that.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .config import S3_ACCESS_KEY, S3_SECRET_KEY, SERVICE_NAMES, StackConfig
from .procs import Proc, port_open, wait_until

BIN = Path(sys.executable).parent


def say(msg: str) -> None:
    print(f"[devstack] {msg}", flush=True)


def _http_ok(url: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - local http only
            return 200 <= r.status < 300
    except OSError:
        return False


@dataclass
class _Part:
    """A piece of the stack on a port of its own: reused when something answers there (``ping``),
    started (``_start``) otherwise; what it starts has the PID and log files named ``NAME``."""

    cfg: StackConfig
    NAME: ClassVar[str]
    LABEL: ClassVar[str]  # in messages

    @property
    def proc(self) -> Proc:
        return Proc(self.NAME, self.cfg.run_dir, self.cfg.log_dir)

    @property
    def key(self) -> str:
        """Its name in what ``up`` says and ``status`` shows."""
        return type(self).__name__

    @property
    def label(self) -> str:
        """Its name in errors."""
        return self.LABEL

    def ping(self) -> bool:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def ensure(self) -> str:
        if self.ping():
            return "reused"
        self._start()
        return "started"

    def _launch(self, cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> None:
        """Starts ``cmd`` as this part's process and waits until it answers."""
        self.proc.start(cmd, env=env)
        wait_until(self.label, self.ping, timeout, self.proc)


@dataclass
class Mongo(_Part):
    """One MongoDB stand-in server: ``service``'s own (per-service layout), or, with ``service`` empty,
    the one every service shares (``cfg.mongo_port``)."""

    service: str = ""
    NAME = "mongodb"
    LABEL = "MongoDB (secantusdb)"

    @property
    def name(self) -> str:
        """Its PID and log files' name, and the folder of its data under the data dir."""
        return f"{self.NAME}-{self.service}" if self.service else self.NAME

    @property
    def key(self) -> str:
        return f"Mongo ({self.service})" if self.service else "Mongo"

    @property
    def port(self) -> int:
        return self.cfg.mongo_port_for(self.service) if self.service else self.cfg.mongo_port

    @property
    def url(self) -> str:
        return self.cfg.mongo_url_at(self.port)

    @property
    def proc(self) -> Proc:
        return Proc(self.name, self.cfg.run_dir, self.cfg.log_dir)

    def ping(self) -> bool:
        if not port_open(self.cfg.host, self.port):
            return False
        from pymongo import MongoClient

        try:
            with MongoClient(self.url, serverSelectionTimeoutMS=500) as c:
                c.admin.command("ping")
            return True
        except Exception:
            return False

    @property
    def label(self) -> str:
        return f"{self.LABEL} on port {self.port}"

    def _start(self) -> None:
        store = self.cfg.data_dir / self.name
        store.mkdir(parents=True, exist_ok=True)
        self._launch(
            [
                str(BIN / "secantusd-py"),
                "--host",
                self.cfg.host,
                "--port",
                str(self.port),
                "--storage-path",
                str(store),
                "--log-level",
                "WARNING",
            ],
            30,
        )


def mongo_servers(cfg: StackConfig) -> list[Mongo]:
    """The stack's MongoDB servers: one a service, or the one they share (``cfg.mongo_layout``)."""
    if cfg.mongo_layout == "shared":
        return [Mongo(cfg)]
    return [Mongo(cfg, service) for service in SERVICE_NAMES]


@dataclass
class S3(_Part):
    NAME = "s3"
    LABEL = "S3 (JuiceFS gateway)"

    def ping(self) -> bool:
        return _http_ok(f"{self.cfg.s3_endpoint}/minio/health/ready")

    def _start(self) -> None:
        home = self.cfg.data_dir / "s3"
        home.mkdir(parents=True, exist_ok=True)
        meta = f"sqlite3://{home / 'meta.db'}"
        juicefs = str(BIN / "juicefs")
        if not (home / "meta.db").exists():
            subprocess.run(
                [
                    juicefs,
                    "--quiet",
                    "--no-agent",
                    "format",
                    "--storage",
                    "file",
                    "--bucket",
                    f"{home / 'blobs'}/",
                    meta,
                    "dvc",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        self._launch(
            [
                juicefs,
                "--quiet",
                "--no-agent",
                "gateway",
                "--multi-buckets",
                "--keep-etag",
                "--object-meta",
                "--no-banner",
                "--no-usage-report",
                "--cache-dir",
                str(home / "cache"),
                "--cache-size",
                "1024",
                "--metrics",
                f"{self.cfg.host}:{self.cfg.s3_metrics_port}",
                meta,
                f"{self.cfg.host}:{self.cfg.s3_port}",
            ],
            60,
            env={"MINIO_ROOT_USER": S3_ACCESS_KEY, "MINIO_ROOT_PASSWORD": S3_SECRET_KEY},
        )


@dataclass
class Smtp(_Part):
    """The local mail server: what notify sends lands as .eml files in the data folder's mail/."""

    NAME = "smtp"
    LABEL = "SMTP (aiosmtpd)"

    def ping(self) -> bool:
        return port_open(self.cfg.host, self.cfg.smtp_port)

    def _start(self) -> None:
        self._launch(
            [
                sys.executable,
                "-m",
                "devstack.smtp",
                "--host",
                self.cfg.host,
                "--port",
                str(self.cfg.smtp_port),
                "--dir",
                str(self.cfg.mail_dir),
            ],
            30,
        )


class Idp(_Part):
    """The development identity provider standing in for VNeID (devstack.idp): OpenID Connect on a port
    of its own, test identities on its sign-in form."""

    NAME = "idp"
    LABEL = "VNeID stand-in (oidc-provider-mock)"

    def ping(self) -> bool:
        return port_open(self.cfg.host, self.cfg.idp_port)

    def _start(self) -> None:
        self._launch(
            [sys.executable, "-m", "devstack.idp", "--host", self.cfg.host, "--port", str(self.cfg.idp_port)],
            30,
        )


@dataclass
class PaySandbox(_Part):
    """The payment provider sandbox (devstack.paysandbox): the provider's side of the payment protocol on a
    port of its own, knowing the stack's merchant (``merchants``: None for the one ``cfg`` names, notified
    at ``cfg``'s gateway; a test infrastructure's starts with none and registers each stack's)."""

    merchants: list[dict[str, str]] | None = None
    retry_delays: tuple[float, ...] = ()  # seconds between IPN attempts; empty: the sandbox's default
    NAME = "paysandbox"
    LABEL = "payment provider sandbox (devstack.paysandbox)"

    @property
    def url(self) -> str:
        return self.cfg.paysandbox_url

    def ping(self) -> bool:
        return _http_ok(f"{self.url}/healthz")

    def _start(self) -> None:
        merchants = self.merchants
        if merchants is None:
            merchants = [
                {
                    "tmn_code": self.cfg.payment_tmn_code,
                    "hash_secret": self.cfg.payment_hash_secret,
                    "ipn_url": self.cfg.payment_ipn_url,
                }
            ]
        env = {"DVC_PAYSANDBOX_MERCHANTS": json.dumps(merchants)}
        if self.retry_delays:
            env["DVC_PAYSANDBOX_RETRY_DELAYS"] = ",".join(str(d) for d in self.retry_delays)
        self._launch(
            [
                sys.executable,
                "-m",
                "devstack.paysandbox",
                "--host",
                self.cfg.host,
                "--port",
                str(self.cfg.paysandbox_port),
            ],
            30,
            env=env,
        )


@dataclass
class PushSvc(_Part):
    """The local push service (devstack.pushsvc): browsers' subscriptions and their push service in one,
    decrypting what notify pushes."""

    NAME = "pushsvc"
    LABEL = "local push service (devstack.pushsvc)"

    @property
    def url(self) -> str:
        return self.cfg.pushsvc_url

    def ping(self) -> bool:
        return _http_ok(f"{self.url}/healthz")

    def _start(self) -> None:
        self._launch(
            [
                sys.executable,
                "-m",
                "devstack.pushsvc",
                "--host",
                self.cfg.host,
                "--port",
                str(self.cfg.pushsvc_port),
            ],
            30,
        )


def _root() -> bool:
    return os.geteuid() == 0


def apt_install(*packages: str) -> None:
    """Install Debian packages (root only); refresh the package lists once if the first try fails."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    say(f"installing {' '.join(packages)} from Debian's packages")
    if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)


@dataclass
class RabbitMQ(_Part):
    """The machine's own RabbitMQ: reused when it answers, started with ``rabbitmq-server -detached``."""

    NAME = "rabbitmq"
    LABEL = "RabbitMQ"

    def ping(self) -> bool:
        return port_open(self.cfg.host, self.cfg.amqp_port)

    def _start(self) -> None:
        if self.cfg.amqp_port != 5672:
            raise SystemExit(f"nothing answers on RabbitMQ port {self.cfg.amqp_port}; start a broker there")
        if not shutil.which("rabbitmq-server"):
            if not _root():
                raise SystemExit(
                    "RabbitMQ is not running and not installed. Install it (Debian: "
                    "`sudo apt-get install rabbitmq-server`) or point DVC_AMQP_PORT at a running broker."
                )
            apt_install("rabbitmq-server")
        subprocess.run(["rabbitmq-server", "-detached"], check=True)
        wait_until(self.LABEL, self.ping, 90)
        out = subprocess.run(
            ["rabbitmqctl", "eval", "list_to_integer(os:getpid())."],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if out.isdigit():
            self.proc.adopt(int(out))


def nginx_binary() -> str:
    """Debian's nginx (with the njs module for edge token checks); installed when missing and root."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found:
        return found
    if not _root():
        raise SystemExit(
            "nginx is not installed. Install Debian's packages: "
            "`sudo apt-get install nginx libnginx-mod-http-js`, then run `make up` again."
        )
    apt_install("nginx", "libnginx-mod-http-js")
    # Debian's package starts a system nginx on port 80; the stack runs its own, so stop that one.
    subprocess.run(
        ["sh", "-c", "command -v service >/dev/null && service nginx stop || true"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass
class PrivateRabbitMQ:
    """A RabbitMQ node of our own (data under ``home``, its own ports), for tests that stop the broker."""

    home: Path
    port: int
    dist_port: int
    name: str = "dvctest"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.home),
            "RABBITMQ_NODENAME": f"{self.name}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.home / "log"),
            "RABBITMQ_PID_FILE": str(self.home / "pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.home / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.home / "rabbitmq"),
        }

    @staticmethod
    def available() -> bool:
        return Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists()

    def start(self, timeout: float = 60) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "enabled_plugins").write_text("[].\n")
        with open(self.home / "start.log", "ab") as out:
            subprocess.run(
                ["/usr/lib/rabbitmq/bin/rabbitmq-server", "-detached"],
                env=self._env(),
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until("private RabbitMQ", lambda: port_open("127.0.0.1", self.port), timeout)

    def pid(self) -> int | None:
        try:
            return int((self.home / "pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, timeout: float = 30) -> None:
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
        # The node's Erlang port mapper may keep running; it is shared and harmless.
        wait_until("private RabbitMQ to stop", lambda: not port_open("127.0.0.1", self.port), 10)
