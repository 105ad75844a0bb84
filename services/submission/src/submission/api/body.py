"""Request bodies read as streams: an upload's form and an action's body reach the use cases as parts
and parsed inputs, never as the request itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.json_schema import SkipJsonSchema

from dvckit import formstream
from dvckit.errors import Problem, Text

from ..domain.actions import ActionInput, invalid
from ..service.attachments import FormLimits

JSON_LIMIT = 64 * 1024
BODY_TOO_LARGE = Problem(
    413,
    "payload-too-large",
    Text("Dữ liệu gửi lên quá lớn", "The body is too large"),
    extra={"limit_bytes": JSON_LIMIT},
)


def form_parts(request: Request, limits: FormLimits) -> AsyncIterator[formstream.Event]:
    """The form's parts, read (and bounded) as the use case consumes them."""
    return formstream.events(request, **asdict(limits))


class UploadForm(BaseModel):
    """Step 2's form: the component (here or in the query) before the file."""

    component_id: str | SkipJsonSchema[None] = None
    file: bytes


class ResultForm(BaseModel):
    """propose only: the outcome (grant, or refuse with a reason), a note, and the result document (a PDF,
    after the text fields)."""

    outcome: Literal["grant", "refuse"] | SkipJsonSchema[None] = None
    reason: str | SkipJsonSchema[None] = None
    note: str | SkipJsonSchema[None] = None
    file: bytes | SkipJsonSchema[None] = None


class AttachUpload(BaseModel):
    """A finished resumable upload (tus) to attach: its id (the end of its Location) and its component."""

    model_config = ConfigDict(extra="forbid")
    upload_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    component_id: str | None = Field(None, pattern=r"^[a-z0-9]{8,20}$")


def is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower() == "application/json"


async def read_attach(request: Request) -> AttachUpload:
    """The small JSON body naming an upload (at most JSON_LIMIT bytes, never read whole past it)."""
    declared = formstream.declared_length(request)
    if declared is not None and declared > JSON_LIMIT:
        raise BODY_TOO_LARGE
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > JSON_LIMIT:
            raise BODY_TOO_LARGE
    try:
        return AttachUpload.model_validate_json(bytes(raw))
    except ValidationError as e:
        raise invalid(e) from None


def attach_schema(form: type[BaseModel]) -> dict[str, object]:
    return {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": form.model_json_schema()},
            "application/json": {"schema": AttachUpload.model_json_schema()},
        },
    }


def form_schema(model: type[BaseModel], *, required: bool) -> dict[str, object]:
    return {"required": required, "content": {"multipart/form-data": {"schema": model.model_json_schema()}}}


ACTION_BODY = {
    "required": False,
    "content": {
        "application/json": {"schema": ActionInput.model_json_schema()},
        "multipart/form-data": {"schema": ResultForm.model_json_schema()},
    },
}


class RequestBody:
    """An action's body, unread until the use case asks (``service.workflow.ActionBody``)."""

    def __init__(self, request: Request) -> None:
        self.request = request
        headers = request.headers
        mime = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        has_body = bool(formstream.declared_length(request)) or "transfer-encoding" in headers
        self.kind: Literal["json", "form", "none", "other"] = (
            "form"
            if mime == "multipart/form-data"
            else "json"
            if mime == "application/json"
            else "none"
            if mime == "" and not has_body
            else "other"
        )

    async def fields(self) -> ActionInput:
        """A JSON object of at most JSON_LIMIT bytes: a larger one is refused from its Content-Length, or
        as soon as a chunked one grows past the limit (never read whole into memory)."""
        declared = formstream.declared_length(self.request)
        if declared is not None and declared > JSON_LIMIT:
            raise BODY_TOO_LARGE
        raw = bytearray()
        async for chunk in self.request.stream():
            raw += chunk
            if len(raw) > JSON_LIMIT:
                raise BODY_TOO_LARGE
        return ActionInput.of(bytes(raw))

    def parts(self, limits: FormLimits) -> AsyncIterator[formstream.Event]:
        return form_parts(self.request, limits)


Body = Annotated[RequestBody, Depends(RequestBody)]
