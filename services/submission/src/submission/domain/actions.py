"""What an action on a dossier carries (its JSON body, or the text fields of propose's form): a note, a
reason, the items to supplement, the components whose filed files may be replaced, the lines and amount of
a payment request. Pure.

Texts are compared and stored with their runs of white space made one space; empty is none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from dvckit.contracts import FeeLine
from dvckit.errors import Problem, Text

NOTE_LIMIT = 2000
ITEM_LIMIT = 500
MAX_ITEMS = 50
MAX_PAYMENT_LINES = 20
# The largest amount one line or one request may ask (VND): far above any fee, far below what a BSON
# int64 or the provider's amount × 100 holds.
MAX_AMOUNT = 10**12
# The one line of a payment asked for by its amount alone.
FEES_LINE = "Phí, lệ phí"
INVALID = Text("Dữ liệu không hợp lệ", "Invalid input")


def too_long() -> Problem:
    return Problem(422, "too-long", Text("Nội dung quá dài", "Text too long"))


def clean(value: str, limit: int) -> str | None:
    """One space for each run of white space; None when nothing is left; 422 when over ``limit``."""
    value = " ".join(value.split())
    if len(value) > limit:
        raise too_long()
    return value or None


def _note(value: object) -> object:
    return clean(value, NOTE_LIMIT) if isinstance(value, str) else value


def _items(value: object) -> object:
    """A list of texts, or one text of lines; blank ones left out."""
    if not value:
        return []
    if isinstance(value, str):
        value = [i for i in value.split("\n") if i.strip()]
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise ValueError("Danh sách không hợp lệ / invalid list of items")
    if not all(isinstance(i, str) for i in value):
        return value  # the list's own validation names the wrong entry
    return [t for t in (clean(i, ITEM_LIMIT) for i in value) if t]


def _line_name(value: object) -> object:
    return clean(value, ITEM_LIMIT) or "" if isinstance(value, str) else value


class PaymentLine(BaseModel):
    """One line of what the citizen is asked to pay: what it is for, and how much (VND)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[
        str,
        BeforeValidator(_line_name),
        Field(
            min_length=1,
            description=f"What it is for (at most {ITEM_LIMIT} characters once runs of white "
            "space are one space)",
        ),
    ]
    amount: int = Field(gt=0, le=MAX_AMOUNT, strict=True, description="VND (đồng), a whole number > 0")


Note = Annotated[
    str | None,
    BeforeValidator(_note),
    Field(description=f"At most {NOTE_LIMIT} characters once runs of white space are one space"),
]


class ActionInput(BaseModel):
    """The body of ``POST /dossiers/{id}/actions/{action}``: all optional, what the action needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    note: Note = None
    reason: Note = Field(None, description="refuse, stop: why (required by them)")
    items: Annotated[
        list[str],
        BeforeValidator(_items),
        Field(
            description=f"request-supplement: what must be supplemented; start from a payment request: the "
            f"receipt number of the payment at the counter (each at most {ITEM_LIMIT} "
            "characters once runs of white space are one space; one text of lines is taken as its lines)",
            json_schema_extra={"maxItems": MAX_ITEMS},
        ),
    ] = []
    components: list[str] = Field(
        default_factory=list,
        max_length=MAX_ITEMS,
        description="request-supplement only: ids of the dossier's components whose filed files the "
        "citizen may replace (the others' stay as filed)",
    )

    assignee: str | None = Field(
        None,
        max_length=64,
        description="accept, assign: the account id of the agency's specialist who handles it (accept: "
        "the agency's default specialist when left out)",
    )
    outcome: Literal["grant", "refuse"] | None = Field(
        None, description="propose: the result proposed (grant, or refuse with a reason)"
    )
    agency: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9.\-_]{2,40}$",
        description="transfer, consult: the code of the other agency of the system",
    )
    kind: Literal["opinion", "step"] | None = Field(
        None, description="consult: an opinion, or the other agency's step of an inter-agency procedure"
    )
    days: int | None = Field(
        None,
        ge=1,
        le=60,
        description="consult: the working days the other agency has (else its share of the time left); "
        "apologise: the working days the appointment moves by",
    )

    lines: list[PaymentLine] | None = Field(
        None,
        max_length=MAX_PAYMENT_LINES,
        description=f"request-payment: what the citizen is asked to pay, at most {MAX_PAYMENT_LINES} lines",
    )
    amount: int | None = Field(
        None,
        gt=0,
        le=MAX_AMOUNT,
        strict=True,
        description="request-payment: the amount asked (VND); with ``lines``, their sum; alone, one line "
        f'"{FEES_LINE}"',
    )

    @property
    def names_components(self) -> bool:
        return "components" in self.model_fields_set

    # Which action each optional field belongs to: any other action given it is a 422 (a field the action
    # would silently drop is a mistake of the caller's).
    ONLY: ClassVar[dict[str, frozenset[str]]] = {
        "components": frozenset({"request-supplement"}),
        "assignee": frozenset({"accept", "assign"}),
        "outcome": frozenset({"propose"}),
        "agency": frozenset({"transfer", "consult"}),
        "kind": frozenset({"consult"}),
        "days": frozenset({"consult", "apologise"}),
        "lines": frozenset({"request-payment"}),
        "amount": frozenset({"request-payment"}),
    }

    def misplaced(self, action: str) -> list[str]:
        """The fields given that ``action`` does not take."""
        return sorted(
            f for f, actions in self.ONLY.items() if f in self.model_fields_set and action not in actions
        )

    def payment(self) -> tuple[FeeLine, ...]:
        """request-payment: the lines asked for (``amount`` alone is one line "Phí, lệ phí"); 422
        ``amount-required`` with neither, ``amount-mismatch`` when ``amount`` is not the lines' sum."""
        lines = self.lines or []
        if not lines and self.amount is None:
            raise Problem(
                422,
                "amount-required",
                Text("Cần nêu số tiền hoặc các khoản phải nộp", "Give the amount or the lines to pay"),
                extra={"errors": [{"field": "amount", "message": "Cần nêu số tiền phải nộp"}]},
            )
        total = sum(line.amount for line in lines)
        if lines and self.amount is not None and self.amount != total:
            raise Problem(
                422,
                "amount-mismatch",
                Text(
                    f"Số tiền ({self.amount}) phải bằng tổng các khoản ({total})",
                    f"The amount ({self.amount}) must be the lines' sum ({total})",
                ),
                extra={"errors": [{"field": "amount", "message": "Số tiền phải bằng tổng các khoản"}]},
            )
        if total > MAX_AMOUNT:
            raise Problem(422, "amount-too-large", Text("Số tiền quá lớn", "The amount is too large"))
        if not lines:
            return (FeeLine(name=FEES_LINE, amount=self.amount or 0),)
        return tuple(FeeLine(name=line.name, amount=line.amount) for line in lines)

    @classmethod
    def of(cls, fields: Mapping[str, object] | bytes) -> ActionInput:
        """Read from JSON text or from a form's fields; 422 problem+json for anything else."""
        try:
            if isinstance(fields, bytes):
                return cls.model_validate_json(fields or b"{}")
            return cls.model_validate(dict(fields))
        except ValidationError as e:
            raise invalid(e) from None


def invalid(e: ValidationError) -> Problem:
    errors = e.errors()
    if any(err["type"] == "json_invalid" for err in errors):
        return Problem(422, "validation-error", Text("Nội dung JSON không hợp lệ", "Invalid JSON"))
    unexpected = sorted(str(err["loc"][0]) for err in errors if err["type"] == "extra_forbidden")
    if unexpected:
        return unknown_fields(unexpected)
    return Problem(
        422,
        "validation-error",
        INVALID,
        extra={
            "errors": [{"field": ".".join(map(str, err["loc"])), "message": INVALID.vi} for err in errors]
        },
    )


def unknown_fields(names: list[str]) -> Problem:
    return Problem(
        422,
        "validation-error",
        Text("Trường không được phép: " + ", ".join(names), "Unexpected fields: " + ", ".join(names)),
    )
