"""The event catalogue: every integration event's payload, in one place (ARCHITECTURE.md §3).

Names are past tense; a breaking change is a new class with the next version, published side by side
with the old one until every consumer has moved. ``docs/events.md`` is generated from this module
(``python -m dvckit.contracts > docs/events.md``) and a test checks it is current.

Payloads carry the minimum personal data the consumer needs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .events import EventData


class UserRegisteredV1(EventData):
    """A citizen created an account (or an administrator created one). Notify sends the welcome."""

    event_type = "user.registered"
    event_version = 1

    user_id: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    roles: list[str] = Field(default_factory=list)
    locale: str = "vi"


class UserContactChangedV1(EventData):
    """A user changed the phone number or email address notifications go to."""

    event_type = "user.contact_changed"
    event_version = 1

    user_id: str
    email: str | None = None
    phone: str | None = None


class UserPasswordResetRequestedV1(EventData):
    """Someone asked to reset a password: the one-time code to deliver, and where to. Nothing more."""

    event_type = "user.password_reset_requested"
    event_version = 1

    user_id: str
    code: str
    expires_at: datetime
    email: str | None = None
    phone: str | None = None
    locale: str = "vi"


class ProcedurePublishedV1(EventData):
    """A procedure was published or changed (a new version). Carries the whole procedure as the catalog
    serves it at ``GET /api/v1/catalog/procedures/{code}``, so consumers keep a copy without a call."""

    event_type = "procedure.published"
    event_version = 1

    code: str
    version: int
    procedure: dict[str, Any]


class ProcedureWithdrawnV1(EventData):
    """A procedure is no longer offered; dossiers already filed under it go on."""

    event_type = "procedure.withdrawn"
    event_version = 1

    code: str
    version: int
    name: str


# Dossier statuses: key → (national portal number, Vietnamese, English). Shared by the service that
# changes them and those that tell people about them.
DOSSIER_STATUS: dict[str, tuple[int, str, str]] = {
    "draft": (0, "Hồ sơ nháp", "Draft"),
    "submitted": (1, "Mới đăng ký", "Newly registered"),
    "accepted": (2, "Đã tiếp nhận", "Accepted"),
    "refused": (3, "Không được tiếp nhận", "Not accepted"),
    "processing": (4, "Đang xử lý", "Being processed"),
    "supplement_requested": (5, "Yêu cầu bổ sung", "Supplement requested"),
    "payment_requested": (6, "Yêu cầu thực hiện nghĩa vụ tài chính", "Payment requested"),
    "withdrawn": (7, "Công dân yêu cầu rút hồ sơ", "Withdrawn by the citizen"),
    "stopped": (8, "Dừng xử lý", "Processing stopped"),
    "finished": (9, "Đã xử lý xong", "Processing finished"),
    "returned": (10, "Đã trả kết quả", "Result returned"),
}


class DossierSubmittedV1(EventData):
    """A citizen filed a dossier online (status 1, mới đăng ký): notify tells them it was received."""

    event_type = "dossier.submitted"
    event_version = 1

    dossier_id: str
    code: str
    owner_id: str
    procedure_code: str
    procedure_name: str
    procedure_version: int
    agency_code: str
    agency_name: str
    submitted_at: datetime
    fee_total: int = 0


class DossierStatusChangedV1(EventData):
    """A dossier moved from one status to another (accepted with its appointment date, supplement
    requested with what is missing, refused or stopped with the reason, result ready...). Status numbers
    are the national portal's (1 mới đăng ký … 10 đã trả kết quả)."""

    event_type = "dossier.status_changed"
    event_version = 1

    dossier_id: str
    code: str
    owner_id: str
    procedure_code: str
    procedure_name: str
    agency_code: str
    agency_name: str
    old_status: str
    new_status: str
    old_status_code: int
    new_status_code: int
    note: str | None = None
    reason: str | None = None
    supplement_items: list[str] = Field(default_factory=list)
    appointment_at: datetime | None = None
    actor_role: str
    changed_at: datetime
    rev: int = Field(description="The dossier's revision after the change: consumers order events by it")


CATALOGUE: tuple[type[EventData], ...] = (
    UserRegisteredV1,
    UserContactChangedV1,
    UserPasswordResetRequestedV1,
    ProcedurePublishedV1,
    ProcedureWithdrawnV1,
    DossierSubmittedV1,
    DossierStatusChangedV1,
)


def by_routing_key() -> dict[str, type[EventData]]:
    return {c.routing_key(): c for c in CATALOGUE}


def markdown() -> str:
    """The generated event catalogue page."""
    lines = [
        "# Event catalogue",
        "",
        "Generated from `libs/dvckit/src/dvckit/contracts.py` by `python -m dvckit.contracts`; do not edit.",
        "",
        "Every event travels in the envelope `{id, type, version, occurred_at, producer, correlation_id,"
        " data}` on the durable topic exchange `dvc.events`, with routing key `<type>.v<version>`.",
        "",
    ]
    for c in CATALOGUE:
        lines += [
            f"## `{c.routing_key()}`",
            "",
            (c.__doc__ or "").strip(),
            "",
            "| field | type | required |",
            "|---|---|---|",
        ]
        schema = c.model_json_schema()
        required = set(schema.get("required", []))
        for name, prop in schema["properties"].items():
            typ = prop.get("type") or " or ".join(p.get("type", "?") for p in prop.get("anyOf", []))
            if prop.get("format"):
                typ = f"{typ} ({prop['format']})"
            if typ == "array":
                typ = f"array of {prop.get('items', {}).get('type', '?')}"
            lines.append(f"| `{name}` | {typ} | {'yes' if name in required else 'no'} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
