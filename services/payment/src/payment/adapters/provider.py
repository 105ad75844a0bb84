"""The payment provider (VNPAY 2.1.0; locally the sandbox, devstack.paysandbox), over HTTP: the signed
payment-page address, the query (``querydr``) and the refund. The protocol itself is ``dvckit.vnpay``'s,
written once for this adapter and the sandbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx

from dvckit import logs, vnpay

from ..config import Settings
from ..domain.ipn import Notification
from ..domain.order import Order

API_PATH = "/merchant_webapi/api/transaction"
PAY_PATH = "/paymentv2/vpcpay.html"
log = logs.get(__name__)


class ProviderUnavailable(Exception):
    """The provider did not answer, or answered something that is not its protocol (unsigned, garbled)."""


def order_info(order: Order) -> str:
    # ASCII only, as the provider asks.
    return f"Thanh toan ho so {order.dossier_code}"


class Vnpay:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.secret = settings.hash_secret.get_secret_value()
        self.tmn = settings.tmn_code
        self.http = httpx.AsyncClient(
            base_url=settings.provider_api_url.rstrip("/"),
            timeout=settings.provider_timeout_seconds,
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()

    def pay_url(self, order: Order, *, client_ip: str, now: datetime) -> str:
        params = {
            "vnp_Version": vnpay.VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self.tmn,
            "vnp_Amount": str(order.amount * 100),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": order.txn_ref,
            "vnp_OrderInfo": order_info(order),
            "vnp_OrderType": "other",
            "vnp_Locale": "vn",
            "vnp_ReturnUrl": self.settings.return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": vnpay.timestamp(now),
            "vnp_ExpireDate": vnpay.timestamp(order.expires_at),
        }
        return f"{self.settings.provider_url.rstrip('/')}{PAY_PATH}?{vnpay.signed_query(params, self.secret)}"

    def verify(self, params: dict[str, str]) -> bool:
        return vnpay.check(params, self.secret)

    async def _call(self, body: dict[str, str], answer_fields: tuple[str, ...]) -> dict[str, Any]:
        try:
            r = await self.http.post(API_PATH, json=body)
        except httpx.HTTPError as e:
            raise ProviderUnavailable(repr(e)[:200]) from e
        if r.status_code != 200:
            raise ProviderUnavailable(f"HTTP {r.status_code}")
        try:
            got = r.json()
        except ValueError as e:
            raise ProviderUnavailable("not JSON") from e
        if not isinstance(got, dict):
            raise ProviderUnavailable("not an object")
        got = {k: "" if v is None else str(v) for k, v in got.items()}
        if got.get("vnp_SecureHash") and not vnpay.api_check(got, answer_fields, self.secret):
            raise ProviderUnavailable("the answer's signature does not verify")
        if not got.get("vnp_SecureHash") and got.get("vnp_ResponseCode") == "00":
            raise ProviderUnavailable("an unsigned answer")
        return got

    def _request(self, command: str, order: Order, now: datetime, ip: str) -> dict[str, str]:
        return {
            "vnp_RequestId": uuid.uuid4().hex,
            "vnp_Version": vnpay.VERSION,
            "vnp_Command": command,
            "vnp_TmnCode": self.tmn,
            "vnp_TxnRef": order.txn_ref,
            "vnp_OrderInfo": order_info(order),
            "vnp_TransactionDate": vnpay.timestamp(order.created_at),
            "vnp_CreateDate": vnpay.timestamp(now),
            "vnp_IpAddr": ip,
        }

    async def query(self, order: Order, now: datetime, ip: str = "127.0.0.1") -> Notification | None:
        """What the provider knows of the order's transaction (None: nothing)."""
        body = self._request("querydr", order, now, ip)
        body["vnp_SecureHash"] = vnpay.api_hash(body, vnpay.QUERY_FIELDS, self.secret)
        got = await self._call(body, vnpay.QUERY_ANSWER_FIELDS)
        code = got.get("vnp_ResponseCode", "")
        if code == "91":
            return None
        if code != "00":
            raise ProviderUnavailable(f"querydr answered {code}")
        if got.get("vnp_TxnRef") != order.txn_ref or got.get("vnp_TmnCode", self.tmn) != self.tmn:
            raise ProviderUnavailable("querydr answered about another transaction")
        return Notification.of(got)

    async def refund(self, order: Order, *, by: str, now: datetime, ip: str = "127.0.0.1") -> dict[str, str]:
        """A full refund of the order's payment; the provider's answer (``vnp_ResponseCode`` 00: done)."""
        body = self._request("refund", order, now, ip)
        body |= {
            "vnp_TransactionType": "02",
            "vnp_Amount": str(order.amount * 100),
            "vnp_TransactionNo": order.provider_txn or "",
            "vnp_CreateBy": by,
        }
        body["vnp_SecureHash"] = vnpay.api_hash(body, vnpay.REFUND_FIELDS, self.secret)
        return await self._call(body, vnpay.REFUND_ANSWER_FIELDS)
