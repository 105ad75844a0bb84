"""Reporting service settings (env prefix ``REPORTING_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTING_")
    service_name: ClassVar[str] = "reporting"

    port: int = 8601
    # The catalog service (the agency directory: which commune an agency belongs to).
    catalog_url: str = "http://127.0.0.1:8080"
