"""Submission service settings (env prefix ``SUBMISSION_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from dvckit.s3 import S3Settings
from dvckit.settings import ServiceSettings, dev_secret

from .domain.calendar import parse_hours


class Settings(ServiceSettings, S3Settings):
    model_config = SettingsConfigDict(env_prefix="SUBMISSION_")
    service_name: ClassVar[str] = "submission"

    port: int = 8301
    # Other services' public APIs (through the gateway locally; the services' own addresses in a cluster).
    catalog_url: str = "http://127.0.0.1:8080"
    auth_url: str = "http://127.0.0.1:8080"

    # Attachments: a component's own limit applies, capped by max_file_bytes; a dossier holds at most
    # max_dossier_bytes and max_files files.
    max_file_bytes: int = 250 * 1024 * 1024
    max_dossier_bytes: int = 300 * 1024 * 1024
    max_files: int = 50
    part_bytes: int = 8 * 1024 * 1024  # S3 multipart part size: the memory one upload holds at most
    # Resumable (tus) uploads (docs/submission.md, "Resumable uploads (tus)"): one not written for
    # upload_ttl_seconds expires (the cleanup, every upload_cleanup_seconds, removes its parts); a PATCH
    # holds its upload for upload_lock_seconds at most between two parts (a replica that died mid-PATCH
    # leaves it locked that long).
    upload_ttl_seconds: Annotated[int, Field(ge=60)] = 24 * 3600
    upload_cleanup_seconds: Annotated[float, Field(gt=0)] = 600.0
    upload_lock_seconds: Annotated[int, Field(ge=5)] = 600

    captcha_ttl_seconds: int = 300
    captcha_secret: SecretStr = dev_secret("submission-dev-captcha-secret")
    # The proof of work offered instead of the image (service/captchas.py): PBKDF2 iterations a try, and
    # the range the number of tries is drawn from (docs/captcha.md: about 2 s of a phone's time on average).
    captcha_pow_cost: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    captcha_pow_min: Annotated[int, Field(ge=0)] = 3000
    captcha_pow_max: Annotated[int, Field(ge=1)] = 9000

    # Step 1's prefill (the caller's account, from auth's /me) kept in memory per citizen this long (0: asked
    # every draft); user.contact_changed drops it at once on the replica that consumes the event.
    prefill_cache_seconds: float = 60.0
    # How long a replica uses its copy of the catalogue's agency directory before reloading it (an
    # agency.changed event reloads it at once on the replica that consumes it).
    agency_refresh_seconds: float = 300.0

    # Dossier-code numbers each replica takes from an agency's daily counter at a time (see Dossiers).
    sequence_block: int = 10

    draft_ttl_days: int = 30  # abandoned drafts and their files are removed after this

    # Who may file (docs/submission.md, "Who files"): the lowest identity level a citizen's account needs
    # (0 self-declared, 1 or 2 verified through VNeID). Unset: 1 in production, 0 elsewhere.
    min_identity_level: Annotated[int, Field(ge=0, le=2)] | None = None

    @property
    def filing_level(self) -> int:
        if self.min_identity_level is not None:
            return self.min_identity_level
        return 1 if self.env == "production" else 0

    # The public portal: the papers' QR codes link to its tracking page ({portal_url}/tra-cuu?ma=<code>), a
    # signed result's stamp to its verification page ({portal_url}/xac-thuc?ma=<code>).
    portal_url: str = "http://127.0.0.1:8080"

    # The papers' PDFs, the receipt among them (adapters/papers): drawn in this many worker processes, at
    # most receipt_max_pending at a time (then 503), kept per form and dossier revision in up to
    # receipt_cache_bytes of this replica's memory.
    receipt_workers: int = 1
    receipt_max_pending: int = 16
    receipt_cache_bytes: int = 32 * 1024 * 1024
    # The register of dossiers (form 07): at most this many days a download, at most this many written
    # at once on a replica (then 503).
    register_max_days: Annotated[int, Field(ge=1, le=3660)] = 366
    register_max_pending: Annotated[int, Field(ge=1)] = 2
    cleanup_interval_seconds: float = 3600.0

    # Deadlines (docs/submission.md, "Calendar and deadlines"). Office hours: the spans of a working day
    # that a deadline in working hours counts (Hải Phòng's offices: 07:30-11:30 and 13:30-17:00).
    office_hours: str = "07:30-11:30,13:30-17:00"
    # Accepted at or after this time, a working-day count starts the next working day. Unset: no general
    # legal rule is known (some procedures' own texts say 15:00; they are not all procedures).
    acceptance_cutoff: time | None = None
    # A filed dossier must be accepted or refused within this many working hours (8: one working day).
    reception_due_working_hours: Annotated[float, Field(gt=0, le=400)] = 8.0
    # The processing time of a procedure that states none (the dossier is flagged deadline_defaulted).
    default_processing_working_days: Annotated[int, Field(ge=1, le=365)] = 10
    # Every replica rereads the administrator's calendar this often (the change's event reaches one).
    calendar_refresh_seconds: Annotated[float, Field(gt=0)] = 30.0

    # Signed results (docs/submission.md, "Signed results"). signing_dir: ca.crt and agencies/<code>.key|.crt
    # (a Kubernetes secret mounted as files in production; .data/pki from `make up`); unset: results cannot
    # be signed (approval answers 503). The trust roots a verified signature must chain to: default
    # <signing_dir>/ca.crt. The work runs in signing_workers processes, at most signing_max_pending
    # documents at a time (then 503); an uploaded document to verify is at most verify_max_bytes.
    signing_dir: Path | None = None
    signing_trust_roots: tuple[Path, ...] = ()
    signing_workers: Annotated[int, Field(ge=1, le=16)] = 1
    signing_max_pending: Annotated[int, Field(ge=1)] = 8
    verify_max_bytes: Annotated[int, Field(ge=1024)] = 20 * 1024 * 1024
    # How often the signing certificates' expiry is read again for /metrics (a renewed secret is seen).
    certificate_check_seconds: Annotated[float, Field(gt=0)] = 3600.0

    @model_validator(mode="after")
    def _pow_range(self) -> Settings:
        if self.captcha_pow_min > self.captcha_pow_max:
            raise ValueError("captcha_pow_min must not exceed captcha_pow_max")
        parse_hours(self.office_hours)  # refuse to start on office hours that make no sense
        return self
