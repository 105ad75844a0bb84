"""RFC 9457 problem details (``application/problem+json``) for every error a service returns.

Every problem has a stable machine ``code`` and a human ``detail`` in Vietnamese, or in English when the
client's ``Accept-Language`` prefers it. Validation problems list the field paths. Unexpected errors give
a 500 with the request id and no stack trace; an unreachable database gives a 503 with ``Retry-After``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import logs
from .jsonutil import dumps

PROBLEM_JSON = "application/problem+json"
log = logs.get(__name__)


@dataclass(frozen=True)
class Text:
    """A message a person reads: Vietnamese first, English second."""

    vi: str
    en: str

    def pick(self, lang: str) -> str:
        return self.en if lang == "en" else self.vi


class Invalid(ValueError):
    """Raised by a field validator: the message in both languages, picked per request."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(vi)
        self.text = Text(vi, en)


@dataclass
class Problem(Exception):
    """Raise from a route or use case; rendered as problem+json."""

    status: int
    code: str
    title: Text
    detail: Text | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.title.en}"


def lang_of(request: Request) -> str:
    """'en' when the client prefers English over Vietnamese, else 'vi'."""
    best, best_q = "vi", -1.0
    for part in request.headers.get("accept-language", "").split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        base = tag.split("-")[0]
        if base in ("vi", "en") and q > best_q:
            best, best_q = base, q
    return best


def render(problem: Problem, request: Request) -> Response:
    lang = lang_of(request)
    body: dict[str, Any] = {
        "type": f"urn:dvc:problem:{problem.code}",
        "title": problem.title.pick(lang),
        "status": problem.status,
        "code": problem.code,
        "detail": (problem.detail or problem.title).pick(lang),
        "instance": request.url.path,
    }
    rid = logs.request_id_var.get()
    if rid:
        body["request_id"] = rid
    body.update(problem.extra)
    headers = {"Content-Language": lang, **problem.headers}
    return Response(dumps(body), status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)


# Vietnamese for the validation errors citizens actually meet; others fall back to pydantic's English.
_VI_MESSAGES = {
    "missing": "Trường này là bắt buộc",
    "extra_forbidden": "Trường này không được phép",
    "string_too_short": "Giá trị quá ngắn",
    "string_too_long": "Giá trị quá dài",
    "string_pattern_mismatch": "Giá trị không đúng định dạng",
    "string_type": "Phải là chuỗi ký tự",
    "int_type": "Phải là số nguyên",
    "int_parsing": "Phải là số nguyên",
    "float_parsing": "Phải là số",
    "bool_parsing": "Phải là đúng/sai",
    "date_from_datetime_parsing": "Ngày không hợp lệ",
    "date_parsing": "Ngày không hợp lệ",
    "datetime_parsing": "Thời điểm không hợp lệ",
    "json_invalid": "Nội dung JSON không hợp lệ",
    "model_attributes_type": "Phải là một đối tượng",
    "dict_type": "Phải là một đối tượng",
    "list_type": "Phải là một danh sách",
    "literal_error": "Giá trị không nằm trong danh sách cho phép",
    "enum": "Giá trị không nằm trong danh sách cho phép",
    "greater_than_equal": "Giá trị quá nhỏ",
    "less_than_equal": "Giá trị quá lớn",
    "too_long": "Quá nhiều phần tử",
    "too_short": "Quá ít phần tử",
    "value_error": "Giá trị không hợp lệ",
    "uuid_parsing": "Mã định danh không hợp lệ",
}


def field_errors(errors: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        msg = e.get("msg", "")
        ctx_err = (e.get("ctx") or {}).get("error")
        if isinstance(ctx_err, Invalid):
            msg = ctx_err.text.pick(lang)
        elif lang != "en":
            msg = _VI_MESSAGES.get(e.get("type", ""), msg)
        out.append({"field": ".".join(loc), "type": e.get("type"), "message": msg})
    return out


VALIDATION = Text("Dữ liệu không hợp lệ", "Invalid input")


def validation_problem(errors: Sequence[Mapping[str, Any]], request: Request) -> Response:
    lang = lang_of(request)
    fields = field_errors(errors, lang)
    problem = Problem(
        422,
        "validation-error",
        VALIDATION,
        Text(
            "Vui lòng kiểm tra lại: " + ", ".join(f["field"] for f in fields),
            "Please check: " + ", ".join(f["field"] for f in fields),
        ),
        extra={"errors": fields},
    )
    return render(problem, request)


_HTTP_TITLES = {
    400: Text("Yêu cầu không hợp lệ", "Bad request"),
    401: Text("Chưa đăng nhập hoặc phiên đã hết hạn", "Not authenticated"),
    403: Text("Không có quyền thực hiện", "Forbidden"),
    404: Text("Không tìm thấy", "Not found"),
    405: Text("Phương thức không được hỗ trợ", "Method not allowed"),
    406: Text("Định dạng không được hỗ trợ", "Not acceptable"),
    409: Text("Xung đột dữ liệu", "Conflict"),
    413: Text("Dữ liệu gửi lên quá lớn", "Payload too large"),
    415: Text("Kiểu dữ liệu không được hỗ trợ", "Unsupported media type"),
    429: Text("Quá nhiều yêu cầu, vui lòng thử lại sau", "Too many requests"),
}
_HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    413: "payload-too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}

UNAVAILABLE = Problem(
    503,
    "service-unavailable",
    Text("Hệ thống đang tạm thời gián đoạn, vui lòng thử lại sau", "Service temporarily unavailable"),
    headers={"Retry-After": "5"},
)
INTERNAL = Problem(500, "internal-error", Text("Lỗi hệ thống", "Internal error"))


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on an app."""

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return render(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return validation_problem(exc.errors(), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # FastAPI's answer to a JSON body that is not UTF-8: invalid JSON, the same 422 as any other.
            return validation_problem(
                [{"loc": ("body",), "type": "json_invalid", "msg": "Invalid JSON"}], request
            )
        title = _HTTP_TITLES.get(exc.status_code, Text("Lỗi", "Error"))
        code = _HTTP_CODES.get(exc.status_code, f"http-{exc.status_code}")
        detail = exc.detail if isinstance(exc.detail, Text) else None
        return render(Problem(exc.status_code, code, title, detail, headers=exc.headers or {}), request)

    @app.exception_handler(ServerSelectionTimeoutError)
    @app.exception_handler(ConnectionFailure)
    async def _db_down(request: Request, exc: Exception) -> Response:
        log.warning("database unavailable", error=str(exc)[:300])
        return render(UNAVAILABLE, request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return render(INTERNAL, request)
