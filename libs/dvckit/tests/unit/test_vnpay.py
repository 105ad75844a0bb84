"""The VNPAY protocol's signatures: what is signed, and that any change to a signed message is caught."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from dvckit import vnpay

SECRET = "SANDBOXSECRETKEY0123456789ABCDEF"
PAY = {
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "DVCHP001",
    "vnp_Amount": "700000",
    "vnp_CurrCode": "VND",
    "vnp_TxnRef": "a" * 32,
    "vnp_OrderInfo": "Thanh toan ho so 000.01.G5.H26-261204-0001",
    "vnp_OrderType": "other",
    "vnp_Locale": "vn",
    "vnp_ReturnUrl": "http://127.0.0.1:8080/thanh-toan/ket-qua",
    "vnp_IpAddr": "127.0.0.1",
    "vnp_CreateDate": "20261204101500",
    "vnp_BankCode": "",
}


def test_the_signed_text_is_the_sorted_form_encoded_parameters_without_empty_ones():
    text = vnpay.canonical(PAY)
    names = [pair.split("=")[0] for pair in text.split("&")]
    assert names == sorted(k for k, v in PAY.items() if v)  # vnp_BankCode is empty: left out
    assert "vnp_OrderInfo=Thanh+toan+ho+so+000.01.G5.H26-261204-0001" in text  # spaces as +
    assert "vnp_ReturnUrl=http%3A%2F%2F127.0.0.1%3A8080%2Fthanh-toan%2Fket-qua" in text
    expected = hmac.new(SECRET.encode(), text.encode(), hashlib.sha512).hexdigest()
    assert vnpay.sign(PAY, SECRET)[vnpay.HASH] == expected and len(expected) == 128


def test_a_signed_redirect_checks_and_any_change_is_caught():
    query = vnpay.signed_query(PAY, SECRET)
    got = dict(parse_qsl(query, keep_blank_values=True))
    assert vnpay.check(got, SECRET)
    assert not vnpay.check(got | {"vnp_Amount": "7000000"}, SECRET)
    assert not vnpay.check(got, "another-merchant-secret")
    assert not vnpay.check({k: v for k, v in got.items() if k != vnpay.HASH}, SECRET)
    # The hash's own type field is not signed; the hash is compared whatever its case.
    assert vnpay.check(got | {"vnp_SecureHashType": "HmacSHA512"}, SECRET)
    assert vnpay.check(got | {vnpay.HASH: got[vnpay.HASH].upper()}, SECRET)


def test_the_api_hash_covers_its_fields_in_order():
    body = {f: f"v{i}" for i, f in enumerate(vnpay.QUERY_FIELDS)}
    body[vnpay.HASH] = vnpay.api_hash(body, vnpay.QUERY_FIELDS, SECRET)
    assert vnpay.api_check(body, vnpay.QUERY_FIELDS, SECRET)
    assert not vnpay.api_check(body | {"vnp_TxnRef": "other"}, vnpay.QUERY_FIELDS, SECRET)
    joined = "|".join(f"v{i}" for i in range(len(vnpay.QUERY_FIELDS)))
    assert body[vnpay.HASH] == hmac.new(SECRET.encode(), joined.encode(), hashlib.sha512).hexdigest()


def test_times_are_vietnams_wall_clock():
    t = datetime(2026, 12, 4, 3, 15, tzinfo=UTC)
    assert vnpay.timestamp(t) == "20261204101500"
    assert vnpay.parse_timestamp("20261204101500") == t
    assert vnpay.answer(vnpay.ALREADY_CONFIRMED) == {"RspCode": "02", "Message": "Order already confirmed"}
