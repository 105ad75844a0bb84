"""What an action on a dossier carries (its JSON body, or the text fields of propose's form): a note, a
reason, the items to supplement, the components whose filed files may be replaced. Pure.

Texts are compared and stored with their runs of white space made one space; empty is none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from dvckit.errors import Problem, Text

NOTE_LIMIT = 2000
ITEM_LIMIT = 500
MAX_ITEMS = 50
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
            description=f"request-supplement: what must be supplemented (each at most {ITEM_LIMIT} "
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
    }

    def misplaced(self, action: str) -> list[str]:
        """The fields given that ``action`` does not take."""
        return sorted(
            f for f, actions in self.ONLY.items() if f in self.model_fields_set and action not in actions
        )

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
