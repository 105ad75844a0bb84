"""One OpenAPI document for client developers, merged from the services' own.

``python -m devstack.openapi`` rewrites ``gateway/apidocs/openapi.json``, which the gateway serves at
``/api/openapi.json`` and Swagger UI browses at ``/api/docs``; a test fails while it is stale. The
services' documents come from their FastAPI apps, built in-process without connecting to anything.
Operations not on the gateway's public allow list (``gateway/policy.toml``) are marked as needing a
bearer token, as the gateway enforces.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from dvckit import apidoc

from .config import ROOT, SERVICES

OUT = Path("gateway/apidocs/openapi.json")
TITLE = "Dịch vụ công trực tuyến Hải Phòng — API"
DESCRIPTION = (
    "Một tài liệu cho mọi dịch vụ sau cổng `/api/v1`. Lỗi trả về theo RFC 9457 (application/problem+json), "
    "nội dung tiếng Việt trước, tiếng Anh sau.\n\n"
    "One document for every service behind `/api/v1`. Errors are RFC 9457 problem+json, Vietnamese first. "
    "Sign in with `POST /api/v1/auth/login` and send the access token as `Authorization: Bearer <token>`; "
    "officers and administrators get an MFA ticket instead, for their TOTP code "
    "(`POST /api/v1/auth/login/mfa`, or the enrolment `POST /api/v1/auth/mfa/totp` on their first sign-in)."
)
OPERATOR_PATHS = ("/healthz", "/readyz", "/metrics")


def service_document(name: str) -> dict[str, Any]:
    app = importlib.import_module(f"{name}.main").create_app()
    return app.openapi()


def _public(root: Path) -> list[re.Pattern[str]]:
    doc = tomllib.loads((root / "gateway" / "policy.toml").read_text())
    return [re.compile("^" + p) for p in doc["public"]]


def _rename_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/components/schemas/"):
                name = v.rsplit("/", 1)[1]
                v = f"#/components/schemas/{renames.get(name, name)}"
            out[k] = _rename_refs(v, renames)
        return out
    if isinstance(node, list):
        return [_rename_refs(v, renames) for v in node]
    return node


def _hoist_defs(node: Any, into: dict[str, Any]) -> Any:
    """Move the JSON Schema ``$defs`` a route's hand-written schema carries (pydantic's
    ``model_json_schema()`` in ``openapi_extra``) into the components, with their references: a client
    generator resolves ``#/components/schemas/…`` only."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$defs" and isinstance(v, dict):
                for name, schema in v.items():
                    into.setdefault(name, _hoist_defs(schema, into))
                continue
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                v = "#/components/schemas/" + v.rsplit("/", 1)[1]
            out[k] = _hoist_defs(v, into)
        return out
    if isinstance(node, list):
        return [_hoist_defs(v, into) for v in node]
    return node


def merge(docs: dict[str, dict[str, Any]], public: list[re.Pattern[str]]) -> dict[str, Any]:
    """Merge the services' documents; a schema name two services use for different shapes is kept
    apart by prefixing the later one with its service (``Submission_Applicant``)."""
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    tags: list[dict[str, Any]] = []
    for service, doc in docs.items():
        doc = copy.deepcopy(doc)
        hoisted: dict[str, Any] = {}
        doc["paths"] = _hoist_defs(doc["paths"], hoisted)
        own = doc.setdefault("components", {}).setdefault("schemas", {})
        for name, schema in hoisted.items():
            own.setdefault(name, schema)
        renames = {
            name: f"{service.capitalize()}_{name}"
            for name, schema in own.items()
            if name in schemas and schemas[name] != _rename_refs(schema, {})
        }
        doc = _rename_refs(doc, renames)
        for name, schema in doc.get("components", {}).get("schemas", {}).items():
            final = renames.get(name, name)
            if final != name and "title" in schema:
                schema["title"] = final  # generators name their classes by the title: keep them apart
            schemas[final] = schema
        for path, ops in doc["paths"].items():
            if path in OPERATOR_PATHS:
                continue
            for method, op in ops.items():
                op["tags"] = [f"{service} · {t}" for t in op.get("tags") or ["other"]]
                if not any(p.match(f"{method.upper()} {path}") for p in public):
                    op["security"] = [{"bearer": []}]
                    # The gateway refuses a missing or bad token before the service sees it.
                    if "401" not in op["responses"]:
                        op["responses"]["401"] = apidoc.problem_response(401)
                        op["responses"] = dict(sorted(op["responses"].items()))
                for t in op["tags"]:
                    if t not in [x["name"] for x in tags]:
                        tags.append({"name": t})
            paths[path] = ops
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "1", "description": DESCRIPTION},
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def build(root: Path = ROOT) -> dict[str, Any]:
    return merge({s.name: service_document(s.name) for s in SERVICES}, _public(root))


def render(root: Path = ROOT) -> str:
    return json.dumps(build(root), ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def main() -> None:
    path = ROOT / OUT
    path.write_text(render(ROOT))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
