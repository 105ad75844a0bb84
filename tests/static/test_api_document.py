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
