"""Submission service settings (env prefix ``SUBMISSION_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dvckit.s3 import S3Settings
from dvckit.settings import ServiceSettings, dev_secret


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="SUBMISSION_")
    service_name: ClassVar[str] = "submission"

    port: int = 8301
    # Other services' public APIs (through the gateway locally; the services' own addresses in a cluster).
    catalog_url: str = "http://127.0.0.1:8080"
    auth_url: str = "http://127.0.0.1:8080"
    timezone: str = "Asia/Ho_Chi_Minh"  # dossier codes and deadlines follow the Vietnamese calendar day

    # Attachments: a component's own limit applies, capped by max_file_bytes; a dossier holds at most
    # max_dossier_bytes and max_files files.
    max_file_bytes: int = 250 * 1024 * 1024
    max_dossier_bytes: int = 300 * 1024 * 1024
    max_files: int = 50
    part_bytes: int = 8 * 1024 * 1024  # S3 multipart part size: the memory one upload holds at most

    captcha_ttl_seconds: int = 300
    captcha_secret: SecretStr = dev_secret("submission-dev-captcha-secret")

    # Dossier-code numbers each replica takes from an agency's daily counter at a time (see Dossiers).
    sequence_block: int = 10

    draft_ttl_days: int = 30  # abandoned drafts and their files are removed after this
    cleanup_interval_seconds: float = 3600.0
