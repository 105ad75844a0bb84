"""Push notifications' routes (mounted under /api/v1/notifications/push): the application server's
public key, and the caller's subscriptions (docs/notify.md, "Push")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal
from dvckit.errors import Problem, Text
from dvckit.paging import Cursored, Paged

from ..domain.push import MAX_ENDPOINT, BadSubscription
from ..parts import Parts

router = APIRouter(prefix="/push", tags=["push"])
Caller = Annotated[Principal, Depends(principal)]
B64URL = r"^[A-Za-z0-9_-]+={0,2}$"


class VapidKeyOut(BaseModel):
    public_key: str = Field(
        description="The application server key (VAPID, RFC 8292): an uncompressed "
        "P-256 point, base64url; `applicationServerKey` of `pushManager.subscribe`"
    )


class Keys(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p256dh: str = Field(min_length=80, max_length=100, pattern=B64URL)
    auth: str = Field(min_length=16, max_length=32, pattern=B64URL)


class SubscriptionIn(BaseModel):
    """The browser's ``PushSubscription.toJSON()``."""

    model_config = ConfigDict(extra="forbid")
    endpoint: str = Field(min_length=10, max_length=MAX_ENDPOINT)
    expirationTime: int | None = Field(None, ge=0, le=2**53)  # the browser's name
    keys: Keys


class SubscriptionOut(BaseModel):
    id: str
    endpoint: str = Field(description="The push service and the start of the path only")
    user_agent: str | None = None
    created_at: datetime


class SubscriptionList(Cursored):
    items: list[SubscriptionOut]


class EndpointIn(BaseModel):
    """``{"endpoint": …}``, or the whole ``PushSubscription.toJSON()`` (its other keys are not read)."""

    model_config = ConfigDict(extra="ignore")
    endpoint: str = Field(min_length=10, max_length=MAX_ENDPOINT)


def refused(e: BadSubscription) -> Problem:
    return Problem(
        422,
        e.code,
        Text("Đăng ký nhận thông báo đẩy không hợp lệ", "Invalid push subscription"),
        Text(e.vi, e.en),
    )


@router.get(
    "/vapid-key",
    response_model=VapidKeyOut,
    summary="Khóa công khai của máy chủ cho thông báo đẩy / the VAPID public key",
)
async def vapid_key(parts: Parts, response: Response) -> dict[str, str]:
    response.headers["Cache-Control"] = "public, max-age=3600"
    return {"public_key": parts.push.public_key}


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionOut,
    summary="Nhận thông báo đẩy trên thiết bị này / subscribe this device to push notifications",
    description="The body is the browser's `PushSubscription.toJSON()`. 201 for a subscription new to the "
    "caller (one another account had on this browser moves to the caller), 200 for one already theirs. "
    "The endpoint must be https on a known push service; p256dh an uncompressed P-256 point, auth 16 bytes.",
    responses={200: {"model": SubscriptionOut, "description": "Already the caller's (keys refreshed)"}}
    | problems((422, "Khóa hoặc địa chỉ không hợp lệ / bad keys or an endpoint off the push services")),
)
async def subscribe(
    body: SubscriptionIn, who: Caller, parts: Parts, request: Request, response: Response
) -> Any:
    try:
        new, shown = await parts.push.subscribe(
            who.sub,
            body.endpoint,
            body.keys.model_dump(),
            body.expirationTime,
            request.headers.get("user-agent", ""),
        )
    except BadSubscription as e:
        raise refused(e) from None
    if not new:
        response.status_code = 200
    return shown


@router.get(
    "/subscriptions",
    response_model=SubscriptionList,
    summary="Thiết bị nhận thông báo đẩy của tôi / my push subscriptions",
)
async def my_subscriptions(who: Caller, parts: Parts, paging: Paged) -> dict[str, Any]:
    return paging.whole(await parts.push.mine(who.sub))  # a few devices a person


@router.delete(
    "/subscriptions",
    status_code=204,
    summary="Thôi nhận thông báo đẩy trên thiết bị này / unsubscribe a device",
    description='Names the endpoint in the body (`{"endpoint": …}`, or the whole `PushSubscription`) or '
    "in the query (`?endpoint=`). Only the caller's own subscription is removed; 204 either way.",
    responses=problems((422, "Không nêu địa chỉ / no endpoint named")),
)
async def unsubscribe(
    who: Caller,
    parts: Parts,
    endpoint: Annotated[str | None, Query(min_length=10, max_length=MAX_ENDPOINT)] = None,
    body: Annotated[EndpointIn | None, Body()] = None,
) -> Response:
    named = endpoint or (body.endpoint if body is not None else None)
    if not named:
        raise Problem(
            422, "push-endpoint-missing", Text("Chưa nêu địa chỉ nhận thông báo đẩy", "No endpoint named")
        )
    await parts.push.unsubscribe(who.sub, named)
    return Response(status_code=204)
