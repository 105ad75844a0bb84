"""The procedure catalogue's model: what one administrative procedure (thủ tục hành chính) is.

One ``Procedure`` per national code. The importer produces these from the national-portal data; the
seed file holds them one JSON object a line; administrators change them through the API, each change a
new ``version`` (dossiers keep the version they were filed under).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^\d\.\d{6}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, description="National code, e.g. 1.004194")]

# Level of government that carries the procedure out. Since 2025-07-01 local government has two levels
# (city, commune); "central" is a ministry or a central agency.
Level = Literal["central", "city", "commune"]
# Decree 42/2022: fully online (toàn trình), partly online (một phần), or not online.
OnlineLevel = Literal["full", "partial", "none"]
Channel = Literal["online", "in_person", "postal"]
TimeUnit = Literal["working_day", "day", "hour", "month"]
# When a fee is payable: on submission (online payment), when the result is returned, or unknown.
FeeWhen = Literal["on_submit", "on_result", "unspecified"]

DEFAULT_FILE_TYPES = ("pdf", "jpg", "png", "docx", "xlsx")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


# Every integer is stored as a BSON int64: a larger one (a fuzzer's fee of 10^22 đồng) could not be
# saved at all, so it is refused as invalid input first.
INT64 = 2**63 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Duration(Strict):
    value: float = Field(gt=0, le=10_000, description="Amount of ``unit``")
    unit: TimeUnit
    text: str = Field(description="As published, e.g. '3 Ngày làm việc'")

    @property
    def working_days(self) -> int | None:
        """The deadline in working days where it is expressed in days (docs/architecture.md §7)."""
        if self.unit == "working_day":
            return max(1, round(self.value))
        if self.unit == "day":
            return max(1, round(self.value * 5 / 7))
        if self.unit == "month":
            return max(1, round(self.value * 22))
        return max(1, -(-int(self.value) // 8))  # hours, rounded up to working days


class Fee(Strict):
    name: str = Field(description="What the fee or charge is for, in Vietnamese")
    amount: int = Field(ge=0, le=10**15, description="In ``currency``; 0 when free")
    currency: Literal["VND", "USD"] = Field(
        "VND", description="VND, except the few fees published in USD (visas, cards for foreigners)"
    )
    when: FeeWhen = "unspecified"
    channel: Channel | None = Field(None, description="Where the amount differs by channel")
    note: str | None = None


class ChannelInfo(Strict):
    kind: Channel
    time: Duration | None = None
    fees: list[Fee] = []
    description: str | None = None


class Component(Strict):
    """One item of the dossier (thành phần hồ sơ)."""

    id: str = Field(pattern=r"^[a-z0-9]{8,16}$", description="Stable across imports and versions")
    name: str
    group: str | None = Field(None, description="Case heading the component belongs to, if any")
    originals: int = Field(0, ge=0, le=1000, description="Bản chính")
    copies: int = Field(0, ge=0, le=1000, description="Bản sao")
    required: bool = True
    lookup: bool = Field(
        False,
        description="The office looks it up itself in a national database (never asked of the applicant)",
    )
    forms: list[str] = Field(default_factory=list, description="Template file names (mẫu đơn, tờ khai)")
    file_types: list[str] = Field(default_factory=lambda: list(DEFAULT_FILE_TYPES))
    max_bytes: int = Field(DEFAULT_MAX_BYTES, gt=0, le=INT64)


class LegalDoc(Strict):
    number: str | None = Field(None, description="e.g. 53/2025/TT-BCA")
    title: str


class ResultDoc(Strict):
    name: str
    code: str | None = Field(None, description="e.g. KQ.G01.000067")


class Procedure(Strict):
    code: Code
    name: str
    field: str = Field(description="Lĩnh vực")
    agencies: list[str] = Field(description="Implementing agencies, de-duplicated, primary first")
    ministry: str | None = Field(None, description="Publishing ministry or central agency")
    levels: list[Level] = Field(default_factory=list)
    online_level: OnlineLevel = "none"
    processing_time: Duration | None = None
    channels: list[ChannelInfo] = []
    fees: list[Fee] = []
    components: list[Component] = []
    steps: list[str] = []
    legal_basis: list[LegalDoc] = []
    results: list[ResultDoc] = []
    conditions: str | None = None
    audience: str | None = Field(None, description="Đối tượng thực hiện")
    decision: str | None = Field(None, description="Publishing decision number")
    popularity: int = Field(0, ge=0, le=INT64, description="National portal weight; higher is more used")
    audiences: list[Literal["citizen", "business"]] = Field(
        default_factory=list, description="Where the portal lists it as popular"
    )
    detailed: bool = Field(False, description="Has components, time and fees from a detail record")
    status: Literal["published", "withdrawn"] = "published"
    version: int = Field(1, ge=1, le=INT64)
    updated_at: datetime | None = None
    source: list[str] = Field(default_factory=list, description="Which datasets the record came from")

    @property
    def online_filing(self) -> bool:
        """Open to online filing ("Nộp trực tuyến")."""
        return self.status == "published" and self.online_level in ("full", "partial")
