"""HTTP routes of the notify service (mounted under /api/v1/notifications)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal
from dvckit.errors import Problem, Text, lang_of
from dvckit.jsonutil import dumps

from ..adapters.store import TICKETS
from ..service.inbox import public

router = APIRouter(tags=["in-app"])
Caller = Annotated[Principal, Depends(principal)]
NotificationId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
NOT_FOUND = Problem(404, "notification-not-found", Text("Không tìm thấy thông báo", "No such notification"))
BAD_TICKET = Problem(
    401,
    "bad-stream-ticket",
    Text("Phiên theo dõi không hợp lệ hoặc đã hết hạn", "The stream ticket is invalid or expired"),
)
HEARTBEAT_SECONDS = 15.0


class NotificationOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    link: str | None = None
    dossier_id: str | None = None
    read: bool
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    page: int
    size: int


class UnreadOut(BaseModel):
    unread: int


class Preferences(BaseModel):
    in_app: bool = Field(True, description="Always on: the inbox is the record of what was sent")
    email: bool
    sms: bool
    language: Literal["vi", "en"]


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    email: bool | None = None
    sms: bool | None = None
    language: Literal["vi", "en"] | None = None


class TicketOut(BaseModel):
    ticket: str
    expires_in: int


def inbox(request: Request) -> Any:
    return request.app.state.inbox


@router.get("", response_model=NotificationPage, summary="Thông báo của tôi / my notifications")
async def list_notifications(
    who: Caller,
    request: Request,
    unread: bool | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    return await inbox(request).page(who.sub, unread=unread, page=page, size=size, lang=lang_of(request))


@router.get("/unread-count", response_model=UnreadOut, summary="Số thông báo chưa đọc / unread count")
async def unread_count(who: Caller, request: Request) -> dict[str, int]:
    return {"unread": await inbox(request).unread(who.sub)}


@router.post(
    "/{notification_id}/read",
    status_code=204,
    summary="Đánh dấu đã đọc / mark as read",
    responses=problems((404, "Không có thông báo này của bạn / no such notification of yours")),
)
async def mark_read(notification_id: NotificationId, who: Caller, request: Request) -> Response:
    if not await inbox(request).mark_read(who.sub, notification_id):
        raise NOT_FOUND
    return Response(status_code=204)


@router.post("/read-all", response_model=UnreadOut, summary="Đánh dấu tất cả đã đọc / mark all as read")
async def read_all(who: Caller, request: Request) -> dict[str, int]:
    await inbox(request).mark_all_read(who.sub)
    return {"unread": 0}


@router.get("/preferences", response_model=Preferences, summary="Kênh nhận thông báo / my channels")
async def get_preferences(who: Caller, request: Request) -> dict[str, Any]:
    return await inbox(request).preferences(who.sub)


@router.put("/preferences", response_model=Preferences, summary="Chọn kênh nhận thông báo / choose channels")
async def put_preferences(body: PreferencesIn, who: Caller, request: Request) -> dict[str, Any]:
    return await inbox(request).set_preferences(who.sub, body.model_dump(exclude_none=True))


@router.post(
    "/stream-ticket",
    status_code=201,
    response_model=TicketOut,
    summary="Vé mở luồng thông báo trực tiếp / a one-time ticket for the live stream",
)
async def stream_ticket(who: Caller, request: Request) -> dict[str, Any]:
    # EventSource cannot send an Authorization header: the page trades its token for a short ticket.
    ticket = secrets.token_urlsafe(24)
    await request.app.state.runtime.db[TICKETS].insert_one(
        {"_id": ticket, "user_id": who.sub, "expires_at": datetime.now(UTC) + timedelta(seconds=60)}
    )
    return {"ticket": ticket, "expires_in": 60}


@router.get(
    "/stream",
    summary="Luồng thông báo trực tiếp (SSE) / live notifications (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}}
    | problems((401, "Vé không hợp lệ hoặc hết hạn / the ticket is invalid or expired")),
)
async def stream(request: Request, ticket: Annotated[str, Query(min_length=20, max_length=64)]) -> Response:
    tickets = request.app.state.runtime.db[TICKETS]
    doc = await tickets.find_one({"_id": ticket})
    if doc is None or (await tickets.delete_one({"_id": ticket})).deleted_count != 1:
        raise BAD_TICKET
    if doc["expires_at"].replace(tzinfo=UTC) < datetime.now(UTC):
        raise BAD_TICKET
    user_id, lang = doc["user_id"], lang_of(request)
    live, box = request.app.state.live, inbox(request)

    async def events() -> AsyncIterator[bytes]:
        q = live.subscribe(user_id)
        try:
            yield b"retry: 3000\n"
            yield _sse("unread", {"unread": await box.unread(user_id)})
            while True:
                try:
                    doc = await asyncio.wait_for(q.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                yield _sse("notification", public(doc, lang))
                yield _sse("unread", {"unread": await box.unread(user_id)})
        finally:
            live.unsubscribe(user_id, q)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"
