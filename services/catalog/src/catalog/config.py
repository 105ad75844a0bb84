"""Catalog service settings (env prefix ``CATALOG_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_")
    service_name: ClassVar[str] = "catalog"

    port: int = 8201
