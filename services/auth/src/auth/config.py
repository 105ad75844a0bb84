"""Auth service settings (env prefix ``AUTH_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings, dev_secret

from .domain.identity import login_name


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_")
    service_name: ClassVar[str] = "auth"

    port: int = 8101
    # The first administrator, created on first start (README lists the development defaults).
    admin_username: str = "admin"
    admin_password: SecretStr = dev_secret("admin-dev-password")

    # argon2id cost; the library's defaults (t=3, m=64 MiB, p=4, RFC 9106's second recommendation)
    # take ~170 ms a hash on this hardware.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Hashes run in worker threads, never on the event loop; this bounds their memory (m x threads).
    hash_threads: int = 4

    access_ttl_seconds: int = 900
    refresh_ttl_days: int = 30
    # Private signing keys are stored encrypted with this passphrase (PKCS#8, scrypt-based).
    key_passphrase: SecretStr = dev_secret("auth-dev-key-passphrase")
    key_bits: int = 2048
    # A new signing key is made when the active one is older than this; 0 turns automatic rotation off.
    key_rotation_days: int = 30
    key_reload_seconds: float = 30.0
    # A retired key stays published this long after its last token expired (clock skew, caches).
    key_retire_grace_seconds: int = 60
    # Entries in one answer of the revocation list at most (a longer list is read page by page).
    revocations_page: int = 5000

    # Brute-force defence.
    lockout_failures: int = 5  # failed logins for one account within the window ...
    lockout_window_seconds: int = 900
    lockout_seconds: int = 900  # ... lock it for this long (for any username, known or not)
    ip_failures: int = 30  # failed logins from one address within the window before it is throttled
    attempt_log_days: int = 90

    # One-time codes (registration, a new email or phone, password reset): HMAC-keyed digests (a 6-digit
    # code's plain hash is trivial to reverse), a short life, few tries, few messages per destination.
    code_secret: SecretStr = dev_secret("auth-dev-code-secret")
    code_ttl_seconds: int = 600
    code_tries: int = 5
    codes_per_hour: int = 3
    # Codes travel to the notification service sealed with this key (it must hold the same one).
    seal_key: SecretStr = dev_secret("dvc-dev-seal-key")

    @field_validator("admin_username")
    @classmethod
    def _admin_login(cls, value: str) -> str:
        # The first administrator signs in with this name: it must be one the login form understands.
        login_name(value)
        return value
