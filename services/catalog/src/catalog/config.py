"""Catalog service settings (env prefix ``CATALOG_``, platform names ``DVC_*`` as fallback)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from dvckit.settings import ServiceSettings

# The seed the importer wrote, shipped inside the package so an installed service (or its image) has it.
DEFAULT_SEED = Path(__file__).resolve().parent / "seed" / "procedures.jsonl.gz"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CATALOG_")
    service_name: ClassVar[str] = "catalog"

    port: int = 8201
    seed_path: Path = DEFAULT_SEED
    # How often each replica reads the catalogue's revision (one small read): an administrator's edit is
    # searched on every replica within about this, plus the milliseconds of applying it to the index.
    index_watch_seconds: float = 0.5
    # Level-1 code of the province in agency codes (Decision 20/2020/QĐ-TTg; Hải Phòng is H26).
    province_code: str = Field("H26", pattern=r"^[0-9A-Z]{3}$")
