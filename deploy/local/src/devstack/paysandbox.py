"""The payment provider sandbox: the provider's side of the VNPAY 2.1.0 protocol (docs/payment.md, "The
provider sandbox"), so the payment service's adapter is exercised over HTTP as it would be against the
real provider. A development component: it refuses to start with ``DVC_ENV=production``.

    python -m devstack.paysandbox --host 127.0.0.1 --port 9500

- ``GET /paymentv2/vpcpay.html?<signed query>``: checks the merchant, the signature and the fields and
  shows a Vietnamese page with three choices; a choice records the transaction, notifies the merchant
  (IPN, server to server, retried) and sends the browser to ``vnp_ReturnUrl`` with the signed result.
- ``POST /sandbox/pay/{txn_ref}``: the same choice without a browser (tests); ``POST
  /sandbox/ipn/{txn_ref}/resend``; ``GET /sandbox/ipn/{txn_ref}``; ``POST /sandbox/down`` and ``/up``;
  ``PUT /sandbox/merchants/{tmn_code}``.
- ``POST /merchant_webapi/api/transaction``: ``querydr`` and ``refund``.

State is kept in memory only (a stand-in: a restart forgets every transaction). Every signature is made
and checked by :mod:`dvckit.vnpay`, the code the payment service uses too.

Settings (environment): ``DVC_PAYSANDBOX_MERCHANTS``, a JSON list of ``{"tmn_code", "hash_secret",
"ipn_url", "name"?, "ipn_method"?: "POST"|"GET"}``; without it one merchant from
``DVC_PAYSANDBOX_TMN_CODE``, ``DVC_PAYSANDBOX_HASH_SECRET`` and ``DVC_PAYSANDBOX_IPN_URL`` (defaults: the
development merchant of devstack.config, notified at the local gateway). ``DVC_PAYSANDBOX_RETRY_DELAYS``:
seconds between IPN attempts (default ``1,2,4,8,16``: five retries after the first attempt).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import secrets
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from dvckit import vnpay

from .config import DEV_PAYMENT_HASH_SECRET, DEV_PAYMENT_TMN_CODE, PAYMENT_IPN_PATH

DEFAULT_PORT = 9500
DEFAULT_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)
BANK_CODE = "NCB"
MERCHANT_NAME = "Cổng Dịch vụ công thành phố Hải Phòng"
# How long a choice with no delay waits for the merchant's answer to the first IPN attempt before the
# browser is sent back (the notification then usually arrives first, as with the real provider).
FIRST_ATTEMPT_WAIT = 3.0
IPN_TIMEOUT = 10.0

# result → (vnp_ResponseCode, vnp_TransactionStatus, the transaction's state here)
RESULTS = {
    "success": ("00", "00", "paid"),
    "failure": ("51", "02", "failed"),  # 51: not enough money in the account
    "cancel": ("24", "02", "cancelled"),  # 24: the customer cancelled
}


class Refused(Exception):
    """A request the provider refuses: its HTTP status and what the page (or the JSON) says."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refuse_in_production(environ: Mapping[str, str]) -> None:
    if environ.get("DVC_ENV", "").strip() == "production":
        raise SystemExit(
            "devstack.paysandbox is a development stand-in for the payment provider and is refused with "
            "DVC_ENV=production: point the payment service at the real provider (PAYMENT_PROVIDER_URL, "
            "PAYMENT_PROVIDER_API_URL, PAYMENT_TMN_CODE, PAYMENT_HASH_SECRET)"
        )


@dataclass
class Merchant:
    tmn_code: str
    hash_secret: str
    ipn_url: str
    name: str = MERCHANT_NAME
    ipn_method: str = "POST"  # or GET: the notification's parameters in the query, as VNPAY also does

    def __post_init__(self) -> None:
        if not self.tmn_code or not self.hash_secret:
            raise ValueError("a merchant needs tmn_code and hash_secret")
        if urlsplit(self.ipn_url).scheme not in ("http", "https"):
            raise ValueError(f"ipn_url must be an http(s) URL, not {self.ipn_url!r}")
        self.ipn_method = self.ipn_method.upper()
        if self.ipn_method not in ("POST", "GET"):
            raise ValueError("ipn_method must be POST or GET")

    def public(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if k != "hash_secret"}


def merchants_from_env(environ: Mapping[str, str]) -> dict[str, Merchant]:
    raw = environ.get("DVC_PAYSANDBOX_MERCHANTS", "").strip()
    try:
        if raw:
            items = json.loads(raw)
            if not isinstance(items, list):
                raise ValueError("a JSON list of merchants")
            found = [Merchant(**item) for item in items]
        else:
            gateway = f"http://127.0.0.1:{environ.get('DVC_GATEWAY_PORT') or 8080}"
            found = [
                Merchant(
                    tmn_code=environ.get("DVC_PAYSANDBOX_TMN_CODE") or DEV_PAYMENT_TMN_CODE,
                    hash_secret=environ.get("DVC_PAYSANDBOX_HASH_SECRET") or DEV_PAYMENT_HASH_SECRET,
                    ipn_url=environ.get("DVC_PAYSANDBOX_IPN_URL") or f"{gateway}{PAYMENT_IPN_PATH}",
                )
            ]
    except (TypeError, ValueError) as e:
        raise SystemExit(f"DVC_PAYSANDBOX_MERCHANTS: {e}") from e
    return {m.tmn_code: m for m in found}


def retry_delays_from_env(environ: Mapping[str, str]) -> tuple[float, ...]:
    raw = environ.get("DVC_PAYSANDBOX_RETRY_DELAYS", "").strip()
    if not raw:
        return DEFAULT_RETRY_DELAYS
    try:
        delays = tuple(float(x) for x in raw.split(",") if x.strip())
    except ValueError as e:
        raise SystemExit(f"DVC_PAYSANDBOX_RETRY_DELAYS: seconds separated by commas, not {raw!r}") from e
    if any(d < 0 for d in delays):
        raise SystemExit("DVC_PAYSANDBOX_RETRY_DELAYS: no negative delays")
    return delays


def _now() -> datetime:
    return datetime.now(UTC)


def dong(amount_x100: int) -> str:
    """An amount of the protocol (đồng × 100) as Vietnamese write it: 150.000 đồng."""
    return f"{amount_x100 // 100:,}".replace(",", ".") + " đồng"


@dataclass
class Txn:
    """A payment the provider knows: opened by a valid pay request, then completed by a choice."""

    merchant: Merchant
    txn_ref: str
    amount: int  # đồng × 100, as the protocol carries it
    order_info: str
    return_url: str
    create_date: str
    expire_date: str
    ip_addr: str
    state: str = "pending"  # → paid | failed | cancelled
    response_code: str = ""
    transaction_status: str = "01"  # not completed yet (querydr's 01)
    transaction_no: str = ""
    pay_date: str = ""
    bank_code: str = ""
    result_query: str = ""  # the signed result (the return URL's query and the IPN's parameters)
    return_to: str = ""  # where the browser was sent
    refund: dict[str, str] | None = None
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state != "pending"

    def result_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.result_query, keep_blank_values=True))

    def summary(self) -> dict[str, Any]:
        return {
            "txn_ref": self.txn_ref,
            "tmn_code": self.merchant.tmn_code,
            "amount": self.amount,
            "state": self.state,
            "response_code": self.response_code,
            "transaction_status": self.transaction_status,
            "transaction_no": self.transaction_no,
            "bank_code": self.bank_code,
            "pay_date": self.pay_date,
            "refund": self.refund,
        }


class Sandbox:
    """The provider: its merchants, the transactions it knows (in memory) and its notifications."""

    def __init__(self, merchants: dict[str, Merchant], retry_delays: tuple[float, ...]) -> None:
        self.merchants = merchants
        self.retry_delays = retry_delays
        self.txns: dict[str, Txn] = {}  # by vnp_TxnRef (unique across merchants here)
        self.up = True
        self._numbers = iter(range(10_000_000 + secrets.randbelow(80_000_000), 10**9))
        self._tasks: set[asyncio.Task[None]] = set()
        self.http: Any = None  # httpx.AsyncClient while running

    def next_number(self) -> str:
        return str(next(self._numbers))

    # -- the pay request ---------------------------------------------------------------------------
    def open(self, params: Mapping[str, str]) -> Txn:
        """Check a pay request (merchant, signature, fields, expiry) and record its transaction as
        pending; refuse (nothing recorded) otherwise."""
        merchant = self.merchants.get(params.get("vnp_TmnCode", ""))
        if merchant is None:
            raise Refused(400, "Mã đơn vị (vnp_TmnCode) không tồn tại hoặc chưa được kích hoạt.")
        if not vnpay.check(params, merchant.hash_secret):
            raise Refused(400, "Sai chữ ký (vnp_SecureHash): yêu cầu thanh toán không hợp lệ.")
        if params.get("vnp_Version") != vnpay.VERSION or params.get("vnp_Command") != "pay":
            raise Refused(400, f"Phiên bản hoặc lệnh không hợp lệ (cần vnp_Version={vnpay.VERSION}, pay).")
        if params.get("vnp_CurrCode", "VND") != "VND":
            raise Refused(400, "Chỉ nhận thanh toán bằng đồng Việt Nam (vnp_CurrCode=VND).")
        raw = params.get("vnp_Amount", "")
        if not raw.isdigit() or int(raw) <= 0 or int(raw) % 100:
            raise Refused(400, "Số tiền (vnp_Amount) không hợp lệ: số đồng × 100, lớn hơn 0.")
        txn_ref, info = params.get("vnp_TxnRef", ""), params.get("vnp_OrderInfo", "")
        if not txn_ref or not info:
            raise Refused(400, "Thiếu mã giao dịch (vnp_TxnRef) hoặc nội dung thanh toán (vnp_OrderInfo).")
        return_url = params.get("vnp_ReturnUrl", "")
        if urlsplit(return_url).scheme not in ("http", "https"):
            raise Refused(400, "Địa chỉ trả về (vnp_ReturnUrl) không hợp lệ.")
        try:
            vnpay.parse_timestamp(params.get("vnp_CreateDate", ""))
            expires = vnpay.parse_timestamp(params.get("vnp_ExpireDate", ""))
        except ValueError as e:
            raise Refused(400, "Thời gian (vnp_CreateDate, vnp_ExpireDate) không hợp lệ.") from e
        if expires <= _now():
            raise Refused(400, "Giao dịch đã quá thời gian chờ thanh toán (vnp_ExpireDate).")
        known = self.txns.get(txn_ref)
        if known is not None and (known.final or known.merchant is not merchant):
            raise Refused(409, "Giao dịch này đã được xử lý (vnp_TxnRef đã dùng).")
        # Opened again while pending (another tab, a new signature): the latest request is the one paid.
        txn = Txn(
            merchant=merchant,
            txn_ref=txn_ref,
            amount=int(raw),
            order_info=info,
            return_url=return_url,
            create_date=params["vnp_CreateDate"],
            expire_date=params["vnp_ExpireDate"],
            ip_addr=params.get("vnp_IpAddr", ""),
        )
        self.txns[txn_ref] = txn
        return txn

    def complete(self, txn: Txn, result: str) -> str:
        """Record the choice and sign its result; the URL the browser is sent back to."""
        if not self.up:
            raise Refused(503, "Cổng thanh toán tạm thời gián đoạn, vui lòng thử lại sau.")
        if txn.final:
            raise Refused(409, "Giao dịch này đã được xử lý.")
        code, status, state = RESULTS[result]
        txn.state, txn.response_code, txn.transaction_status = state, code, status
        txn.transaction_no = self.next_number()
        txn.bank_code = BANK_CODE
        txn.pay_date = vnpay.timestamp(_now())
        result_params = {
            "vnp_TmnCode": txn.merchant.tmn_code,
            "vnp_Amount": str(txn.amount),
            "vnp_TxnRef": txn.txn_ref,
            "vnp_OrderInfo": txn.order_info,
            "vnp_ResponseCode": code,
            "vnp_TransactionStatus": status,
            "vnp_TransactionNo": txn.transaction_no,
            "vnp_BankCode": txn.bank_code,
            "vnp_PayDate": txn.pay_date,
        }
        txn.result_query = vnpay.signed_query(result_params, txn.merchant.hash_secret)
        sep = "&" if urlsplit(txn.return_url).query else "?"
        txn.return_to = f"{txn.return_url}{sep}{txn.result_query}"
        return txn.return_to

    # -- notifications (IPN) ------------------------------------------------------------------------
    def notify(self, txn: Txn, reason: str, delay: float = 0.0) -> tuple[dict[str, Any], asyncio.Event]:
        """Send the transaction's signed result to the merchant in the background, retried on a non-200
        or RspCode 99; the event is set once the first attempt is answered (or failed)."""
        delivery: dict[str, Any] = {
            "reason": reason,
            "state": "sending",  # → done (an answer other than 99) | gave_up
            "delay_ms": int(delay * 1000),
            "url": txn.merchant.ipn_url,
            "method": txn.merchant.ipn_method,
            "rsp_code": None,
            "attempts": [],
        }
        txn.deliveries.append(delivery)
        first = asyncio.Event()
        task = asyncio.create_task(self._deliver(txn, delivery, delay, first))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery, first

    async def _deliver(self, txn: Txn, delivery: dict[str, Any], delay: float, first: asyncio.Event) -> None:
        import httpx

        params = txn.result_params()
        merchant = txn.merchant
        try:
            if delay:
                await asyncio.sleep(delay)
            for n, wait in enumerate((0.0, *self.retry_delays), start=1):
                if wait:
                    await asyncio.sleep(wait)
                attempt: dict[str, Any] = {"n": n, "at": _now().isoformat(), "status": None, "answer": None}
                code = None
                try:
                    if merchant.ipn_method == "GET":
                        sep = "&" if urlsplit(merchant.ipn_url).query else "?"
                        r = await self.http.get(f"{merchant.ipn_url}{sep}{txn.result_query}")
                    else:
                        r = await self.http.post(merchant.ipn_url, data=params)
                    attempt["status"] = r.status_code
                    try:
                        attempt["answer"] = r.json()
                    except ValueError:
                        attempt["answer"] = r.text[:500]
                    if isinstance(attempt["answer"], dict):
                        code = attempt["answer"].get("RspCode")
                except httpx.HTTPError as e:
                    attempt["error"] = f"{type(e).__name__}: {e}"
                delivery["attempts"].append(attempt)
                delivery["rsp_code"] = code
                first.set()
                if attempt["status"] == 200 and code is not None and code != vnpay.UNKNOWN_ERROR[0]:
                    delivery["state"] = "done"
                    return
            delivery["state"] = "gave_up"
        finally:
            first.set()
            if delivery["state"] == "sending":  # cancelled at shutdown
                delivery["state"] = "gave_up"

    async def choose(self, txn: Txn, result: str, *, ipn: bool = True, delay: float = 0.0) -> str:
        url = self.complete(txn, result)
        if ipn:
            _, first = self.notify(txn, "pay", delay)
            if not delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(first.wait(), FIRST_ATTEMPT_WAIT)
        return url

    # -- the merchant API: querydr and refund --------------------------------------------------------
    def transaction_api(self, body: Mapping[str, Any]) -> dict[str, str]:
        command = str(body.get("vnp_Command", ""))
        tmn_code = str(body.get("vnp_TmnCode", ""))
        txn_ref = str(body.get("vnp_TxnRef", ""))
        answer = {
            "vnp_ResponseId": secrets.token_hex(16),
            "vnp_Command": command,
            "vnp_TmnCode": tmn_code,
            "vnp_TxnRef": txn_ref,
        }
        merchant = self.merchants.get(tmn_code)
        if command not in ("querydr", "refund"):
            return {**answer, "vnp_ResponseCode": "03", "vnp_Message": "Invalid command"}
        if merchant is None:
            return {**answer, "vnp_ResponseCode": "02", "vnp_Message": "Invalid merchant"}
        fields, answer_fields = (
            (vnpay.QUERY_FIELDS, vnpay.QUERY_ANSWER_FIELDS)
            if command == "querydr"
            else (vnpay.REFUND_FIELDS, vnpay.REFUND_ANSWER_FIELDS)
        )

        def signed(code: str, message: str, **more: str) -> dict[str, str]:
            out = {**answer, "vnp_ResponseCode": code, "vnp_Message": message, **more}
            return {**out, vnpay.HASH: vnpay.api_hash(out, answer_fields, merchant.hash_secret)}

        if not vnpay.api_check({k: str(v) for k, v in body.items()}, fields, merchant.hash_secret):
            return signed("97", "Invalid checksum")
        txn = self.txns.get(txn_ref)
        if txn is None or txn.merchant is not merchant:
            return signed("91", "Transaction not found")
        if command == "querydr":
            return signed("00", "Query success", **self._described(txn))
        if txn.state != "paid":
            return signed("95", "Transaction was not successful: refund refused", **self._described(txn))
        if txn.refund is not None:
            return signed("94", "Duplicate request: already refunded", **self._described(txn))
        if body.get("vnp_TransactionType") != "02" or str(body.get("vnp_Amount")) != str(txn.amount):
            return signed("03", "Invalid data: a full refund (02) of the whole amount only")
        if body.get("vnp_TransactionNo") and str(body["vnp_TransactionNo"]) != txn.transaction_no:
            return signed("91", "Transaction not found (vnp_TransactionNo)")
        txn.refund = {
            "request_id": str(body.get("vnp_RequestId", "")),
            "transaction_no": self.next_number(),
            "amount": str(txn.amount),
            "create_by": str(body.get("vnp_CreateBy", "")),
            "at": vnpay.timestamp(_now()),
        }
        return signed("00", "Refund success", **self._described(txn))

    @staticmethod
    def _described(txn: Txn) -> dict[str, str]:
        """What querydr (and refund) say of a transaction. A refund leaves the payment successful (00)
        and marks it type 02 (a full refund); a transaction opened but not completed is 01."""
        return {
            "vnp_Amount": str(txn.amount),
            "vnp_BankCode": txn.bank_code,
            "vnp_PayDate": txn.pay_date,
            "vnp_TransactionNo": txn.transaction_no,
            "vnp_TransactionType": "02" if txn.refund else "01",
            "vnp_TransactionStatus": txn.transaction_status,
            "vnp_OrderInfo": txn.order_info,
        }

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


# -- pages -------------------------------------------------------------------------------------------
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;
color:#1b1f23}
main{max-width:36rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
.note{background:#fff4ce;border-left:4px solid #b58100;padding:.5rem .75rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}dt{font-weight:600}dd{margin:0}
.amount{font-size:1.4rem;font-weight:700;color:#005baa}
fieldset{border:1px solid #c8ced3;border-radius:6px;padding:1rem}legend{font-weight:600;padding:0 .3rem}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem;font-size:1rem;border-radius:6px;
border:2px solid transparent;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid #1b1f23;outline-offset:2px}
.ok{background:#0a7d32;color:#fff}.fail{background:#b3261e;color:#fff}.cancel{background:#e8eaed;color:#1b1f23}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="vi">\n<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} — Cổng thanh toán thử nghiệm</title><style>{STYLE}</style></head>\n"
        f'<body><main aria-labelledby="title">\n'
        '<p class="note" role="note">Môi trường thử nghiệm (sandbox) của cổng thanh toán: '
        "không có tiền thật, không nhập thông tin thẻ.</p>\n"
        f'<h1 id="title">{html.escape(title)}</h1>\n{body}\n</main></body></html>\n'
    )


def pay_page(txn: Txn) -> str:
    e = html.escape
    expires = vnpay.parse_timestamp(txn.expire_date).strftime("%H:%M:%S ngày %d/%m/%Y")
    return _page(
        "Thanh toán trực tuyến",
        f"""<dl>
<dt>Đơn vị nhận thanh toán</dt><dd>{e(txn.merchant.name)} (mã {e(txn.merchant.tmn_code)})</dd>
<dt>Nội dung thanh toán</dt><dd>{e(txn.order_info)}</dd>
<dt>Mã giao dịch</dt><dd>{e(txn.txn_ref)}</dd>
<dt>Số tiền</dt><dd class="amount">{e(dong(txn.amount))}</dd>
<dt>Thời hạn thanh toán</dt><dd>{e(expires)}</dd>
</dl>
<form method="post" action="/paymentv2/pay/{e(quote(txn.txn_ref, safe=""))}">
<fieldset aria-describedby="hint"><legend>Chọn kết quả giao dịch</legend>
<p id="hint">Đây là trang thử nghiệm: chọn kết quả để cổng thanh toán báo cho đơn vị và đưa bạn quay lại.</p>
<button type="submit" class="ok" name="result" value="success">Thanh toán thành công</button>
<button type="submit" class="fail" name="result" value="failure">Thanh toán thất bại</button>
<button type="submit" class="cancel" name="result" value="cancel">Hủy giao dịch</button>
</fieldset>
</form>""",
    )


def error_page(message: str, back: str = "") -> str:
    link = f'<p><a href="{html.escape(back)}">Quay lại trang của đơn vị</a></p>' if back else ""
    return _page("Không thể thực hiện giao dịch", f'<p role="alert">{html.escape(message)}</p>{link}')


# -- the application -----------------------------------------------------------------------------------
def create_app(
    merchants: dict[str, Merchant] | None = None,
    retry_delays: tuple[float, ...] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Route

    environ = os.environ if environ is None else environ
    refuse_in_production(environ)
    sandbox = Sandbox(
        merchants_from_env(environ) if merchants is None else merchants,
        retry_delays_from_env(environ) if retry_delays is None else retry_delays,
    )

    def error(status: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def pay_page_view(request: Request) -> Response:
        if not sandbox.up:
            return HTMLResponse(error_page("Cổng thanh toán tạm thời gián đoạn, vui lòng thử lại sau."), 503)
        try:
            txn = sandbox.open(dict(request.query_params))
        except Refused as e:
            return HTMLResponse(error_page(e.message), e.status)
        return HTMLResponse(pay_page(txn))

    async def pay_choice(request: Request) -> Response:
        txn = sandbox.txns.get(request.path_params["txn_ref"])
        result = str((await request.form()).get("result", ""))
        if txn is None or result not in RESULTS:
            return HTMLResponse(error_page("Không tìm thấy giao dịch hoặc lựa chọn không hợp lệ."), 404)
        try:
            url = await sandbox.choose(txn, result)
        except Refused as e:
            return HTMLResponse(error_page(e.message, txn.return_to), e.status)
        return RedirectResponse(url, status_code=303)

    async def sandbox_pay(request: Request) -> Response:
        txn_ref = request.path_params["txn_ref"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error(422, 'a JSON object: {"result": "success"|"failure"|"cancel", "ipn": true, ...}')
        result, ipn, delay_ms = body.get("result"), body.get("ipn", True), body.get("delay_ms", 0)
        valid_delay = isinstance(delay_ms, int) and not isinstance(delay_ms, bool) and delay_ms >= 0
        if result not in RESULTS or not isinstance(ipn, bool) or not valid_delay:
            return error(422, "result: success|failure|cancel; ipn: true|false; delay_ms: a whole number ≥ 0")
        if not sandbox.up:
            return error(503, "the provider is down (POST /sandbox/up)")
        try:
            if body.get("query"):
                opened = sandbox.open(dict(parse_qsl(str(body["query"]).lstrip("?"), keep_blank_values=True)))
                if opened.txn_ref != txn_ref:
                    return error(400, f"the query pays {opened.txn_ref}, not {txn_ref}")
            txn = sandbox.txns.get(txn_ref)
            if txn is None:
                return error(404, "no such transaction: open the pay page first, or give its query")
            url = await sandbox.choose(txn, result, ipn=ipn, delay=delay_ms / 1000)
        except Refused as e:
            return error(e.status, e.message)
        return JSONResponse({"return_url": url, **txn.summary()})

    async def ipn_log(request: Request) -> Response:
        txn = sandbox.txns.get(request.path_params["txn_ref"])
        if txn is None:
            return error(404, "no such transaction")
        return JSONResponse({**txn.summary(), "params": txn.result_params(), "deliveries": txn.deliveries})

    async def ipn_resend(request: Request) -> Response:
        txn = sandbox.txns.get(request.path_params["txn_ref"])
        if txn is None:
            return error(404, "no such transaction")
        if not txn.final:
            return error(409, "nothing to resend: the transaction is not completed")
        delivery, first = sandbox.notify(txn, "resend")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(first.wait(), FIRST_ATTEMPT_WAIT)
        return JSONResponse({"delivery": len(txn.deliveries) - 1, **delivery}, status_code=202)

    async def set_up(request: Request) -> Response:
        sandbox.up = request.url.path.endswith("/up")
        return JSONResponse({"up": sandbox.up})

    async def merchant_put(request: Request) -> Response:
        try:
            body = await request.json()
            merchant = Merchant(tmn_code=request.path_params["tmn_code"], **body)
        except (ValueError, TypeError) as e:
            return error(422, f"{{hash_secret, ipn_url, name?, ipn_method?}}: {e}")
        sandbox.merchants[merchant.tmn_code] = merchant
        return JSONResponse(merchant.public())

    async def merchants_list(request: Request) -> Response:
        return JSONResponse([m.public() for m in sandbox.merchants.values()])

    async def transaction(request: Request) -> Response:
        if not sandbox.up:
            return JSONResponse({"vnp_ResponseCode": "99", "vnp_Message": "Service unavailable"}, 503)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"vnp_ResponseCode": "03", "vnp_Message": "Invalid data format"}, 400)
        return JSONResponse(sandbox.transaction_api(body))

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "sandbox": "paysandbox", "up": sandbox.up})

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        import httpx

        async with httpx.AsyncClient(timeout=IPN_TIMEOUT) as client:
            sandbox.http = client
            try:
                yield
            finally:
                await sandbox.close()

    app = Starlette(
        routes=[
            Route("/paymentv2/vpcpay.html", pay_page_view, methods=["GET"]),
            Route("/paymentv2/pay/{txn_ref}", pay_choice, methods=["POST"]),
            Route("/merchant_webapi/api/transaction", transaction, methods=["POST"]),
            Route("/sandbox/pay/{txn_ref}", sandbox_pay, methods=["POST"]),
            Route("/sandbox/ipn/{txn_ref}", ipn_log, methods=["GET"]),
            Route("/sandbox/ipn/{txn_ref}/resend", ipn_resend, methods=["POST"]),
            Route("/sandbox/down", set_up, methods=["POST"]),
            Route("/sandbox/up", set_up, methods=["POST"]),
            Route("/sandbox/merchants", merchants_list, methods=["GET"]),
            Route("/sandbox/merchants/{tmn_code}", merchant_put, methods=["PUT"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=int(os.environ.get("DVC_PAYSANDBOX_PORT") or DEFAULT_PORT))
    args = ap.parse_args(argv)
    refuse_in_production(os.environ)
    import uvicorn

    app = create_app()
    codes = ", ".join(app.state.sandbox.merchants)
    print(f"[paysandbox] http://{args.host}:{args.port}/ merchants: {codes or 'none'}", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
