"""Auth service settings (env prefix ``AUTH_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings, dev_secret


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")
    service_name: ClassVar[str] = "auth"

    port: int = 8101
    # The first administrator, created on first start (README lists the development defaults).
    admin_username: str = "admin"
    admin_password: SecretStr = dev_secret("admin-dev-password")
    # argon2id cost; the library's defaults (t=3, m=64 MiB, p=4) take ~170 ms a hash on this hardware.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Hashes run in worker threads, never on the event loop; this bounds their memory (m x threads).
    hash_threads: int = 4
