"""What the local stack is made of and where it lives, read from the environment once.

The platform names (``DVC_ENV``, ``DVC_GATEWAY_PORT``, ``DVC_DATA_DIR``, ``DVC_ADMIN_USERNAME``,
``DVC_ADMIN_PASSWORD``, ``DVC_ADMIN_TOTP_SECRET``, ``DVC_CAPTCHA_TEST_ANSWER``) are read here and passed
to every service.
Replica counts: ``AUTH_REPLICAS``, ``CATALOG_REPLICAS``, ``SUBMISSION_REPLICAS``, ``NOTIFY_REPLICAS``,
``PAYMENT_REPLICAS``, ``REPORTING_REPLICAS``, ``AUDIT_REPLICAS``. Worker processes as on Kubernetes
(``SUBMISSION_WORKERS=1``...: they consume, the replicas then serve HTTP only); none by default.

MongoDB: each service owns its databases, and each gets a server of its own (``DVC_MONGO_LAYOUT``,
default ``per-service``): the stand-in is one process on one core, the busiest under filing load when
shared; one a service lets submission's and notify's writes run side by side (1.11x the dossiers a
second, notification delays about halved: bench/results/db_layout.json). Server *i*
of :data:`SERVICES` listens on ``DVC_MONGO_PORT`` + *i* (27017 auth, 27018 catalog, 27019 submission,
27020 notify, 27021 payment, 27022 reporting, 27023 audit), and each service is given its own URL as
``<SERVICE>_MONGO_URL``.
``DVC_MONGO_LAYOUT=shared`` runs one server for all on ``DVC_MONGO_PORT``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(os.environ.get("DVC_ROOT") or Path(__file__).resolve().parents[4])


@dataclass(frozen=True)
class ServiceSpec:
    name: str  # also the Python package and the env prefix (upper-cased)
    prefix: str  # public path prefix behind the gateway
    base_port: int  # replica i listens on base_port + i - 1
    max_body: str = "1m"  # gateway limit on request bodies for this service
    read_timeout: str = "30s"
    cache: bool = False  # the gateway caches its public GETs (those it marks Cache-Control: public)

    @property
    def env_prefix(self) -> str:
        return self.name.upper() + "_"


SERVICES: tuple[ServiceSpec, ...] = (
    # A citizen's data export gathers every service's part and files before its first byte (docs/auth.md).
    ServiceSpec("auth", "/api/v1/auth", 8101, read_timeout="300s"),
    ServiceSpec("catalog", "/api/v1/catalog", 8201, cache=True),
    # Attachments up to 200 MB stream through; the service enforces its own per-file limits.
    ServiceSpec("submission", "/api/v1/submissions", 8301, max_body="210m", read_timeout="300s"),
    # Live notifications are long-lived streams.
    ServiceSpec("notify", "/api/v1/notifications", 8401, read_timeout="3600s"),
    ServiceSpec("payment", "/api/v1/payments", 8501),
    ServiceSpec("reporting", "/api/v1/reporting", 8601),
    # The audit trail (docs/audit.md); its exports stream.
    ServiceSpec("audit", "/api/v1/audit", 8701, read_timeout="300s"),
)

SERVICE_NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)

# A service's workers listen from its base port + this (its replicas are below: base port + 0, 1, ...).
WORKER_PORT_OFFSET = 50

# One MongoDB server per service, or one for all (DVC_MONGO_LAYOUT).
MONGO_LAYOUTS = ("per-service", "shared")

DEV_ADMIN_USERNAME = "admin"
DEV_ADMIN_PASSWORD = "admin-dev-password"  # noqa: S105 - development default, documented in the README
# The first administrator's TOTP secret (base32) on a development or test stack, so every test process
# and benchmark computes its codes (pyotp); refused by auth in production, where it enrols on first sign-in.
DEV_ADMIN_TOTP_SECRET = "HAIPHONGDVCDEVADMINTOTPSECRET234"  # noqa: S105 - development default (README)
# The development app of `make up` and the test stacks (docs/mobile.md): a desktop or scripted client on a
# loopback port of its choice (RFC 8252 §7.3), and a phone app's private-use scheme (§7.1).
DEV_OAUTH_CLIENT = {
    "client_id": "dvc-mobile-dev",
    "name": "DVC Hải Phòng (bản phát triển)",
    "name_en": "DVC Hai Phong (development)",
    "redirect_uris": ["http://127.0.0.1/callback", "vn.gov.haiphong.dvc.dev:/oauth2redirect"],
}
# The payment provider sandbox's merchant on a development stack (devstack.paysandbox): the payment service
# is given these (PAYMENT_TMN_CODE, PAYMENT_HASH_SECRET) and the sandbox knows them. Production: the real
# provider's, from secrets; the sandbox is refused there.
DEV_PAYMENT_TMN_CODE = "DVCHP001"
DEV_PAYMENT_HASH_SECRET = "dvc-paysandbox-dev-hash-secret-2026"  # noqa: S105 - development default (docs/payment.md)
PAYMENT_IPN_PATH = "/api/v1/payments/providers/vnpay/ipn"  # the payment service's, through the gateway
PAYMENT_RETURN_PATH = "/thanh-toan/ket-qua"  # the portal's page the citizen comes back to
S3_ACCESS_KEY = "dvcadmin"
S3_SECRET_KEY = "dvcadmin-dev-secret"  # noqa: S105 - local stand-in only


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _list(name: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in os.environ.get(name, "").split(",") if x.strip())


@dataclass(frozen=True)
class StackConfig:
    root: Path = ROOT
    data_dir: Path = ROOT / ".data"
    env: str = "development"
    host: str = "127.0.0.1"
    gateway_port: int = 8080
    mongo_port: int = 27017  # the first MongoDB server's (the only one with mongo_layout="shared")
    mongo_layout: str = "per-service"
    # Per-service MongoDB ports chosen elsewhere (tests and benchmarks: free ports, containers' mapped
    # ports); a service not named here listens on mongo_port + its index in SERVICES.
    mongo_service_ports: dict[str, int] = field(default_factory=dict)
    s3_port: int = 9000
    s3_metrics_port: int = 9567
    amqp_port: int = 5672
    smtp_port: int = 1025
    idp_port: int = 9400  # the VNeID stand-in (devstack.idp)
    paysandbox_port: int = 9500  # the payment provider sandbox (devstack.paysandbox)
    pushsvc_port: int = 9600  # the local push service browsers' subscriptions point at (devstack.pushsvc)
    # The merchant the payment service is on the sandbox (test stacks: one of their own each).
    payment_tmn_code: str = DEV_PAYMENT_TMN_CODE
    payment_hash_secret: str = DEV_PAYMENT_HASH_SECRET
    admin_username: str = DEV_ADMIN_USERNAME
    admin_password: str = DEV_ADMIN_PASSWORD
    # Empty: none given (production: the first administrator enrols its second factor on first sign-in).
    admin_totp_secret: str = DEV_ADMIN_TOTP_SECRET
    captcha_test_answer: str = ""
    replicas: dict[str, int] = field(default_factory=lambda: {s.name: 1 for s in SERVICES})
    # Worker processes of a service, laid out as on Kubernetes (deploy/k8s/base/<service>/worker.yaml):
    # they consume the service's queue and the gateway sends them nothing, while the service's replicas
    # then serve HTTP only (<SERVICE>_CONSUME=false). None by default: a local replica does both. Tests
    # of readiness use it (an API process stays ready without the broker, a worker does not).
    workers: dict[str, int] = field(default_factory=dict)
    # Test runs share the infrastructure: they prefix database names, queues, the exchange and the bucket.
    namespace: str = ""
    # Port offset for services (test stacks run beside a development stack).
    port_offset: int = 0
    # Browser origins allowed to call the API from another site (DVC_CORS_ORIGINS, comma-separated).
    cors_origins: tuple[str, ...] = ()
    # Load balancers in front of the gateway whose X-Forwarded-For names the client (DVC_TRUSTED_PROXIES).
    trusted_proxies: tuple[str, ...] = ()
    # More environment for every service process (tests: shorter leases, for example).
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> StackConfig:
        env = os.environ.get("DVC_ENV", "development").strip() or "development"
        if env not in ("development", "test", "production"):
            raise SystemExit(f"DVC_ENV must be development, test or production, not {env!r}")
        data_dir = Path(os.environ.get("DVC_DATA_DIR") or ROOT / ".data").resolve()
        replicas = {s.name: max(1, _int(f"{s.name.upper()}_REPLICAS", 1)) for s in SERVICES}
        workers = {s.name: n for s in SERVICES if (n := _int(f"{s.name.upper()}_WORKERS", 0)) > 0}
        layout = os.environ.get("DVC_MONGO_LAYOUT", "").strip() or "per-service"
        if layout not in MONGO_LAYOUTS:
            raise SystemExit(f"DVC_MONGO_LAYOUT must be per-service or shared, not {layout!r}")
        return cls(
            data_dir=data_dir,
            env=env,
            gateway_port=_int("DVC_GATEWAY_PORT", 8080),
            mongo_port=_int("DVC_MONGO_PORT", 27017),
            mongo_layout=layout,
            s3_port=_int("DVC_S3_PORT", 9000),
            s3_metrics_port=_int("DVC_S3_METRICS_PORT", 9567),
            amqp_port=_int("DVC_AMQP_PORT", 5672),
            smtp_port=_int("DVC_SMTP_PORT", 1025),
            idp_port=_int("DVC_IDP_PORT", 9400),
            paysandbox_port=_int("DVC_PAYSANDBOX_PORT", 9500),
            pushsvc_port=_int("DVC_PUSHSVC_PORT", 9600),
            admin_username=os.environ.get("DVC_ADMIN_USERNAME") or DEV_ADMIN_USERNAME,
            admin_password=os.environ.get("DVC_ADMIN_PASSWORD") or DEV_ADMIN_PASSWORD,
            admin_totp_secret=os.environ.get(
                "DVC_ADMIN_TOTP_SECRET", "" if env == "production" else DEV_ADMIN_TOTP_SECRET
            ).strip(),
            captcha_test_answer=os.environ.get("DVC_CAPTCHA_TEST_ANSWER", ""),
            replicas=replicas,
            workers=workers,
            # For running a second stack beside the first (tests): shifted service ports, prefixed names.
            port_offset=_int("DVC_PORT_OFFSET", 0),
            namespace=os.environ.get("DVC_NAMESPACE", ""),
            cors_origins=_list("DVC_CORS_ORIGINS"),
            trusted_proxies=_list("DVC_TRUSTED_PROXIES"),
        )

    def __post_init__(self) -> None:
        if self.mongo_layout not in MONGO_LAYOUTS:
            raise ValueError(f"mongo_layout must be one of {MONGO_LAYOUTS}, not {self.mongo_layout!r}")
        unknown = set(self.mongo_service_ports) - set(SERVICE_NAMES)
        if unknown:
            raise ValueError(f"mongo_service_ports names no service: {sorted(unknown)}")

    def with_(self, **changes: object) -> StackConfig:
        return replace(self, **changes)  # type: ignore[arg-type]

    # -- derived -----------------------------------------------------------------------------------
    @property
    def run_dir(self) -> Path:
        return self.data_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "log"

    # -- MongoDB: a server per service, or one for all ------------------------------------------------
    def mongo_port_for(self, service: str) -> int:
        """The port of the MongoDB server that holds ``service``'s databases."""
        index = SERVICE_NAMES.index(service)  # ValueError for a name that is no service
        if self.mongo_layout == "shared":
            return self.mongo_port
        return self.mongo_service_ports.get(service, self.mongo_port + index)

    def mongo_url_for(self, service: str) -> str:
        """The URL ``service`` is given (``<SERVICE>_MONGO_URL``), and the one to read its data with."""
        return self.mongo_url_at(self.mongo_port_for(service))

    def mongo_url_at(self, port: int) -> str:
        # retryWrites=false: the stand-in slows down tenfold under retryable writes (docs/platform.md).
        return f"mongodb://{self.host}:{port}/?retryWrites=false&directConnection=true"

    def mongo_servers(self) -> dict[str, int]:
        """Every distinct MongoDB server: its name (``mongodb`` when shared, ``mongodb-<service>``
        otherwise: also its PID and log files' name) and its port."""
        if self.mongo_layout == "shared":
            return {"mongodb": self.mongo_port}
        return {f"mongodb-{name}": self.mongo_port_for(name) for name in SERVICE_NAMES}

    def mongo_urls(self) -> list[str]:
        """The URL of every distinct MongoDB server (one when shared)."""
        return list(dict.fromkeys(self.mongo_url_at(port) for port in self.mongo_servers().values()))

    @property
    def pki_dir(self) -> Path:
        """The local CA and the agencies' signing keys and certificates (devstack.pki)."""
        return self.data_dir / "pki"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.amqp_port}/"

    @property
    def s3_endpoint(self) -> str:
        return f"http://{self.host}:{self.s3_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def paysandbox_url(self) -> str:
        return f"http://{self.host}:{self.paysandbox_port}"

    @property
    def pushsvc_url(self) -> str:
        return f"http://{self.host}:{self.pushsvc_port}"

    @property
    def uses_pushsvc(self) -> bool:
        """The local push service is a development component: never started, nor allowed, in production."""
        return self.env != "production"

    def push_env(self) -> dict[str, str]:
        """Notify may push to the local push service too (plain http, its host and port), besides the real
        push services (production: those only, NOTIFY_PUSH_HOSTS's default)."""
        if not self.uses_pushsvc:
            return {}
        from notify.config import DEFAULT_PUSH_HOSTS

        hosts = (*DEFAULT_PUSH_HOSTS, f"{self.host}:{self.pushsvc_port}")
        return {"NOTIFY_PUSH_HOSTS": ",".join(hosts), "NOTIFY_PUSH_ALLOW_HTTP": "true"}

    @property
    def payment_ipn_url(self) -> str:
        """Where the provider notifies the payment service: its IPN endpoint through the gateway."""
        return f"{self.gateway_url}{PAYMENT_IPN_PATH}"

    @property
    def uses_paysandbox(self) -> bool:
        """The sandbox is a development component: never started, nor pointed at, in production."""
        return self.env != "production"

    def payment_env(self) -> dict[str, str]:
        """The payment service's provider settings: the sandbox's address and the stack's merchant on it
        (production: none; the real provider's come from the service's own settings)."""
        if not self.uses_paysandbox:
            return {}
        return {
            "PAYMENT_PROVIDER_URL": self.paysandbox_url,
            "PAYMENT_PROVIDER_API_URL": self.paysandbox_url,
            "PAYMENT_TMN_CODE": self.payment_tmn_code,
            "PAYMENT_HASH_SECRET": self.payment_hash_secret,
            "PAYMENT_RETURN_URL": f"{self.gateway_url}{PAYMENT_RETURN_PATH}",
            "PAYMENT_IPN_URL": self.payment_ipn_url,
        }

    @property
    def exchange(self) -> str:
        return f"{self.namespace}dvc.events"

    @property
    def bucket(self) -> str:
        return f"{self.namespace.replace('_', '-')}dvc-attachments".lower()

    def db_name(self, service: str) -> str:
        return f"{self.namespace}dvc_{service}"

    def ports(self, spec: ServiceSpec) -> list[int]:
        return [spec.base_port + self.port_offset + i for i in range(self.replicas.get(spec.name, 1))]

    def worker_ports(self, spec: ServiceSpec) -> list[int]:
        """Where a service's workers answer their probes and scrapes (above its replicas' ports)."""
        first = spec.base_port + self.port_offset + WORKER_PORT_OFFSET
        return [first + i for i in range(self.workers.get(spec.name, 0))]

    def service_env(
        self, spec: ServiceSpec, replica: int, port: int, *, worker: bool = False
    ) -> dict[str, str]:
        """Environment of one service process (a replica, or with ``worker`` one of its workers): platform
        names plus its own prefixed ones."""
        p = spec.env_prefix
        env = {
            "DVC_ENV": self.env,
            "DVC_DATA_DIR": str(self.data_dir),
            "DVC_GATEWAY_PORT": str(self.gateway_port),
            "DVC_ADMIN_USERNAME": self.admin_username,
            "DVC_ADMIN_PASSWORD": self.admin_password,
            "DVC_AMQP_URL": self.amqp_url,
            "DVC_EXCHANGE": self.exchange,
            "DVC_QUEUE_PREFIX": self.namespace,
            "DVC_S3_ENDPOINT": self.s3_endpoint,
            "DVC_S3_ACCESS_KEY": S3_ACCESS_KEY,
            "DVC_S3_SECRET_KEY": S3_SECRET_KEY,
            "DVC_S3_BUCKET": self.bucket,
            "DVC_JWKS_URL": f"{self.gateway_url}/api/v1/auth/.well-known/jwks.json",
            # Service-to-service calls go through the gateway locally (it balances across replicas).
            f"{p}CATALOG_URL": self.gateway_url,
            f"{p}PORTAL_URL": self.gateway_url,
            f"{p}SMTP_HOST": self.host,
            f"{p}SMTP_PORT": str(self.smtp_port),
            f"{p}AUTH_URL": self.gateway_url,
            "DVC_INSTANCE": f"{spec.name}-worker-{replica}" if worker else f"{spec.name}-{replica}",
            f"{p}PORT": str(port),
            f"{p}HOST": self.host,
            # Each service its own server (per-service layout): the prefixed name, which wins over DVC_.
            f"{p}MONGO_URL": self.mongo_url_for(spec.name),
            f"{p}MONGO_DB": self.db_name(spec.name),
        }
        if spec.name == "auth":
            # A citizen's data export and account closing ask the other services, through the gateway.
            env |= {
                f"AUTH_{peer}_URL": self.gateway_url for peer in ("SUBMISSION", "NOTIFY", "PAYMENT", "AUDIT")
            }
            # Sign-in with VNeID against the development identity provider (devstack.idp).
            env |= {
                "AUTH_VNEID_ISSUER": f"http://{self.host}:{self.idp_port}",
                "AUTH_VNEID_CLIENT_SECRET": "dev-vneid-client-secret",
                "AUTH_VNEID_REDIRECT_URI": f"{self.gateway_url}/api/v1/auth/oidc/vneid/callback",
                "AUTH_VNEID_PORTAL_URL": f"{self.gateway_url}/dang-nhap/vneid",
            }
            # Our apps' sign-in (docs/mobile.md): this stack is the issuer, with a development app.
            env |= {
                "AUTH_OAUTH_ISSUER": f"{self.gateway_url}/api/v1/auth",
                "AUTH_OAUTH_CONSENT_URL": f"{self.gateway_url}/dang-nhap/ung-dung",
                "AUTH_OAUTH_CLIENTS": json.dumps([DEV_OAUTH_CLIENT], ensure_ascii=False),
            }
        if spec.name == "payment":
            env |= self.payment_env()
        if spec.name == "notify":
            env |= self.push_env()
        if spec.name == "submission":
            # Signed results: the local CA's agency certificates (devstack.pki; production: a secret).
            env["SUBMISSION_SIGNING_DIR"] = str(self.pki_dir)
        if self.captcha_test_answer:
            env["DVC_CAPTCHA_TEST_ANSWER"] = self.captcha_test_answer
        if self.admin_totp_secret:
            env["DVC_ADMIN_TOTP_SECRET"] = self.admin_totp_secret
        if self.namespace:
            # A test stack's queues delete themselves once idle (its namespace is never reused).
            env["DVC_QUEUE_EXPIRES_MS"] = "900000"
        if self.workers.get(spec.name, 0):
            # The queue is the workers' (as on Kubernetes: the -api Pods do not consume).
            env[f"{p}CONSUME"] = "true" if worker else "false"
        env.update(self.extra_env)
        return env
