"""The problem+json answers in every service's OpenAPI document, written once.

FastAPI documents a route's success and, for a route with inputs, a 422 in its own JSON shape; our
errors are RFC 9457 ``application/problem+json`` (``dvckit.errors``). ``install`` corrects each document
the app generates:

- the 422 answer is a ``Problem`` (with ``errors``: the field paths) in ``application/problem+json``;
- a route that needs a token (``Depends(principal)``) documents 401; one that needs a role
  (``Depends(require(...))``) also 403;
- a route with a request body documents 413 (the gateway's body limit for the service, or the
  service's own, such as a file's).

- every route documents 429 (the gateway's rate limits cover every API route), 500 and 503 (the
  database unreachable): the answers any route may give;
- a list route (``dvckit.paging.Paging``) documents ``cursor``/``limit``, 400 ``bad-cursor`` and its
  ``Link`` header; a polled read (``dvckit.etag.Conditional``) documents ``ETag`` and 304.

What only a route knows (404, 409, ...) it declares with ``responses=problems(404, (409, "why"))``.
Every error answer is ``application/problem+json`` with the shared ``Problem`` schema, whose ``code`` is
the stable machine-readable reason an app branches on (``tests/static/test_api_document.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, routing

from .errors import PROBLEM_JSON
from .etag import ETAG_MARK
from .paging import PAGING_MARK

PROBLEM = "Problem"
PROBLEM_REF = {"$ref": f"#/components/schemas/{PROBLEM}"}
SCHEMAS: dict[str, Any] = {
    PROBLEM: {
        "title": PROBLEM,
        "description": "RFC 9457 problem details: a stable machine `code`, a human `detail` (Vietnamese, "
        "or English with `Accept-Language: en`); for invalid input, `errors` names each field.",
        "type": "object",
        "required": ["type", "title", "status", "code", "detail"],
        "properties": {
            "type": {"type": "string", "examples": ["urn:dvc:problem:validation-error"]},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "code": {"type": "string", "examples": ["validation-error"]},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "request_id": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemFieldError"}},
        },
        "additionalProperties": True,
    },
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "required": ["field", "message"],
        "properties": {
            "field": {"type": "string", "examples": ["body.citizen_id"]},
            "type": {"type": ["string", "null"]},
            "message": {"type": "string"},
        },
        "additionalProperties": True,
    },
}

DESCRIPTIONS = {
    400: "Yêu cầu không hợp lệ / bad request",
    401: "Chưa đăng nhập, hoặc token không hợp lệ, hết hạn / not signed in, or the token is invalid",
    403: "Không có quyền / the caller's role may not do this",
    404: "Không tìm thấy (hoặc không thuộc về người gọi) / not found (or not the caller's)",
    409: "Xung đột với trạng thái hiện tại / conflicts with the current state",
    412: "Phiên bản đã thay đổi (If-Match) / the version changed since it was read (If-Match)",
    413: "Dữ liệu gửi lên quá lớn / the request body is too large",
    415: "Kiểu dữ liệu không được hỗ trợ / unsupported media type",
    422: "Dữ liệu không hợp lệ / invalid input",
    429: "Quá nhiều yêu cầu / too many requests (Retry-After)",
    500: "Lỗi hệ thống / internal error (with the request id)",
    503: "Hệ thống tạm thời gián đoạn / temporarily unavailable (Retry-After)",
}
# What any route may answer: the gateway's rate limits, an unexpected error, the database unreachable.
EVERY_ROUTE = (429, 500, 503)
BAD_CURSOR = "Con trỏ phân trang không hợp lệ (code `bad-cursor`) / an invalid cursor (code `bad-cursor`)"
LINK_HEADER = {
    "description": 'RFC 8288: `<…?cursor=…>; rel="next"` while a next page exists',
    "schema": {"type": "string"},
}
ETAG_HEADERS = {
    "ETag": {
        "description": "Weak validator of this answer; send it back as `If-None-Match`",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "`private, no-cache`", "schema": {"type": "string"}},
}

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of the answer the client holds: 304 while it is still current",
    "schema": {"type": "string"},
}

# Marks on dvckit.auth's dependencies (set there): what a route that depends on them may answer.
AUTH_MARK = "__dvc_auth__"
_AUTH_ANSWERS = {"token": (401,), "optional-token": (401,), "role": (401, 403)}


def problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or DESCRIPTIONS.get(status, "Problem"),
        "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
    }


def problems(*answers: int | tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: ``problems(404, (409, "The dossier was submitted already"))``."""
    out: dict[int | str, dict[str, Any]] = {}
    for a in answers:
        status, description = a if isinstance(a, tuple) else (a, None)
        out[status] = problem_response(status, description)
    return out


def _auth_marks(dependant: Any) -> set[str]:
    marks: set[str] = set()
    stack = [dependant]
    while stack:
        d = stack.pop()
        if d.call is not None:
            mark = getattr(d.call, AUTH_MARK, None)
            if mark:
                marks.add(mark)
            for other in (PAGING_MARK, ETAG_MARK):
                if getattr(d.call, other, None):
                    marks.add(other)
        stack.extend(d.dependencies)
    return marks


def _success(answers: dict[str, Any]) -> dict[str, Any] | None:
    for key in ("200", "201"):
        if key in answers:
            return answers[key]
    return None


def _fix(doc: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    by_op = {}
    for r in routing.iter_route_contexts(list(routes)):  # included routers too, with their prefixes
        if isinstance(r.original_route, routing.APIRoute):
            for m in r.methods or ():
                by_op[(r.path_format, m.lower())] = r
    for path, ops in doc.get("paths", {}).items():
        for method, op in ops.items():
            answers = op.setdefault("responses", {})
            route = by_op.get((path, method))
            added: set[int] = set(EVERY_ROUTE)
            marks = _auth_marks(route.dependant) if route is not None else set()
            for mark in marks:
                added.update(_AUTH_ANSWERS.get(mark, ()))
            if "requestBody" in op:
                added.add(413)
            if "422" in answers:
                added.add(422)
            if PAGING_MARK in marks:
                answers.setdefault("400", problem_response(400, BAD_CURSOR))
                ok = _success(answers)
                if ok is not None:
                    ok.setdefault("headers", {})["Link"] = LINK_HEADER
            if ETAG_MARK in marks:
                answers["304"] = {
                    "description": "Không đổi (If-None-Match) / not modified",
                    "headers": ETAG_HEADERS,
                }
                ok = _success(answers)
                if ok is not None:
                    ok.setdefault("headers", {}).update(ETAG_HEADERS)
                params = op.setdefault("parameters", [])
                if not any(p.get("name") == "If-None-Match" for p in params):
                    params.append(IF_NONE_MATCH)
            for status in sorted(added):
                key = str(status)
                if key == "422" or key not in answers:
                    answers[key] = problem_response(status, None if key != "422" else DESCRIPTIONS[422])
            op["responses"] = dict(sorted(answers.items()))
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(SCHEMAS)
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 shapes, now replaced
        others = {k: v for k, v in schemas.items() if k != unused}
        if f"#/components/schemas/{unused}'" not in repr((doc.get("paths"), others)):
            schemas.pop(unused, None)
    doc["components"]["schemas"] = dict(sorted(schemas.items()))
    return doc


def install(app: FastAPI) -> None:
    """Make ``app.openapi()`` document problem+json answers (see the module's docstring)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _fix(generate(), app.routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
