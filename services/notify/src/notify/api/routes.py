"""HTTP routes of the notify service (mounted under /api/v1/notifications)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from dvckit.auth import Principal, principal
from dvckit.errors import lang_of

router = APIRouter(tags=["in-app"])
Caller = Annotated[Principal, Depends(principal)]


class NotificationOut(BaseModel):
    id: str
    kind: str
    title: str
    body: str
    read: bool
    created_at: datetime


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    total: int
    page: int
    size: int


class UnreadOut(BaseModel):
    unread: int


@router.get("", response_model=NotificationPage, summary="Thông báo của tôi / my notifications")
async def list_notifications(
    who: Caller,
    request: Request,
    unread: bool | None = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    return await request.app.state.inbox.page(
        who.sub, unread=unread, page=page, size=size, lang=lang_of(request)
    )


@router.get("/unread-count", response_model=UnreadOut, summary="Số thông báo chưa đọc / unread count")
async def unread_count(who: Caller, request: Request) -> dict[str, int]:
    return {"unread": await request.app.state.inbox.unread(who.sub)}
