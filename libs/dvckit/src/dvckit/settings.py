"""Settings base for every service.

Each service subclasses :class:`ServiceSettings` with its own env prefix (``AUTH_``, ``SUBMISSION_``...).
Platform-wide names (``DVC_ENV``, ``DVC_MONGO_URL``, ``DVC_AMQP_URL``...) are read as a fallback, so
``make up`` sets them once for every service and one service can still be pointed elsewhere with its
own prefix (``SUBMISSION_MONGO_URL`` wins over ``DVC_MONGO_URL``).

Defaults run locally. In the production profile a service refuses to start while any field marked
``dev_secret`` still holds its development default.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from .vn import TIMEZONE

log = logging.getLogger(__name__)

Env = Literal["development", "test", "production"]

# pymongo's retryable writes make the local stand-in slow down tenfold after ~10k writes
# (DEVELOPERS.md); genuine MongoDB in production gets its URI from the environment.
LOCAL_MONGO_URL = "mongodb://127.0.0.1:27017/?retryWrites=false&directConnection=true"


def dev_secret(default: str, **kw: Any) -> Any:
    """A secret whose default only suits development: refused in production."""
    return Field(SecretStr(default), json_schema_extra={"dev_secret": True}, **kw)


class ServiceSettings(BaseSettings):
    """Fields every service has. Subclasses set ``model_config`` with their own ``env_prefix``."""

    model_config = SettingsConfigDict(env_prefix="DVC_", extra="ignore", frozen=True)

    # The platform-wide prefix read as a fallback after the service's own one.
    platform_prefix: ClassVar[str] = "DVC_"
    service_name: ClassVar[str] = "service"

    env: Env = "development"
    instance: str = ""  # replica name in logs, e.g. "submission-2"; defaults to service_name
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Local time of receipts, notices, dossier codes and deadlines (Vietnam keeps one zone).
    timezone: str = TIMEZONE
    # Proxies whose X-Forwarded-For is believed (the gateway): the client address that rate limits and
    # login-attempt logs see. Locally the gateway is 127.0.0.1; in containers set the gateway's network.
    forwarded_allow_ips: str = "127.0.0.1"

    mongo_url: str = LOCAL_MONGO_URL
    mongo_db: str = ""  # defaults to "dvc_<service>"
    mongo_timeout_ms: int = 3000
    # How long start-up keeps trying a step the database answered too slowly or not at all (a busy or
    # restarting server) before the process gives up and exits for its supervisor to restart it.
    startup_timeout_s: float = 180.0

    amqp_url: SecretStr = dev_secret("amqp://guest:guest@127.0.0.1:5672/")
    exchange: str = "dvc.events"
    # Prepended to every queue this service declares; tests use it to isolate runs on a shared broker.
    queue_prefix: str = ""
    # Test runs set this so their queues delete themselves once idle; never set in production.
    queue_expires_ms: int | None = None
    # Events handled in one transaction at most, and how many the broker sends ahead (more than a batch,
    # so the next one is waiting while one is handled).
    event_batch: int = 32
    prefetch: int = 64
    # False: this process serves HTTP only and leaves the service's queue to others (on Kubernetes the
    # API pods scale on CPU, the worker pods of the same image on queue length).
    consume: bool = True
    # How long a stopping worker keeps handling the messages it was already sent, after it cancelled its
    # subscription, before it closes the channel (what is left goes back to the queue). Kubernetes gives a
    # worker Pod terminationGracePeriodSeconds (30) for all of its shutdown: this, plus the HTTP drain
    # (probes and scrapes only on a worker) and closing the connections.
    consumer_drain_seconds: float = Field(25.0, ge=0.0)
    # Growing delays of the retry tiers, seconds; after the last one a message goes to the parking lot.
    retry_delays: tuple[float, ...] = (1.0, 10.0, 60.0)

    outbox_batch: int = 256
    outbox_poll_seconds: float = 1.0
    outbox_lease_seconds: float = 30.0
    # How often the outbox backlog, the queue depths and the checks are sampled for /metrics (dvckit.metrics).
    metrics_sample_seconds: float = 15.0

    # JWKS of the auth service, for local verification of access tokens (from the auth issue on).
    jwks_url: str = "http://127.0.0.1:8101/api/v1/auth/.well-known/jwks.json"
    jwt_issuer: str = "dvc-haiphong-auth"
    jwt_audience: str = "dvc-haiphong"
    # The auth service's revocation list (sessions ended, accounts locked); empty: next to jwks_url.
    revocations_url: str = ""
    # How often each process brings it up to date: an ended session's access tokens stop within this
    # (plus a fifth, jitter). When the list is this much behind, failed polls are logged as errors.
    revocations_refresh_seconds: float = 20.0
    revocations_stale_seconds: float = 120.0

    # OpenTelemetry tracing (dvckit.tracing): off unless an OTLP/HTTP receiver is named
    # ("http://otel-collector:4318"); the share of traces kept, decided by trace id alike in every service.
    otel_endpoint: str = ""
    otel_sample_ratio: float = Field(1.0, ge=0.0, le=1.0)

    # Accepted as the answer to every captcha only in development and test (see README).
    captcha_test_answer: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if settings_cls.model_config.get("env_prefix") != cls.platform_prefix:
            sources.append(EnvSettingsSource(settings_cls, env_prefix=cls.platform_prefix))
        sources.append(file_secret_settings)
        return tuple(sources)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {name!r}") from e
        return name

    @model_validator(mode="after")
    def _check_profile(self) -> ServiceSettings:
        if not self.mongo_db:
            object.__setattr__(self, "mongo_db", f"dvc_{self.service_name}")
        if not self.captcha_test_answer:
            object.__setattr__(self, "captcha_test_answer", None)  # an empty value means none
        if not self.instance:
            object.__setattr__(self, "instance", self.service_name)
        if not self.revocations_url:
            base = self.jwks_url.rsplit("/", 1)[0]
            object.__setattr__(self, "revocations_url", f"{base}/revoked")
        if self.env == "production":
            weak = [
                name
                for name, field in type(self).model_fields.items()
                if isinstance(field.json_schema_extra, dict)
                and field.json_schema_extra.get("dev_secret")
                and getattr(self, name) == field.default
            ]
            if weak:
                raise ValueError(
                    "refusing to start in production with development secrets: " + ", ".join(sorted(weak))
                )
            if self.captcha_test_answer:
                log.warning("DVC_CAPTCHA_TEST_ANSWER is ignored in production")
                object.__setattr__(self, "captcha_test_answer", None)
        return self

    @property
    def queue(self) -> str:
        """Name of this service's main integration-event queue."""
        return f"{self.queue_prefix}{self.service_name}.events"
