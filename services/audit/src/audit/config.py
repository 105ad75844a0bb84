"""Audit service settings (env prefix ``AUDIT_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUDIT_")
    service_name: ClassVar[str] = "audit"

    port: int = 8701
    # The audit server of `make up` (the seventh: DVC_MONGO_PORT + 6), so that `dvc-audit verify` on a
    # development machine reads it without settings; `make up`, compose and Kubernetes give AUDIT_MONGO_URL.
    mongo_url: str = "mongodb://127.0.0.1:27023/?retryWrites=false&directConnection=true"
    # How long records are kept (AUDIT_RETENTION_DAYS): five years by default. Older ones are pruned a
    # whole prefix of a stream at a time, leaving a checkpoint that verification starts from.
    retention_days: int = Field(default=1826, ge=1)
    # How often each replica looks for records to prune.
    retention_seconds: float = Field(default=3600.0, gt=0)
    # How often each replica reads the last verification for /metrics (service/gauges.py).
    metrics_seconds: float = Field(default=60.0, gt=0)
