"""The merged OpenAPI document the gateway serves (/api/openapi.json) is current, and agrees with the
gateway's public allow list (gateway/policy.toml)."""

from __future__ import annotations

import json
import re
import tomllib

from devstack import openapi
from devstack.config import ROOT

POLICY = tomllib.loads((ROOT / "gateway" / "policy.toml").read_text())


def test_merged_document_is_current() -> None:
    # After changing a service's API: `.venv/bin/python -m devstack.openapi`.
    assert (ROOT / openapi.OUT).read_text() == openapi.render(ROOT)


def test_every_public_pattern_still_matches_an_operation() -> None:
    doc = json.loads((ROOT / openapi.OUT).read_text())
    operations = [f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops]
    for pattern in POLICY["public"]:
        assert any(re.match(pattern, op) for op in operations), f"{pattern!r} matches no operation: stale?"


def test_only_the_allow_list_is_public() -> None:
    doc = json.loads((ROOT / openapi.OUT).read_text())
    public = {
        f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m, op in ops.items() if "security" not in op
    }
    assert "POST /api/v1/auth/login" in public and "GET /api/v1/catalog/procedures" in public
    assert "GET /api/v1/reporting/public/scorecard" in public  # no login: aggregates only (issue 21)
    assert "GET /api/v1/submissions/dossiers" not in public
    assert "POST /api/v1/catalog/procedures" not in public  # an administrator's, though under catalog
    # Writes that are public are only the ones a signed-out person needs.
    assert {op for op in public if not op.startswith("GET ")} == {
        "POST /api/v1/auth/register",
        "POST /api/v1/auth/register/confirm",
        "POST /api/v1/auth/login",
        # A staff member's second step, with the MFA ticket of the password step.
        "POST /api/v1/auth/login/mfa",
        "POST /api/v1/auth/mfa/totp",
        "POST /api/v1/auth/mfa/totp/verify",
        "POST /api/v1/auth/refresh",
        "POST /api/v1/auth/logout",
        "POST /api/v1/auth/password/forgot",
        "POST /api/v1/auth/password/reset",
        # The end of a sign-in with VNeID: a one-time ticket (and, to link an account, its password).
        "POST /api/v1/auth/oidc/vneid/token",
        "POST /api/v1/auth/oidc/vneid/link",
        # An app's token request (issue 23, D): the code and its PKCE verifier, or the app's refresh token.
        "POST /api/v1/auth/oauth/token",
        # Anyone holding a result document checks its signature (issue 19).
        "POST /api/v1/submissions/verify",
        # The payment provider's notification (IPN), checked by its signature (issue 20).
        "POST /api/v1/payments/providers/{provider}/ipn",
        # tus discovery: the protocol's capabilities, nothing of anyone's (issue 23, resumable uploads).
        "OPTIONS /api/v1/submissions/uploads",
    }


def test_schema_references_resolve() -> None:
    doc = json.loads((ROOT / openapi.OUT).read_text())
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(doc)))
    assert refs and refs <= set(doc["components"]["schemas"])


# -- the contract for apps (issue 23): one error shape, cursors on every list, ETags on polled reads ---------

DOC = json.loads((ROOT / openapi.OUT).read_text())
SCHEMAS = DOC["components"]["schemas"]
OPERATIONS = [(m.upper(), p, op) for p, ops in DOC["paths"].items() for m, op in ops.items()]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_every_operation_answers_a_success_and_every_error_as_a_problem_with_a_code() -> None:
    problem = SCHEMAS["Problem"]
    assert {"type", "title", "status", "code", "detail"} <= set(problem["required"])
    assert {"instance", "errors"} <= set(problem["properties"])
    bad = []
    for method, path, op in OPERATIONS:
        answers = op["responses"]
        # A success, or for the browser's sign-in steps (VNeID, an app's authorization) a redirect.
        if not any(k.startswith("2") for k in answers) and not {"302", "303"} & set(answers):
            bad.append(f"{method} {path}: no 2xx")
        # Any route may meet the gateway's rate limits, an unexpected error, or its database gone.
        missing = {"429", "500", "503"} - set(answers)
        if op.get("security"):
            missing |= {"401"} - set(answers)
        if missing:
            bad.append(f"{method} {path}: does not declare {sorted(missing)}")
        for status, answer in answers.items():
            if status[0] not in "45":
                continue
            content = answer.get("content") or {}
            if set(content) != {"application/problem+json"}:
                bad.append(f"{method} {path} {status}: {sorted(content)}")
            elif content["application/problem+json"]["schema"] != {"$ref": "#/components/schemas/Problem"}:
                bad.append(f"{method} {path} {status}: not the Problem schema")
    assert not bad, "\n".join(bad)


# Answers with `items` that are not lists of a collection to walk: documented here, each with why.
NOT_LISTS = {
    # One dossier's fee table: its lines, always whole.
    "GET /api/v1/submissions/dossiers/{dossier_id}/fees",
    # The whole published catalogue compactly, under one revision's ETag: a consumer copies one snapshot
    # (pages of it could mix two revisions).
    "GET /api/v1/catalog/procedures/summary",
    # Names suggested as one types: the first `limit` of a ranking (at most 20), not a list to page.
    "GET /api/v1/catalog/suggest",
}


def _list_operations() -> list[tuple[str, str, dict]]:
    found = []
    for method, path, op in OPERATIONS:
        if method != "GET":
            continue
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json")
        if ok and "items" in _resolve(ok["schema"]).get("properties", {}):
            found.append((method, path, op))
    return found


def test_every_list_takes_a_cursor_and_answers_the_next_one() -> None:
    lists = _list_operations()
    assert len(lists) >= 15  # dossiers, the officer's queue, notifications, users, the audit trail, ...
    bad = []
    for method, path, op in lists:
        label = f"{method} {path}"
        if label in NOT_LISTS:
            continue
        query = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
        if not {"cursor", "limit"} <= query:
            bad.append(f"{label}: no cursor/limit parameter")
        ok = op["responses"]["200"]
        if "next_cursor" not in _resolve(ok["content"]["application/json"]["schema"])["properties"]:
            bad.append(f"{label}: no next_cursor in its answer")
        if "Link" not in ok.get("headers", {}):
            bad.append(f"{label}: no Link header documented")
        if "400" not in op["responses"]:
            bad.append(f"{label}: no 400 (bad-cursor)")
    assert not bad, "\n".join(bad)
    assert NOT_LISTS <= {f"{m} {p}" for m, p, _ in lists}, "a NOT_LISTS entry is stale"


def test_the_agency_directory_pages_by_cursor_in_its_array_shape() -> None:
    # Reference lists answered as bare arrays keep that shape; the directory (hundreds of agencies) also
    # pages, the next page named by `Link` only.
    op = DOC["paths"]["/api/v1/catalog/agencies"]["get"]
    assert {"cursor", "limit"} <= {p["name"] for p in op["parameters"]}
    assert "Link" in op["responses"]["200"]["headers"] and "400" in op["responses"]


POLLED = {
    "GET /api/v1/submissions/dossiers/{dossier_id}",
    "GET /api/v1/submissions/dossiers",
    "GET /api/v1/notifications",
    "GET /api/v1/notifications/unread-count",
    "GET /api/v1/payments/orders/{order_id}",
    "GET /api/v1/auth/me",
}


def test_the_reads_apps_poll_answer_etags_and_304() -> None:
    ops = {f"{m} {p}": op for m, p, op in OPERATIONS}
    for label in POLLED:
        op = ops[label]
        assert "ETag" in op["responses"]["200"]["headers"], label
        assert "304" in op["responses"], label
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in op["parameters"]), label


def test_a_client_generator_finds_unique_names() -> None:
    # openapi-python-client names functions by operationId and classes by schema title.
    ids = [op["operationId"] for _, _, op in OPERATIONS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    titles = [s.get("title", name) for name, s in SCHEMAS.items()]
    assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
    assert not [n for n in SCHEMAS if "__" in n], "a schema named after its module: rename the class"
    assert "$defs" not in json.dumps(DOC["paths"]), "a local $defs left in an operation"
