"""Submission service settings (env prefix ``SUBMISSION_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from dvckit.s3 import S3Settings
from dvckit.settings import ServiceSettings


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="SUBMISSION_")
    service_name: ClassVar[str] = "submission"

    port: int = 8301
