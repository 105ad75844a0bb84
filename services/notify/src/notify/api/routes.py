"""HTTP routes of the notify service (mounted under /api/v1/notifications)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal
from dvckit.errors import Problem, Text, lang_of
from dvckit.etag import Conditioned
from dvckit.paging import Cursored, Paged

from ..parts import Parts
from ..service.streams import TICKET_SECONDS

router = APIRouter(tags=["in-app"])
Caller = Annotated[Principal, Depends(principal)]
NotificationId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
NOT_FOUND = Problem(404, "notification-not-found", Text("Không tìm thấy thông báo", "No such notification"))
Lang = Annotated[str, Depends(lang_of)]


class NotificationOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    link: str | None = None
    dossier_id: str | None = None
    read: bool
    created_at: datetime


class NotificationPage(Cursored):
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
    push: bool = Field(description="Push notifications to the devices subscribed (on by default once one is)")
    language: Literal["vi", "en"]


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None
    language: Literal["vi", "en"] | None = None


class TicketOut(BaseModel):
    ticket: str
    expires_in: int


@router.get("", response_model=NotificationPage, summary="Thông báo của tôi / my notifications")
async def list_notifications(
    who: Caller,
    parts: Parts,
    lang: Lang,
    paging: Paged,
    cond: Conditioned,
    unread: bool | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> object:
    w = paging.window(page=page, size=size, max_size=100)
    answer = await parts.inbox.page(who.sub, unread=unread, window=w, lang=lang)
    return cond.answer(paging.finish(w, answer))


@router.get("/unread-count", response_model=UnreadOut, summary="Số thông báo chưa đọc / unread count")
async def unread_count(who: Caller, parts: Parts, cond: Conditioned) -> object:
    return cond.answer({"unread": await parts.inbox.unread(who.sub)})


@router.post(
    "/{notification_id}/read",
    status_code=204,
    summary="Đánh dấu đã đọc / mark as read",
    responses=problems((404, "Không có thông báo này của bạn / no such notification of yours")),
)
async def mark_read(notification_id: NotificationId, who: Caller, parts: Parts) -> Response:
    if not await parts.inbox.mark_read(who.sub, notification_id):
        raise NOT_FOUND
    return Response(status_code=204)


@router.post("/read-all", response_model=UnreadOut, summary="Đánh dấu tất cả đã đọc / mark all as read")
async def read_all(who: Caller, parts: Parts) -> dict[str, int]:
    await parts.inbox.mark_all_read(who.sub)
    return {"unread": 0}


@router.get("/preferences", response_model=Preferences, summary="Kênh nhận thông báo / my channels")
async def get_preferences(who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.inbox.preferences(who.sub)


@router.put("/preferences", response_model=Preferences, summary="Chọn kênh nhận thông báo / choose channels")
async def put_preferences(body: PreferencesIn, who: Caller, parts: Parts) -> dict[str, Any]:
    return await parts.inbox.set_preferences(who.sub, body.model_dump(exclude_none=True))


class ExportList(BaseModel):
    items: list[dict[str, Any]]
    total: int


class PersonalDataOut(BaseModel):
    preferences: Preferences
    contact: dict[str, Any]
    # The devices subscribed to push notifications (endpoints cut short).
    push_subscriptions: list[dict[str, Any]] = []
    notifications: ExportList
    deliveries: ExportList
    page: int
    size: int


@router.get(
    "/me/export",
    response_model=PersonalDataOut,
    tags=["your data"],
    summary="Dữ liệu của tôi: thông báo, thư và tin nhắn đã gửi, lựa chọn / my data: notifications, "
    "messages sent, preferences",
    description="One page of the caller's notifications (both languages, as stored) and the same page of "
    "the emails and text messages sent or to send to them (one-time codes never: they stay sealed), oldest "
    "first, with their preferences and the contacts notify keeps; read on while either list has more. "
    "Auth's `GET /api/v1/auth/me/export` reads every page into the archive.",
)
async def export(
    who: Caller,
    parts: Parts,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    return await parts.personal.export(who.sub, page=page, size=size)


@router.post(
    "/stream-ticket",
    status_code=201,
    response_model=TicketOut,
    summary="Vé mở luồng thông báo trực tiếp / a one-time ticket for the live stream",
    responses=problems((401, "Phiên đăng nhập đã kết thúc / the session has ended")),
)
async def stream_ticket(who: Caller, parts: Parts) -> dict[str, Any]:
    # EventSource cannot send an Authorization header: the page trades its token for a short ticket.
    issued, expires = datetime.fromtimestamp(who.iat, UTC), datetime.fromtimestamp(who.exp, UTC)
    ticket = await parts.streams.ticket(who.sub, who.sid, issued, expires)
    return {"ticket": ticket, "expires_in": TICKET_SECONDS}


@router.get(
    "/stream",
    summary="Luồng thông báo trực tiếp (SSE) / live notifications (Server-Sent Events)",
    description="Ends with an `end` event when the access token the ticket was bought with expires "
    "(`expired`), its login ends (`signed-out`) or the replica stops (`restart`); the page then buys a "
    "new ticket.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}}
    | problems((401, "Vé không hợp lệ hoặc hết hạn / the ticket is invalid or expired")),
)
async def stream(
    parts: Parts, lang: Lang, ticket: Annotated[str, Query(min_length=20, max_length=64)]
) -> Response:
    return StreamingResponse(
        await parts.streams.open(ticket, lang),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
