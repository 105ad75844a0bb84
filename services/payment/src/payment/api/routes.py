"""HTTP routes of the payment service (mounted under /api/v1/payments)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from dvckit.apidoc import problems
from dvckit.auth import Principal, principal, require
from dvckit.contracts import FeeLine
from dvckit.errors import Problem, Text
from dvckit.etag import Conditioned
from dvckit.paging import Cursored, Paged

from ..domain.access import Caller
from ..domain.order import Order
from ..parts import Parts

router = APIRouter(tags=["payments"])
Who = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(require("admin"))]
DossierId = Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{32,36}$", description="The dossier's id")]
OrderId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The payment order's id")]
ProviderName = Annotated[str, Path(pattern=r"^[a-z]{2,20}$")]
# An IPN has about fifteen short fields: a body larger than this is no notification.
IPN_MAX_BYTES = 8192
BAD_IPN = Problem(
    400, "bad-notification", Text("Thông báo thanh toán không hợp lệ", "Malformed notification")
)


def caller(who: Principal) -> Caller:
    return Caller(id=who.sub, roles=who.roles, agencies=who.agencies, orgs=who.orgs)


class AgencyOut(BaseModel):
    code: str
    name: str


class OrderOut(BaseModel):
    id: str
    dossier_id: str
    dossier_code: str
    purpose: Literal["filing", "requested"]
    agency: AgencyOut
    lines: list[FeeLine]
    amount: int = Field(description="VND")
    provider: str
    state: Literal["created", "pending", "paid", "failed", "expired", "refunded"]
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None = None
    provider_txn: str | None = None
    bank_code: str | None = None
    receipt_no: str | None = None
    late: bool = False
    failure: str | None = None
    refunded_at: datetime | None = None
    flags: list[str] = Field(default_factory=list, description="Differences left for a person to look at")


def out(order: Order) -> dict[str, Any]:
    doc = order.model_dump()
    doc["state"] = order.state.value
    return doc


class DossierPayments(BaseModel):
    dossier_id: str
    dossier_code: str
    fee_lines: list[FeeLine] = Field(description="The frozen fee table's lines (the filing fees)")
    fee_total: int
    filing_paid: bool
    orders: list[OrderOut]


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    purpose: Literal["filing", "requested"] = Field(
        "filing",
        description="filing: the frozen fee table's fees; requested: what an officer asked for (again, "
        "after an order of it failed or expired)",
    )


class PayOut(BaseModel):
    url: str = Field(description="The provider's payment page: send the browser there")
    order: OrderOut


class IpnAnswer(BaseModel):
    RspCode: str
    Message: str


class ReconcileOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    checked: int


@router.get(
    "/dossiers/{dossier_id}",
    response_model=DossierPayments,
    summary="Các khoản thanh toán của hồ sơ / a dossier's payment orders",
    responses=problems((404, "Không có hồ sơ này mà bạn được xem / no such dossier you may see")),
)
async def dossier_payments(dossier_id: DossierId, who: Who, parts: Parts) -> dict[str, Any]:
    got = await parts.payments.of_dossier(caller(who), dossier_id)
    return {**got, "orders": [out(o) for o in got["orders"]]}


@router.post(
    "/dossiers/{dossier_id}/orders",
    response_model=OrderOut,
    status_code=201,
    summary="Tạo đơn thanh toán (hoặc đơn đang mở) / open a payment order (or the open one)",
    responses={200: {"description": "Đơn đang mở / the order already open", "model": OrderOut}}
    | problems(
        (403, "Chỉ người nộp hồ sơ được thanh toán / only the dossier's owner pays"),
        (404, "Không có hồ sơ này mà bạn được xem / no such dossier you may see"),
        (409, "Không có khoản phải nộp, hoặc đã nộp / nothing to pay, or paid already"),
    ),
)
async def create_order(
    dossier_id: DossierId, body: OrderIn, who: Who, parts: Parts, response: Response
) -> dict[str, Any]:
    order, made = await parts.payments.create_order(caller(who), dossier_id, body.purpose)
    response.status_code = 201 if made else 200
    return out(order)


@router.get(
    "/orders/{order_id}",
    response_model=OrderOut,
    summary="Một đơn thanh toán / one payment order",
    responses=problems((404, "Không có đơn này mà bạn được xem / no such order you may see")),
)
async def get_order(order_id: OrderId, who: Who, parts: Parts, cond: Conditioned) -> object:
    return cond.answer(out(await parts.payments.order(caller(who), order_id)))


@router.post(
    "/orders/{order_id}/pay",
    response_model=PayOut,
    summary="Thanh toán: địa chỉ trang của cổng thanh toán / pay: the provider's page",
    responses=problems(
        (403, "Chỉ người nộp hồ sơ được thanh toán / only the dossier's owner pays"),
        (404, "Không có đơn này mà bạn được xem / no such order you may see"),
        (409, "Đơn đã kết thúc / the order is closed"),
        (410, "Đơn đã hết hạn / the order expired"),
    ),
)
async def pay(order_id: OrderId, who: Who, parts: Parts, request: Request) -> dict[str, Any]:
    ip = request.client.host if request.client else "127.0.0.1"
    url = await parts.payments.pay(caller(who), order_id, client_ip=ip, payer_name=who.name)
    return {"url": url, "order": out(await parts.payments.order(caller(who), order_id))}


async def _ipn(provider: str, parts: Parts, request: Request) -> dict[str, str]:
    params = dict(request.query_params)
    if request.method == "POST":
        body = await request.body()
        if len(body) > IPN_MAX_BYTES:
            raise BAD_IPN
        try:
            params |= dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=64))
        except (UnicodeDecodeError, ValueError):
            raise BAD_IPN from None
    return await parts.payments.notification(provider, params)


IPN_DOC = (
    "The provider's server-to-server notification (IPN), the only source of truth of a payment: signed "
    "`vnp_*` parameters as a form body or a query. Answered 200 with the provider's codes: 00 confirmed, "
    "01 order not found, 02 already confirmed, 04 invalid amount, 97 invalid signature, 99 retry."
)


class OrderPage(Cursored):
    items: list[OrderOut]
    total: int
    page: int
    size: int


@router.get(
    "/me/export",
    response_model=OrderPage,
    tags=["your data"],
    summary="Dữ liệu của tôi: các lần thanh toán / my data: my payment orders",
    description="The caller's own payment orders (an organisation's belong to it), oldest first. Kept "
    "when the account is closed (accounting law). Auth's `GET /api/v1/auth/me/export` reads every page.",
)
async def export(
    who: Who,
    parts: Parts,
    paging: Paged,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 100,
) -> dict[str, Any]:
    w = paging.window(page=page, size=size, max_size=200)
    found, total = await parts.payments.own(who.sub, window=w)
    return paging.finish(
        w, {"items": [out(o) for o in found], "total": total, "page": w.page, "size": w.size}
    )


@router.post(
    "/providers/{provider}/ipn",
    response_model=IpnAnswer,
    summary="Thông báo kết quả thanh toán từ cổng thanh toán (IPN) / the provider's notification",
    description=IPN_DOC,
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {"type": "object", "additionalProperties": {"type": "string"}}
                }
            },
        }
    },
    responses=problems(
        (400, "Không phải thông báo / not a notification"), (404, "Không có cổng này / no such provider")
    ),
)
async def ipn_post(provider: ProviderName, parts: Parts, request: Request) -> dict[str, str]:
    return await _ipn(provider, parts, request)


@router.get(
    "/providers/{provider}/ipn",
    response_model=IpnAnswer,
    summary="Thông báo kết quả thanh toán (IPN, kiểu GET) / the provider's notification as a query",
    description=IPN_DOC,
    responses=problems((404, "Không có cổng này / no such provider")),
)
async def ipn_get(provider: ProviderName, parts: Parts, request: Request) -> dict[str, str]:
    return await _ipn(provider, parts, request)


@router.get(
    "/orders/{order_id}/receipt",
    summary="Biên lai điện tử (PDF) / the e-receipt",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
    | problems(
        (404, "Không có đơn này mà bạn được xem / no such order you may see"),
        (409, "Chưa thanh toán / not paid"),
    ),
)
async def receipt(order_id: OrderId, who: Who, parts: Parts) -> Response:
    order, pdf = await parts.payments.receipt(caller(who), order_id)
    name = f"bien-lai-{order.receipt_no or order.id}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"},
    )


@router.post(
    "/orders/{order_id}/refund",
    response_model=OrderOut,
    summary="Hoàn tiền qua cổng thanh toán (quản trị) / refund through the provider (administrators)",
    responses=problems(
        (404, "Không có đơn này / no such order"),
        (409, "Đơn chưa thanh toán hoặc đang hoàn tiền / not paid, or a refund in progress"),
        (502, "Cổng thanh toán từ chối / the provider refused"),
        (503, "Cổng thanh toán không trả lời / the provider is unavailable"),
    ),
)
async def refund(order_id: OrderId, who: Admin, parts: Parts) -> dict[str, Any]:
    return out(await parts.payments.refund(caller(who), order_id))


@router.post(
    "/reconcile",
    response_model=ReconcileOut,
    summary="Đối soát với cổng thanh toán ngay (quản trị) / reconcile with the provider now (administrators)",
)
async def reconcile(who: Admin, parts: Parts) -> dict[str, Any]:
    return await parts.payments.reconcile()
