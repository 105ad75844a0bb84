"""Auth service settings (env prefix ``AUTH_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

import base64
import binascii
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings, dev_secret

from .domain.identity import login_name
from .domain.oauth import CLIENT_ID, BadRedirect, Client, check_redirect_uri


class OAuthClientIn(BaseModel):
    """One app of ``AUTH_OAUTH_CLIENTS``: checked at start-up, so a wrong redirect URI stops auth."""

    model_config = ConfigDict(extra="forbid")
    client_id: str
    name: str = Field(min_length=1, max_length=80)  # shown on the consent page: "Ứng dụng «name» …"
    name_en: str = Field(default="", max_length=80)
    redirect_uris: list[str] = Field(min_length=1, max_length=20)

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if not CLIENT_ID.match(value):
            raise ValueError("client_id: 3 to 64 letters, digits, '.', '_' or '-'")
        return value

    @field_validator("redirect_uris")
    @classmethod
    def _redirects(cls, value: list[str]) -> list[str]:
        for uri in value:
            try:
                check_redirect_uri(uri)
            except BadRedirect as e:
                raise ValueError(f"redirect URI {uri!r}: {e}") from None
        return value


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

    # Sign-in with VNeID over OpenID Connect (service/vneid.py). No issuer: not offered (404).
    vneid_issuer: str | None = None
    vneid_client_id: str = "dvc-haiphong"
    vneid_client_secret: SecretStr | None = None  # needed with an issuer
    # This service's callback as the provider has it registered (through the gateway).
    vneid_redirect_uri: str = "http://127.0.0.1:8080/api/v1/auth/oidc/vneid/callback"
    vneid_portal_url: str = "/dang-nhap/vneid"  # the portal page taking the outcome (in the URL's fragment)
    vneid_scopes: str = "openid profile address phone"
    # Asymmetric only: never "none", never an HMAC a public key could forge.
    vneid_algorithms: list[str] = Field(default_factory=lambda: ["RS256", "PS256", "ES256"])
    # Claim names and acr values where the provider's differ from domain/vneid.py's defaults.
    vneid_claims: dict[str, str] = Field(default_factory=dict)
    vneid_levels: dict[str, int] = Field(default_factory=dict)
    vneid_flow_ttl_seconds: int = 600  # from the button to the provider's answer
    vneid_ticket_ttl_seconds: int = 120  # from the provider's answer to the portal taking the ticket
    vneid_timeout_seconds: float = 10.0

    # A citizen's data export and account closing (docs/auth.md, "Your data"): the services asked, with
    # the citizen's own token, for their part. Locally through the gateway; in a cluster each service.
    submission_url: str = "http://127.0.0.1:8080"
    notify_url: str = "http://127.0.0.1:8080"
    payment_url: str = "http://127.0.0.1:8080"
    audit_url: str = "http://127.0.0.1:8080"
    export_timeout_seconds: float = 30.0
    # Where an export is spooled until it is streamed (empty: the system's temporary folder).
    export_dir: str = ""

    # Our own native apps signing in (OAuth 2.0 authorization code + PKCE, public clients; service/oauth.py):
    # a JSON list of {client_id, name, name_en?, redirect_uris}. None registered: every app is refused.
    oauth_clients: list[OAuthClientIn] = Field(default_factory=list)
    # This authorization server's issuer (RFC 8414): the public URL of /api/v1/auth, as apps reach it.
    oauth_issuer: str = "http://127.0.0.1:8080/api/v1/auth"
    # The portal page where the person signs in and consents (the authorize request in its query).
    oauth_consent_url: str = "/dang-nhap/ung-dung"
    oauth_code_ttl_seconds: int = 60  # an authorization code's life (RFC 6749 §4.1.2: short)

    def oauth_client(self, client_id: str) -> Client | None:
        for c in self.oauth_clients:
            if c.client_id == client_id:
                return Client(c.client_id, c.name, tuple(c.redirect_uris), c.name_en)
        return None

    @field_validator("oauth_clients")
    @classmethod
    def _distinct_clients(cls, value: list[OAuthClientIn]) -> list[OAuthClientIn]:
        ids = [c.client_id for c in value]
        if len(ids) != len(set(ids)):
            raise ValueError("AUTH_OAUTH_CLIENTS: a client_id is registered twice")
        return value

    @model_validator(mode="after")
    def _vneid_complete(self) -> Settings:
        if self.vneid_issuer and not self.vneid_client_secret:
            raise ValueError("AUTH_VNEID_CLIENT_SECRET is needed with AUTH_VNEID_ISSUER")
        return self

    # The second factor (TOTP, RFC 6238) of officers and administrators (docs/auth.md). "off" signs staff
    # in with a password alone: for development and tests only, refused in production.
    staff_mfa: Literal["required", "off"] = "required"
    # TOTP secrets rest sealed (dvckit.sealed) under a key of auth's own: notify holds DVC_SEAL_KEY, and
    # must never open these.
    mfa_key: SecretStr = dev_secret("auth-dev-mfa-key")
    # After the right password a staff member holds a ticket this long, for this many wrong codes.
    mfa_ticket_seconds: int = 300
    mfa_enrol_seconds: int = 900  # on first sign-in: time to install an authenticator app
    mfa_ticket_tries: int = 3
    # The first administrator's TOTP secret (base32), so test tooling can compute its codes
    # (DVC_ADMIN_TOTP_SECRET): development and tests only; in production the first administrator
    # enrols on first sign-in like everyone else.
    admin_totp_secret: SecretStr | None = None

    @field_validator("admin_username")
    @classmethod
    def _admin_login(cls, value: str) -> str:
        # The first administrator signs in with this name: it must be one the login form understands.
        login_name(value)
        return value

    @field_validator("admin_totp_secret")
    @classmethod
    def _base32(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        try:
            key = base64.b32decode(raw.upper() + "=" * (-len(raw) % 8))
        except (binascii.Error, ValueError):
            raise ValueError("the TOTP secret must be base32 (A-Z, 2-7)") from None
        if len(key) < 16:  # RFC 4226: at least 128 bits
            raise ValueError("the TOTP secret must hold at least 128 bits (26 base32 characters)")
        return value

    @model_validator(mode="after")
    def _mfa_in_production(self) -> Settings:
        # Never silently: production refuses to start rather than sign staff in with a password alone.
        if self.env == "production" and self.staff_mfa != "required":
            raise ValueError("AUTH_STAFF_MFA=off is refused in production: staff need their second factor")
        if self.env == "production" and self.admin_totp_secret is not None:
            raise ValueError("DVC_ADMIN_TOTP_SECRET is for development and tests only, refused in production")
        return self
