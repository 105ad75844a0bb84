"""The VNPAY 2.1.0 payment protocol, both sides (docs/payment.md): the merchant's signed redirect and its
checks of a notification, the provider's signed notification, query and refund. Pure functions, written
once: the payment service's adapter and the development sandbox (devstack.paysandbox) both use them.

Two signatures, as the provider defines them:
- a redirect, a return and a notification (IPN) sign their ``vnp_*`` parameters sorted by name, each
  ``name=value`` form-urlencoded, joined by ``&`` (``signed_query`` / ``check``);
- the query and refund API sign a fixed list of fields joined by ``|`` (``api_hash``).
Both are HMAC-SHA512 with the merchant's secret, as lowercase hex."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

VERSION = "2.1.0"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the provider's times are GMT+7 wall clock, yyyyMMddHHmmss
HASH = "vnp_SecureHash"
UNSIGNED = frozenset({HASH, "vnp_SecureHashType"})

# The merchant's answers to a notification, and what the provider does with them (retries on 99).
CONFIRMED = ("00", "Confirm Success")
ORDER_NOT_FOUND = ("01", "Order not found")
ALREADY_CONFIRMED = ("02", "Order already confirmed")
INVALID_AMOUNT = ("04", "Invalid amount")
INVALID_SIGNATURE = ("97", "Invalid signature")
UNKNOWN_ERROR = ("99", "Unknown error")

# The fields each API command's hash covers, in order.
QUERY_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_TransactionDate",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_FIELDS = (
    "vnp_RequestId",
    "vnp_Version",
    "vnp_Command",
    "vnp_TmnCode",
    "vnp_TransactionType",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_TransactionNo",
    "vnp_TransactionDate",
    "vnp_CreateBy",
    "vnp_CreateDate",
    "vnp_IpAddr",
    "vnp_OrderInfo",
)
REFUND_ANSWER_FIELDS = (
    "vnp_ResponseId",
    "vnp_Command",
    "vnp_ResponseCode",
    "vnp_Message",
    "vnp_TmnCode",
    "vnp_TxnRef",
    "vnp_Amount",
    "vnp_BankCode",
    "vnp_PayDate",
    "vnp_TransactionNo",
    "vnp_TransactionType",
    "vnp_TransactionStatus",
    "vnp_OrderInfo",
)
# A query's answer signs the same fields as a refund's, and its promotion's after them.
QUERY_ANSWER_FIELDS = (*REFUND_ANSWER_FIELDS, "vnp_PromotionCode", "vnp_PromotionAmount")


def timestamp(t: datetime) -> str:
    """yyyyMMddHHmmss in Vietnam's wall clock."""
    return t.astimezone(ZONE).strftime("%Y%m%d%H%M%S")


def parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=ZONE)


def _hmac(secret: str, data: str) -> str:
    return hmac.new(secret.encode(), data.encode("utf-8"), hashlib.sha512).hexdigest()


def canonical(params: Mapping[str, str]) -> str:
    """The text a redirect, a return or a notification signs: its ``vnp_*`` parameters but the hash,
    empty ones left out, sorted by name, form-urlencoded, joined by ``&``."""
    kept = sorted((k, v) for k, v in params.items() if k.startswith("vnp_") and k not in UNSIGNED and v != "")
    return "&".join(f"{quote_plus(k)}={quote_plus(str(v))}" for k, v in kept)


def sign(params: Mapping[str, str], secret: str) -> dict[str, str]:
    """``params`` with their ``vnp_SecureHash``."""
    return {**{k: str(v) for k, v in params.items()}, HASH: _hmac(secret, canonical(params))}


def signed_query(params: Mapping[str, str], secret: str) -> str:
    """The query string of a signed redirect: the canonical text and its hash."""
    return canonical(params) + "&" + HASH + "=" + _hmac(secret, canonical(params))


def check(params: Mapping[str, str], secret: str) -> bool:
    """Whether ``params`` carry a valid ``vnp_SecureHash`` (compared in constant time)."""
    given = params.get(HASH, "")
    return bool(given) and hmac.compare_digest(given.lower(), _hmac(secret, canonical(params)))


def api_hash(body: Mapping[str, str], fields: tuple[str, ...], secret: str) -> str:
    """The hash of a query or refund request (or answer): ``fields`` in order, joined by ``|``."""
    return _hmac(secret, "|".join(str(body.get(f, "")) for f in fields))


def api_check(body: Mapping[str, str], fields: tuple[str, ...], secret: str) -> bool:
    given = str(body.get(HASH, ""))
    return bool(given) and hmac.compare_digest(given.lower(), api_hash(body, fields, secret))


def answer(code: tuple[str, str]) -> dict[str, str]:
    """The merchant's answer to a notification."""
    return {"RspCode": code[0], "Message": code[1]}
