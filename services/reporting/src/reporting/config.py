"""Reporting service settings (env prefix ``REPORTING_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_")
    service_name: ClassVar[str] = "reporting"

    port: int = 8601
    # The catalog service (the agency directory: which commune an agency belongs to), read at start when
    # the copy is empty; agency.changed.v1 keeps it after.
    catalog_url: str = "http://127.0.0.1:8080"
    # How often each replica reads the directory and the catalogue again from its database (another
    # replica may have applied a change).
    reference_seconds: float = 60.0
    # How often to look whether the catalog's catalogue moved (its procedure summary, a conditional GET):
    # its events cover changes, the summary also what it started from (the seed).
    catalogue_seconds: float = 300.0
    # How often the open and overdue dossiers are counted for /metrics (service/gauges.py).
    metrics_seconds: float = 60.0
    # The first wait before reading the catalog's directory again while the catalog does not answer.
    directory_retry_seconds: float = 5.0
