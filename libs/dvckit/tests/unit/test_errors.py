from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import AfterValidator, BaseModel, ConfigDict
from pymongo.errors import ServerSelectionTimeoutError

from dvckit import errors
from dvckit.errors import Invalid, Problem, Text
from dvckit.http import RequestContext


def _even(v: int) -> int:
    if v % 2:
        raise Invalid("Phải là số chẵn", "Must be even")
    return v


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    n: Annotated[int, AfterValidator(_even)]


def app() -> FastAPI:
    a = FastAPI()
    errors.install(a)
    a.add_middleware(RequestContext)

    @a.post("/things")
    async def create(body: Body) -> dict:
        return {"n": body.n}

    @a.get("/conflict")
    async def conflict() -> dict:
        raise Problem(409, "already-done", Text("Đã thực hiện", "Already done"), extra={"current": 2})

    @a.get("/db")
    async def db() -> dict:
        raise ServerSelectionTimeoutError("no servers")

    @a.get("/boom")
    async def boom() -> dict:
        raise RuntimeError("secret internals")

    return a


client = TestClient(app(), raise_server_exceptions=False)


def test_validation_problem_lists_fields_in_vietnamese_by_default():
    r = client.post("/things", json={"n": 3, "extra": 1})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "validation-error"
    assert body["title"] == "Dữ liệu không hợp lệ"
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields == {"body.n": "Phải là số chẵn", "body.extra": "Trường này không được phép"}
    assert body["request_id"] == r.headers["x-request-id"]


def test_english_when_the_client_prefers_it():
    r = client.post("/things", json={"n": 3}, headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"})
    body = r.json()
    assert body["title"] == "Invalid input"
    assert body["errors"][0]["message"] == "Must be even"
    assert r.headers["content-language"] == "en"


def test_vietnamese_wins_when_preferred():
    r = client.get("/conflict", headers={"Accept-Language": "en;q=0.4, vi"})
    assert r.json()["title"] == "Đã thực hiện"


def test_problem_carries_code_and_extra_fields():
    r = client.get("/conflict")
    assert r.status_code == 409
    assert r.json()["current"] == 2 and r.json()["type"] == "urn:dvc:problem:already-done"


def test_database_down_is_503_with_retry_after():
    r = client.get("/db")
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.json()["code"] == "service-unavailable"


def test_unexpected_error_is_500_without_internals():
    r = client.get("/boom")
    assert r.status_code == 500
    assert b"secret internals" not in r.content
    assert r.json()["code"] == "internal-error"


def test_unknown_route_and_method_are_problems():
    assert client.get("/nowhere").json()["code"] == "not-found"
    assert client.delete("/things").json()["code"] == "method-not-allowed"


def test_malformed_json_is_a_validation_problem():
    r = client.post("/things", content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert orjson.loads(r.content)["errors"][0]["type"] == "json_invalid"


def test_request_id_is_kept_when_valid_and_replaced_when_not():
    assert client.get("/conflict", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    rid = client.get("/conflict", headers={"X-Request-ID": "bad id <script>"}).headers["x-request-id"]
    assert rid != "bad id <script>" and len(rid) == 32
