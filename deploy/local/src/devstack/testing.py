"""Test infrastructure from one place (a pytest plugin, loaded by the root ``conftest.py``).

- ``infra`` (session): real MongoDB, RabbitMQ and S3. Where a Docker engine answers, testcontainers
  starts the genuine images. Otherwise the MongoDB and S3 stand-ins are started privately on free ports
  and stopped at the end (``DVC_TEST_REUSE_INFRA=1``: those of a running ``make up``). MongoDB is laid
  out as ``make up`` lays it out: a server per service (a service's tests and a test stack's service
  use that service's server).
- Every run gets its own namespace (``t<hex>_``): database names, queue names, the exchange and bucket
  names carry it, so runs never see each other's data, even on a shared server. The services' queues
  are removed at the end of the test module that made them (those of an app still running, at the end of
  the run); the exchange at the end, and databases and buckets on servers the run reused (those it started
  go with their data); queues a test declared itself expire once idle.
- ``stack`` (session): every service and the gateway, started by the same code as ``make up``.
- The payment provider sandbox (devstack.paysandbox) of the run's own, ``infra.paysandbox_url``: it starts
  with no merchant; each test stack registers one of its own, notified at that stack's gateway, and a test
  gets one notified at a server of its own with ``infra.paysandbox_merchant(ipn_url)``.
- The local push service (devstack.pushsvc) of the run's own, ``infra.pushsvc_url``: subscriptions made
  there (``infra.push_subscription()``) are pushed to by notify and decrypted there.
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import secrets
import shutil
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .config import (
    DEV_ADMIN_TOTP_SECRET,
    ROOT,
    S3_ACCESS_KEY,
    S3_SECRET_KEY,
    SERVICE_NAMES,
    SERVICES,
    WORKER_PORT_OFFSET,
    StackConfig,
)
from .infra import S3, Idp, Mongo, PaySandbox, PrivateRabbitMQ, PushSvc, RabbitMQ, Smtp, mongo_servers
from .procs import port_open
from .stack import Stack

_names = itertools.count(1)  # database, queue-prefix and bucket names unique within the run

ARTIFACTS = ROOT / "test-artifacts"
CAPTCHA_TEST_ANSWER = "test-captcha"
CORS_TEST_ORIGIN = "https://app.haiphong.example"  # the one origin a test stack's gateway allows
# The test sandbox retries a notification quickly (five retries within about six seconds).
PAYSANDBOX_TEST_RETRY_DELAYS = (0.2, 0.4, 0.8, 1.6, 3.2)


def script(path: Path) -> ModuleType:
    """A Python file outside any package (a deploy script, a module of tests/static) as a module. The tests
    run with --import-mode=importlib, which keeps such folders off sys.path. The module already loaded from
    that file is returned when there is one (pytest's own, for a test module, so that both share its state);
    otherwise it is loaded under the dotted name of its path, the name pytest would give it."""
    path = path.resolve()
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == str(path):
            return module
    name = ".".join(path.relative_to(ROOT.resolve()).with_suffix("").parts)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(n: int) -> int:
    """The first of ``n`` consecutive free ports (``make up``'s MongoDB servers, one a service, listen
    on DVC_MONGO_PORT + 0, 1, ...)."""
    for _ in range(200):
        first = free_port()
        if first + n > 65536:
            continue
        held = []
        try:
            for port in range(first, first + n):
                s = socket.socket()
                held.append(s)
                s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError(f"no {n} consecutive free ports")


def own_stack_env(data_dir: Path) -> dict[str, str]:
    """What ``make up`` reads for a stack with its data in ``data_dir``, its gateway, MongoDB servers and
    S3 on free ports of their own."""
    return {
        "DVC_DATA_DIR": str(data_dir),
        "DVC_GATEWAY_PORT": str(free_port()),
        "DVC_MONGO_PORT": str(free_ports(len(SERVICES))),
        "DVC_S3_PORT": str(free_port()),
        "DVC_S3_METRICS_PORT": str(free_port()),
    }


def _mongo_url(port: int) -> str:
    return f"mongodb://127.0.0.1:{port}/?retryWrites=false&directConnection=true"


@dataclass
class Infra:
    # Each service's MongoDB server, as `make up` runs them: one a service. Cost at start, measured on
    # the 2-core box: four stand-ins are ready in 2.5 s against 1.2 s for one, 60 MiB each.
    mongo_ports: dict[str, int]
    amqp_url: str
    s3_endpoint: str
    namespace: str
    amqp_port: int
    s3_port: int
    smtp_port: int = 1025
    idp_port: int = 9400
    paysandbox_port: int = 9500
    pushsvc_port: int = 9600
    mail_dir: Path = Path()
    s3_access_key: str = S3_ACCESS_KEY
    s3_secret_key: str = S3_SECRET_KEY
    how: dict[str, str] = field(default_factory=dict)
    # The consuming services' main queues this run made (their retry and parking queues follow from
    # them): deleted at the end, not left to expire. A broker deleting hundreds of expired quorum
    # queues at once stalled for minutes, and with it whatever test run came next.
    queues: dict[str, tuple[float, ...]] = field(default_factory=dict)  # main queue → its retry delays

    # The run's own local CA and agency signing certificates (devstack.pki), made on first use.
    _pki: Path | None = None

    def signing_dir(self) -> Path:
        """A folder with the local CA and a certificate for every agency of the committed directory."""
        if self._pki is None:
            from . import pki

            folder = Path(tempfile.mkdtemp(prefix=f"{self.namespace}pki-"))
            pki.ensure(folder, pki.committed_directory())
            self._pki = folder
        return self._pki

    @property
    def paysandbox_url(self) -> str:
        """The run's payment provider sandbox (devstack.paysandbox)."""
        return f"http://127.0.0.1:{self.paysandbox_port}"

    def paysandbox_merchant(
        self, ipn_url: str, tmn_code: str = "", hash_secret: str = "", ipn_method: str = "POST"
    ) -> dict[str, str]:
        """A merchant of its own on the run's sandbox, notified at ``ipn_url`` (a stack's gateway or a
        test's server): ``{tmn_code, hash_secret, ipn_url, ...}`` (a code and secret made up if not given)."""
        import httpx

        merchant = {
            "hash_secret": hash_secret or secrets.token_urlsafe(24),
            "ipn_url": ipn_url,
            "ipn_method": ipn_method,
        }
        code = tmn_code or f"T{secrets.token_hex(4).upper()[:7]}"
        r = httpx.put(f"{self.paysandbox_url}/sandbox/merchants/{code}", json=merchant, timeout=10)
        r.raise_for_status()
        return {**r.json(), "hash_secret": merchant["hash_secret"]}

    @property
    def pushsvc_url(self) -> str:
        """The run's local push service (devstack.pushsvc)."""
        return f"http://127.0.0.1:{self.pushsvc_port}"

    def push_subscription(self, application_server_key: str | None = None) -> dict[str, Any]:
        """A new subscription on the run's push service, as a browser's ``PushSubscription.toJSON()``."""
        import httpx

        body = {"applicationServerKey": application_server_key} if application_server_key else {}
        r = httpx.post(f"{self.pushsvc_url}/subscribe", json=body, timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def push_messages(self, endpoint: str) -> dict[str, Any]:
        """What the run's push service received (decrypted) for the subscription of ``endpoint``."""
        import httpx

        r = httpx.get(f"{self.pushsvc_url}/messages/{endpoint.rsplit('/', 1)[1]}", timeout=10)
        r.raise_for_status()
        return dict(r.json())

    def push_hosts(self) -> str:
        """``NOTIFY_PUSH_HOSTS`` for a notify that may push to the run's push service."""
        return f"fcm.googleapis.com,127.0.0.1:{self.pushsvc_port}"

    @property
    def mongo_url(self) -> str:
        """The server for tests of no service in particular (dvckit's own): the first service's."""
        return _mongo_url(self.mongo_ports[SERVICE_NAMES[0]])

    def mongo_url_for(self, service: str) -> str:
        """``service``'s own server; the first service's for a name that is no service (dvckit's tests)."""
        return _mongo_url(self.mongo_ports[service]) if service in self.mongo_ports else self.mongo_url

    def mongo_urls(self) -> list[str]:
        """Every distinct server."""
        return list(dict.fromkeys(_mongo_url(port) for port in self.mongo_ports.values()))

    def env(self, **extra: str) -> dict[str, str]:
        """Platform environment for a service under test (its names prefixed by the namespace)."""
        return {
            "DVC_ENV": "test",
            "DVC_MONGO_URL": self.mongo_url,
            **{f"{name.upper()}_MONGO_URL": self.mongo_url_for(name) for name in SERVICE_NAMES},
            "DVC_AMQP_URL": self.amqp_url,
            "DVC_EXCHANGE": f"{self.namespace}dvc.events",
            "DVC_QUEUE_PREFIX": self.namespace,
            "DVC_QUEUE_EXPIRES_MS": "900000",
            "DVC_S3_ENDPOINT": self.s3_endpoint,
            "DVC_S3_ACCESS_KEY": self.s3_access_key,
            "DVC_S3_SECRET_KEY": self.s3_secret_key,
            "DVC_S3_BUCKET": f"{self.namespace.replace('_', '-')}dvc-attachments",
            "DVC_CAPTCHA_TEST_ANSWER": CAPTCHA_TEST_ANSWER,
            **extra,
        }

    def settings(self, cls: type[Any], name: str = "", **overrides: Any) -> Any:
        """A service's Settings pointed at this infrastructure (its service's server), with a database of
        its own."""
        # A counter, not a short random suffix: a run makes hundreds of databases, and two of them sharing a
        # name (one with another module's first administrator in it) fails a sign-in now and then.
        n = next(_names)
        db = f"{self.namespace}{name or cls.service_name}_{n}"
        values = {
            "env": "test",
            "mongo_url": self.mongo_url_for(cls.service_name),
            "mongo_db": db,
            "amqp_url": self.amqp_url,
            "exchange": f"{self.namespace}dvc.events",
            "queue_prefix": f"{self.namespace}{n}.",
            # A stopped app's queues go two minutes after its last use. Every app makes five quorum
            # queues (each a Raft cluster of its own), and a run makes hundreds of apps: kept for 15 minutes,
            # some 300 were alive at once, and the machine's RabbitMQ (3.10) stopped answering new
            # connections until some expired. Longer than the longest retry delay (60 s).
            "queue_expires_ms": 120_000,
            # An app stopped at a test's end with a handler still busy (one waiting on a server the test
            # stopped) gives its messages back after 5 s rather than the 25 s a worker Pod gets.
            "consumer_drain_seconds": 5.0,
            "captcha_test_answer": CAPTCHA_TEST_ANSWER,
        }
        if "admin_totp_secret" in cls.model_fields:
            # The first administrator's second factor, as on a development stack (devstack.client signs
            # it in with codes of this secret).
            values["admin_totp_secret"] = DEV_ADMIN_TOTP_SECRET
        if "signing_dir" in cls.model_fields:
            values["signing_dir"] = self.signing_dir()
        if "s3_endpoint" in cls.model_fields:
            values.update(
                s3_endpoint=self.s3_endpoint,
                s3_access_key=self.s3_access_key,
                s3_secret_key=self.s3_secret_key,
                s3_bucket=f"{self.namespace.replace('_', '-')}b{n}",
            )
        values.update(overrides)
        made = cls(**values)
        self.queues[made.queue] = made.retry_delays
        return made


def _docker_engine() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


class _Local:
    """Private MongoDB and S3 stand-ins on free ports (or, with DVC_TEST_REUSE_INFRA=1, the developer's
    running ones); the machine's RabbitMQ, or a private node where none answers."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.started: list[Any] = []
        self.rabbit: PrivateRabbitMQ | None = None

    def provide(self) -> dict[str, Any]:
        dev = StackConfig.from_env()
        private = StackConfig(
            data_dir=self.home,
            mongo_service_ports={name: free_port() for name in SERVICE_NAMES},
            s3_port=free_port(),
            s3_metrics_port=free_port(),
        )
        how = {}
        # The run's own database and object store by default: a development stack's stand-ins grow with
        # every run they serve (secantusdb at 1.6 GB answered the catalog's start-up past its socket
        # timeout), and a run must not depend on what a developer left running. Reuse is opt-in.
        reuse = os.environ.get("DVC_TEST_REUSE_INFRA", "") == "1"
        mongo_cfg = dev if reuse and all(m.ping() for m in mongo_servers(dev)) else private
        if mongo_cfg is private:
            servers = mongo_servers(private)
            with ThreadPoolExecutor(len(servers)) as pool:
                list(pool.map(Mongo.ensure, servers))
            self.started.extend(servers)
        how["mongodb"] = "reused" if mongo_cfg is dev else "started"
        s3_cfg = dev if reuse and S3(dev).ping() else private
        if s3_cfg is private:
            S3(private).ensure()
            self.started.append(S3(private))
        how["s3"] = "reused" if s3_cfg is dev else "started"
        # A mail server of the run's own, always: tests read what it receives (codes sent by email) from
        # its folder, and a running one's folder may be another checkout's.
        smtp_cfg = private.with_(smtp_port=free_port())
        Smtp(smtp_cfg).ensure()
        self.started.append(Smtp(smtp_cfg))
        how["smtp"] = "started"
        # The VNeID stand-in of the run's own (its sign-ins are the run's).
        idp_cfg = private.with_(idp_port=free_port())
        Idp(idp_cfg).ensure()
        self.started.append(Idp(idp_cfg))
        how["idp"] = "started"
        # The payment provider sandbox of the run's own, with no merchant yet (each stack registers one).
        pay = _paysandbox(private)
        self.started.append(pay)
        how["paysandbox"] = "started"
        # The local push service of the run's own (its subscriptions and what it decrypted are the run's).
        push_cfg = private.with_(pushsvc_port=free_port())
        PushSvc(push_cfg).ensure()
        self.started.append(PushSvc(push_cfg))
        how["pushsvc"] = "started"
        amqp_port = dev.amqp_port
        if RabbitMQ(dev).ping():
            how["rabbitmq"] = "reused"
        elif PrivateRabbitMQ.available():
            amqp_port = free_port()
            self.rabbit = PrivateRabbitMQ(
                self.home / "rabbitmq", amqp_port, free_port(), name=f"dvct{os.getpid()}"
            )
            self.rabbit.start()
            how["rabbitmq"] = "started"
        else:
            raise RuntimeError("no RabbitMQ answers on 127.0.0.1:5672 and none is installed to start")
        return {
            "mongo_ports": {name: mongo_cfg.mongo_port_for(name) for name in SERVICE_NAMES},
            "s3_port": s3_cfg.s3_port,
            "amqp_port": amqp_port,
            "smtp_port": smtp_cfg.smtp_port,
            "idp_port": idp_cfg.idp_port,
            "paysandbox_port": pay.cfg.paysandbox_port,
            "pushsvc_port": push_cfg.pushsvc_port,
            "mail_dir": smtp_cfg.mail_dir,
            "how": how,
        }

    def close(self) -> None:
        if self.started:  # side by side: a MongoDB stand-in takes about two seconds to stop
            with ThreadPoolExecutor(len(self.started)) as pool:
                list(pool.map(lambda part: part.proc.stop(), self.started))
        if self.rabbit:
            self.rabbit.stop()
        # The stand-ins' data goes with them (nothing was emptied before: _cleanup); their logs stay.
        for path in [*self.home.glob("mongodb-*"), self.home / "s3"]:
            shutil.rmtree(path, ignore_errors=True)


class _Docker:
    """Genuine images through testcontainers, where a Docker engine answers: the ones docker-compose.yml runs
    (MongoDB and RabbitMQ by digest; MinIO built from deploy/minio, the project's own image), read from it so
    the tests and compose cannot drift apart."""

    def __init__(self) -> None:
        import yaml  # a test dependency (the root project's), as testcontainers is

        self.containers: list[Any] = []
        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.MONGO = compose["x-mongo"]["image"]
        self.RABBITMQ = compose["services"]["rabbitmq"]["image"]
        self.MINIO_BUILD = ROOT / compose["services"]["minio"]["build"]["context"]

    def provide(self) -> dict[str, Any]:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy

        def mongo() -> Any:
            return (
                DockerContainer(self.MONGO)
                .with_command("--replSet rs0 --bind_ip_all")
                .with_exposed_ports(27017)
                .waiting_for(LogMessageWaitStrategy("Waiting for connections"))
            )

        mongos = {name: mongo() for name in SERVICE_NAMES}  # one a service, as `make up` runs them
        from testcontainers.core.image import DockerImage

        minio_image = DockerImage(path=self.MINIO_BUILD, tag="dvc-haiphong-minio:test")
        minio_image.build()
        minio = (
            DockerContainer(str(minio_image))
            .with_command("server /data")
            .with_env("MINIO_ROOT_USER", S3_ACCESS_KEY)
            .with_env("MINIO_ROOT_PASSWORD", S3_SECRET_KEY)
            .with_exposed_ports(9000)
            .waiting_for(LogMessageWaitStrategy("API:"))
        )
        rabbit = (
            DockerContainer(self.RABBITMQ)
            .with_exposed_ports(5672)
            .waiting_for(LogMessageWaitStrategy("Server startup complete"))
        )
        first, *rest = [*mongos.values(), minio, rabbit]
        first.start()  # alone: the first start also starts testcontainers' reaper
        self.containers.append(first)
        self.containers.extend(rest)  # stopped by close() even if one fails to start
        with ThreadPoolExecutor(len(rest)) as pool:
            list(pool.map(lambda c: c.start(), rest))
        # No container for mail: the project's own local mail server (Python) serves either way.
        self.smtp = Smtp(
            StackConfig(data_dir=Path(tempfile.mkdtemp(prefix="dvc-mail-")), smtp_port=free_port())
        )
        self.smtp.ensure()
        self.idp = Idp(StackConfig(data_dir=self.smtp.cfg.data_dir, idp_port=free_port()))
        self.idp.ensure()
        self.paysandbox = _paysandbox(self.smtp.cfg)
        self.pushsvc = PushSvc(self.smtp.cfg.with_(pushsvc_port=free_port()))
        self.pushsvc.ensure()
        for m in mongos.values():
            m.exec(
                [
                    "mongosh",
                    "--quiet",
                    "--eval",
                    "rs.initiate({_id:'rs0',members:[{_id:0,host:'localhost:27017'}]})",
                ]
            )
        time.sleep(2)  # the one-node replica sets elect themselves
        return {
            "mongo_ports": {name: int(m.get_exposed_port(27017)) for name, m in mongos.items()},
            "s3_port": int(minio.get_exposed_port(9000)),
            "amqp_port": int(rabbit.get_exposed_port(5672)),
            "smtp_port": self.smtp.cfg.smtp_port,
            "idp_port": self.idp.cfg.idp_port,
            "paysandbox_port": self.paysandbox.cfg.paysandbox_port,
            "pushsvc_port": self.pushsvc.cfg.pushsvc_port,
            "mail_dir": self.smtp.cfg.mail_dir,
            "how": {
                "mongodb": "docker",
                "s3": "docker",
                "rabbitmq": "docker",
                "smtp": "started",
                "idp": "started",
                "paysandbox": "started",
                "pushsvc": "started",
            },
        }

    def close(self) -> None:
        self.smtp.proc.stop()
        self.idp.proc.stop()
        if getattr(self, "paysandbox", None) is not None:
            self.paysandbox.proc.stop()
        if getattr(self, "pushsvc", None) is not None:
            self.pushsvc.proc.stop()
        for c in reversed(self.containers):
            try:
                c.stop()
            except Exception as e:  # one that never started
                print(f"[devstack] could not stop a container: {e!r}")


def _paysandbox(cfg: StackConfig) -> PaySandbox:
    """The run's payment provider sandbox on a free port: no merchant until one is registered, quick
    retries."""
    part = PaySandbox(
        cfg.with_(paysandbox_port=free_port()), merchants=[], retry_delays=PAYSANDBOX_TEST_RETRY_DELAYS
    )
    part.ensure()
    return part


_INFRA: list[Infra] = []  # the session's, once made: for _module_queues, which must not start it


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    namespace = f"t{secrets.token_hex(3)}_"
    provider: _Local | _Docker
    provider = _Docker() if _docker_engine() else _Local(tmp_path_factory.mktemp("infra"))
    try:
        got = provider.provide()
        result = Infra(
            mongo_ports=got["mongo_ports"],
            amqp_url=f"amqp://guest:guest@127.0.0.1:{got['amqp_port']}/",
            s3_endpoint=f"http://127.0.0.1:{got['s3_port']}",
            namespace=namespace,
            amqp_port=got["amqp_port"],
            s3_port=got["s3_port"],
            smtp_port=got["smtp_port"],
            idp_port=got["idp_port"],
            paysandbox_port=got["paysandbox_port"],
            pushsvc_port=got["pushsvc_port"],
            mail_dir=got["mail_dir"],
            how=got["how"],
        )
        _INFRA.append(result)
        yield result
        _INFRA.clear()
        _cleanup(result)
        if result._pki is not None:
            shutil.rmtree(result._pki, ignore_errors=True)
    finally:
        provider.close()


async def eventually(check: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Await ``check()`` until it returns something truthy; fail with its last value after ``timeout``."""
    import asyncio
    import inspect

    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
        await asyncio.sleep(interval)


async def sent_code(auth_app: Any, purpose: str, **match: str) -> str:
    """The latest one-time code an in-process auth service sent for ``purpose`` to ``match``
    (``phone=``, ``email=`` or ``user_id=``): for tests that run auth without notify."""
    from .client import outbox_code

    key = auth_app.state.settings.seal_key.get_secret_value()
    return await outbox_code(auth_app.state.runtime.db.outbox, key, purpose, **match)


async def register_in_process(auth: Any, person: dict[str, Any]) -> dict[str, Any]:
    """A citizen account through an in-process auth service (``auth``: its client, with ``.app``
    or the app given as ``auth.app``): ask, the code, confirm; an email confirmed with its own code."""
    app = auth.app
    r = await auth.post("/api/v1/auth/register", json=person)
    assert r.status_code == 202, r.text
    code = await sent_code(app, "registration", phone=person["phone"])
    body = {"citizen_id": person["citizen_id"], "phone": person["phone"], "code": code}
    r = await auth.post("/api/v1/auth/register/confirm", json=body)
    assert r.status_code == 201, r.text
    user = r.json()
    if person.get("email"):
        login = {"username": person["phone"], "password": person["password"]}
        token = (await auth.post("/api/v1/auth/login", json=login)).json()["access_token"]
        code = await sent_code(app, "contact_change", email=person["email"])
        r = await auth.post(
            "/api/v1/auth/me/contact/confirm",
            json={"channel": "email", "code": code},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert r.status_code == 200, r.text
        user = r.json()
    return user


# How long a test waits for an in-process app's broker connection and consumer. The machine's RabbitMQ
# (3.10) pauses for over a minute when a burst of a run's quorum queues expires at once (five an app,
# two minutes after the app stopped): a wait of 30 s failed set-ups that a working broker passes.
BROKER_PAUSE_S = 120.0


def _queue_names(main: str, delays: tuple[float, ...]) -> list[str]:
    """A consuming service's queues: the main one, its parking queue and its retry tiers."""
    from dvckit.consumer import parking_queue_name, retry_queue_name

    return [main, parking_queue_name(main), *(retry_queue_name(main, d) for d in delays)]


async def _tidy_broker(infra: Infra) -> None:
    """Delete the run's exchange and the consuming services' queues it made (main, retry tiers, parking)."""
    import asyncio

    import aio_pika

    names = [name for main, delays in sorted(infra.queues.items()) for name in _queue_names(main, delays)]
    conn = await aio_pika.connect(infra.amqp_url, timeout=30)
    async with conn:
        ch = await conn.channel()
        await asyncio.wait_for(ch.exchange_delete(f"{infra.namespace}dvc.events"), 30)
        for name in names:  # deleting a queue that was never declared is not an error
            await asyncio.wait_for(ch.queue_delete(name), 30)


async def _delete_unused_queues(infra: Infra, mains: list[str]) -> None:
    """Delete the queues of each of ``mains`` that no one consumes from any more (its app stopped), and
    forget them; a main queue still consumed from keeps its queues."""
    import asyncio

    import aio_pika

    conn = await aio_pika.connect(infra.amqp_url, timeout=30)
    async with conn:
        for main in mains:
            ch = await conn.channel()
            try:  # quorum queues refuse queue.delete's if-unused: ask how many consume first
                q = await asyncio.wait_for(ch.declare_queue(main, passive=True), 30)
            except aio_pika.exceptions.ChannelClosed:
                infra.queues.pop(main, None)  # never declared (an app built, not started)
                continue
            if q.declaration_result.consumer_count:
                continue
            for name in _queue_names(main, infra.queues[main]):
                await asyncio.wait_for(ch.queue_delete(name), 30)
            infra.queues.pop(main, None)
            await ch.close()


@pytest.fixture(scope="module", autouse=True)
def _module_queues() -> Iterator[None]:
    """At a module's end, the queues of the apps it started and stopped are deleted, not left to expire.
    Each app makes five quorum queues (a Raft cluster each): left for their two minutes, those of the
    modules just run (hundreds) slowed the broker down until the next module's apps waited over a minute
    to start (RabbitMQ 3.10, two cores)."""
    infra = _INFRA[0] if _INFRA else None
    before = set(infra.queues) if infra else set()
    yield
    infra = _INFRA[0] if _INFRA else None
    mains = [q for q in infra.queues if q not in before] if infra else []
    if not mains:
        return
    import asyncio
    import threading

    def tidy() -> None:  # a loop of its own: the session's may still hold this module's tasks
        try:
            asyncio.run(_delete_unused_queues(infra, mains))
        except Exception as e:  # left to expire, as before
            print(f"[devstack] could not delete a module's queues: {e!r}")

    worker = threading.Thread(target=tidy, name="module-queues")
    worker.start()
    worker.join()


@asynccontextmanager
async def running(app: Any, client_ip: str = "127.0.0.1") -> AsyncIterator[Any]:
    """Run an ASGI app in-process (its lifespan included) and yield an httpx client bound to it."""
    import asyncio

    import httpx

    watchdog: asyncio.TimerHandle | None = None
    try:
        async with app.router.lifespan_context(app):
            try:
                transport = httpx.ASGITransport(
                    app=app, client=(client_ip, 40000), raise_app_exceptions=False
                )
                async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
                    yield client
            finally:
                # A shutdown that hangs shows where each task waits (pytest-timeout shows threads only).
                watchdog = asyncio.get_running_loop().call_later(60, _print_tasks, "shutdown still running")
    finally:
        if watchdog is not None:
            watchdog.cancel()


@asynccontextmanager
async def started_apps(build: Any) -> AsyncIterator[Any]:
    """For a service's ``make_<service>`` fixture: ``await make(**overrides)`` starts the app
    ``build(**overrides)`` in-process and returns its client (the app as ``client.app``); every app made
    is stopped when the block ends."""
    import contextlib

    async with contextlib.AsyncExitStack() as stack:

        async def make(**overrides: Any) -> Any:
            app = build(**overrides)
            client = await stack.enter_async_context(running(app))
            client.app = app
            return client

        yield make


def _print_tasks(why: str) -> None:
    import asyncio
    import sys

    print(f"[devstack] {why}; the tasks and where they wait:", file=sys.stderr)
    for task in asyncio.all_tasks():
        task.print_stack(limit=8, file=sys.stderr)


def client_for(app: Any, client_ip: str) -> Any:
    """Another client of an app already running (same lifespan), seen as coming from ``client_ip``."""
    import httpx

    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(client_ip, 40001)), base_url="http://svc"
    )


def _cleanup(infra: Infra) -> None:
    """Remove what this run created on shared servers (queues a test declared itself expire). The stand-ins
    the run started itself go with their data when it stops them: emptying them first only cost time (the
    hundreds of databases a run makes took about half a minute to drop)."""
    import asyncio

    try:
        asyncio.run(_tidy_broker(infra))
    except Exception as e:  # the broker may be gone already; an exchange is harmless, queues expire
        print(f"[devstack] could not delete the test exchange and queues: {e!r}")

    if infra.how.get("mongodb") == "reused":
        _drop_databases(infra)
    if infra.how.get("s3") == "reused":
        _delete_buckets(infra)


def _drop_databases(infra: Infra) -> None:
    from pymongo import MongoClient

    for url in infra.mongo_urls():
        with MongoClient(url, serverSelectionTimeoutMS=2000) as c:
            for name in c.list_database_names():
                if name.startswith(infra.namespace):
                    c.drop_database(name)


def _delete_buckets(infra: Infra) -> None:
    import botocore.session

    s3 = botocore.session.get_session().create_client(
        "s3",
        endpoint_url=infra.s3_endpoint,
        aws_access_key_id=infra.s3_access_key,
        aws_secret_access_key=infra.s3_secret_key,
        region_name="us-east-1",
    )
    prefix = infra.namespace.replace("_", "-")
    for b in s3.list_buckets().get("Buckets", []):
        if b["Name"].startswith(prefix):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b["Name"]):
                for o in page.get("Contents", []):
                    s3.delete_object(Bucket=b["Name"], Key=o["Key"])
            s3.delete_bucket(Bucket=b["Name"])


def _free_offset(replicas: dict[str, int], workers: dict[str, int] | None = None) -> int:
    for offset in range(10_000, 40_000, 700):
        ports = [s.base_port + offset + i for s in SERVICES for i in range(replicas.get(s.name, 1))]
        ports += [
            s.base_port + offset + WORKER_PORT_OFFSET + i
            for s in SERVICES
            for i in range((workers or {}).get(s.name, 0))
        ]
        if not any(port_open("127.0.0.1", p) for p in ports):
            return offset
    raise RuntimeError("no free port range for a test stack")


@dataclass
class RunningStack:
    stack: Stack
    cfg: StackConfig
    infra: Infra

    @property
    def url(self) -> str:
        return self.cfg.gateway_url

    def db_name(self, service: str) -> str:
        return self.cfg.db_name(service)

    def mongo_url_for(self, service: str) -> str:
        """The server holding ``service``'s database (``db_name(service)``)."""
        return self.cfg.mongo_url_for(service)

    def inbox(self) -> Any:
        """Where this stack's codes arrive (devstack.client.Inbox): its SMS record and mail folder."""
        from .client import Inbox

        return Inbox(self.mongo_url_for("notify"), self.db_name("notify"), self.infra.mail_dir)


def _mongo_layout(ports: dict[str, int]) -> dict[str, Any]:
    """StackConfig's MongoDB fields for servers on ``ports`` (service → port)."""
    if len(set(ports.values())) == 1:
        return {"mongo_layout": "shared", "mongo_port": next(iter(ports.values()))}
    return {"mongo_layout": "per-service", "mongo_service_ports": dict(ports)}


def start_stack(
    infra: Infra,
    *,
    replicas: dict[str, int] | None = None,
    name: str = "stack",
    namespace: str = "",
    **overrides: Any,
) -> RunningStack:
    """Every service and the gateway, as ``make up`` starts them, on the test infrastructure.
    ``namespace`` (added to the run's) gives the stack databases, queues and exchange of its own;
    ``overrides`` replace StackConfig fields (for example the ports of a private broker, or
    ``mongo_service_ports`` of servers of its own)."""
    reps = {s.name: 1 for s in SERVICES} | (replicas or {})
    # Ended sessions' access tokens stop within a second in test stacks (20 s by default), so the tests of
    # a stolen token wait a second, not a minute; a test's own extra_env adds to this.
    extra_env = {"DVC_REVOCATIONS_REFRESH_SECONDS": "1", **overrides.pop("extra_env", {})}
    home = ARTIFACTS / f"{name}-{infra.namespace.rstrip('_')}"
    if home.exists():
        shutil.rmtree(home)
    cfg = StackConfig(
        data_dir=home,
        env="test",
        gateway_port=free_port(),
        # The run's servers, one a service (or the one they share: a reused `make up` so laid out).
        **_mongo_layout(infra.mongo_ports),
        s3_port=infra.s3_port,
        amqp_port=infra.amqp_port,
        smtp_port=infra.smtp_port,
        idp_port=infra.idp_port,
        paysandbox_port=infra.paysandbox_port,
        pushsvc_port=infra.pushsvc_port,
        captcha_test_answer=CAPTCHA_TEST_ANSWER,
        cors_origins=(CORS_TEST_ORIGIN,),
        replicas=reps,
        namespace=infra.namespace + namespace,
        port_offset=_free_offset(reps, overrides.get("workers")),
        extra_env=extra_env,
    ).with_(**overrides)
    if cfg.uses_paysandbox and "payment_tmn_code" not in overrides:
        # A merchant of the stack's own on the run's sandbox, notified at this stack's gateway.
        merchant = infra.paysandbox_merchant(cfg.payment_ipn_url)
        cfg = cfg.with_(payment_tmn_code=merchant["tmn_code"], payment_hash_secret=merchant["hash_secret"])
    from dvckit.settings import ServiceSettings

    delays = ServiceSettings.model_fields["retry_delays"].default
    infra.queues.update({f"{cfg.namespace}{spec.name}.events": delays for spec in SERVICES})
    stack = Stack(cfg)
    try:
        stack.up(with_infra=False)
    except BaseException:
        stack.down(with_infra=False)
        raise
    return RunningStack(stack, cfg, infra)


@pytest.fixture(scope="session")
def stack(infra: Infra) -> Iterator[RunningStack]:
    running = start_stack(infra)
    try:
        yield running
    finally:
        running.stack.down(with_infra=False)


# Tiers: a test is `system` when it needs whole running stacks (every service behind the gateway, a
# browser, the fault drills): the `stack` fixture, or a test folder that starts stacks of its own.
# `make test-fast` leaves them out; `make test` (CI) runs everything.
SYSTEM_FOLDERS = ("tests/system/", "tests/browser/")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        where = Path(str(item.path)).resolve().relative_to(ROOT).as_posix()
        if "stack" in getattr(item, "fixturenames", ()) or where.startswith(SYSTEM_FOLDERS):
            item.add_marker(pytest.mark.system)


def trust_test_tokens(app: Any, **defaults: Any) -> None:
    """Make a service in-process trust tokens signed by a key of the test's own (auth's real tokens are
    covered in tests/contract): ``app.state.test_token(user_id, **claims)`` mints one; ``defaults`` are
    claims every token has unless given."""
    import time

    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    from dvckit.auth import TokenVerifier

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "t", "use": "sig"}
    settings = app.state.runtime.settings

    async def source() -> dict[str, Any]:
        return {"keys": [jwk]}

    app.state.runtime.tokens = TokenVerifier(
        source, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )

    def token(user_id: str, **claims: Any) -> str:
        now = int(time.time())
        return jwt.encode(
            {
                "iss": settings.jwt_issuer,
                "aud": settings.jwt_audience,
                "sub": user_id,
                "iat": now,
                "exp": now + 600,
                "jti": uuid.uuid4().hex,
                "roles": ["citizen"],
                **defaults,
                **claims,
            },
            key,
            "RS256",
            headers={"kid": "t"},
        )

    app.state.test_token = token
