"""Property-based fuzzing of every operation of every service, through the gateway, with schemathesis.

The merged OpenAPI document (gateway/apidocs/openapi.json, served at /api/openapi.json) drives it.
Each operation is called with valid and invalid inputs (schemathesis's examples, coverage and fuzzing
phases, positive and negative), once anonymously and once signed in as the principal the operation is
for (citizen, officer or administrator). Every answer must be no server error, and its status code,
content type, headers and body must be what the document says for that operation; every error answer is
problem+json with a ``code`` (``problem_with_a_code``). What is trimmed to
keep the run to a minute or two is said where it is (CONFIG, ANONYMOUS, CATALOG_CHANGE)."""

from __future__ import annotations

import itertools
import json
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devstack.config import ROOT

from .conftest import Who

DOCUMENT = ROOT / "gateway" / "apidocs" / "openapi.json"
# Examples per operation and phase. Signing-key rotation is the exception: each call adds a key to the
# set every service and gateway fetches (it takes effect for everyone), so once is enough to fuzz it.
ONCE = {"generation": {"max-examples": 1}, "phases": {"coverage": {"enabled": False}}}
CONFIG = {
    "generation": {"max-examples": 10},
    "operations": [{"include-name": "POST /api/v1/auth/keys/rotate", **ONCE}],
}
# Anonymous, an operation that needs a token is refused at the gateway before its input is looked at:
# a few examples show that refusal; every input the coverage phase would make gets the same answer.
PROTECTED = [
    f"{method.upper()} {path}"
    for path, ops in json.loads(DOCUMENT.read_text())["paths"].items()
    for method, op in ops.items()
    if op.get("security")
]
REFUSED = {"generation": {"max-examples": 3}, "phases": {"coverage": {"enabled": False}}}
ANONYMOUS = {**CONFIG, "operations": [{"include-name": PROTECTED, **REFUSED}]}


@schemathesis.serializer("application/offset+octet-stream")
def _offset_stream(ctx, value) -> bytes:
    """A tus PATCH body (issue 23, resumable uploads): the bytes as they are."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


schema = schemathesis.openapi.from_path(DOCUMENT, config=SchemathesisConfig.from_dict(CONFIG))
anonymous = schemathesis.openapi.from_path(DOCUMENT, config=SchemathesisConfig.from_dict(ANONYMOUS))


@schemathesis.check
def problem_with_a_code(ctx, response, case) -> bool | None:
    """Every error answer, whatever the document says of it, is problem+json with a stable ``code``
    (issue 23: the one error shape apps branch on). HEAD answers carry no body."""
    if response.status_code < 400 or case.method.upper() == "HEAD":
        return None
    ctype = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if ctype != "application/problem+json":
        raise AssertionError(f"{response.status_code} answered as {ctype!r}, not application/problem+json")
    body = json.loads(response.content)
    if not (isinstance(body, dict) and isinstance(body.get("code"), str) and body["code"]):
        raise AssertionError(f"{response.status_code} problem without a code: {response.content[:200]!r}")
    if body.get("status") != response.status_code:
        raise AssertionError(f"problem status {body.get('status')} on a {response.status_code} answer")
    return None


CHECKS = [
    problem_with_a_code,
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

# Which principal an operation is for, when signed in.
ADMIN_OPS = re.compile(
    r"^(\w+ /api/v1/auth/(users|keys|agencies/)|(POST|PUT|PATCH|DELETE) /api/v1/catalog/|PUT /api/v1/submissions/calendar/"
    r"|GET /api/v1/audit/(events|chains))"
)
OFFICER_OPS = re.compile(
    r"^\w+ /api/v1/submissions/(officer/|dossiers/\{dossier_id\}/actions/|agencies/\{code\}/register)"
)
_addresses = itertools.count(1)


# Ending sessions ends the caller's own: these get a citizen of their own, signed in anew for each case
# (the case may have ended the session before), so the fuzzer's token lives for the other operations.
SESSION_OPS = re.compile(r"^\w+ /api/v1/auth/sessions")
# Closing the account asks for the current password again: wrong ones count towards the account's and the
# address's lockout like failed sign-ins. A citizen of its own (signed in once: a lockout stops its sign-ins,
# not its token) from fresh addresses (CREDENTIAL_OPS), so the fuzzing locks out no other test's sign-in.
CLOSE_OPS = re.compile(r"^POST /api/v1/auth/me/close")


def principal_for(case, world):
    label = f"{case.method.upper()} {case.path}"
    if SESSION_OPS.match(label):
        p = world.fuzz_sessions.person
        tokens = world.login(p["citizen_id"], p["password"])
        return Who("sessions fuzzer", tokens["access_token"], world.fuzz_sessions.user_id, p)
    if CLOSE_OPS.match(label):
        return world.fuzz_closer
    if ADMIN_OPS.match(label):
        return world.admin
    if OFFICER_OPS.match(label):
        return world.officer_x
    return world.fuzzer


# The second step of a staff sign-in is one too: its ticket is the credential, wrong codes are counted.
# So is an app's token request (issue 23, D): its code and verifier, or its refresh token, are the credential.
CREDENTIAL_OPS = re.compile(
    r"^POST /api/v1/auth/(login|register|refresh|logout|password/|mfa/|me/close|oauth/token)"
)


# Operations that ask for the current password again (a contact or password change, closing, linking VNeID):
# a wrong one counts against the address like a failed sign-in. From fresh addresses too.
PROVING_OPS = re.compile(r"^(POST|PATCH|PUT) /api/v1/auth/(me|me/.*|oidc/.*)$")


def client(case) -> dict[str, str]:
    """Requests from the stack's own address (127.0.0.1) are not rate limited by the test stack's
    gateway. Credential operations are the exception: auth counts failed logins per client address,
    and fuzzing them from 127.0.0.1 would leave every later test's login throttled. They name a fresh
    address each (X-Forwarded-For, believed from 127.0.0.1), so neither the gateway's per-address
    limits nor auth's counters are tripped by the fuzzing."""
    label = f"{case.method.upper()} {case.path}"
    if not (CREDENTIAL_OPS.match(label) or PROVING_OPS.match(label)):
        return {}
    n = next(_addresses)
    return {"X-Forwarded-For": f"10.77.{n // 250 % 250}.{n % 250 + 1}"}


@pytest.fixture(scope="module")
def fuzz_world(world):
    world.fuzzer = world.citizen("fuzzer", "Đỗ Văn Thử")
    world.fuzz_sessions = world.citizen("sessions fuzzer", "Đỗ Thị Phiên")
    world.fuzz_closer = world.citizen("closing fuzzer", "Đỗ Văn Đóng")
    return world


# An accepted change to the catalogue rebuilds the search index of every procedure (seconds of CPU each):
# the administrator's changes carry a stale If-Match unless the case has one, so the fuzzer reaches the
# validation and the version check (412) without dozens of rebuilds. Accepted changes are the
# catalog's integration tests' business.
# The agency directory's changes too: a stale If-Match changes no agency other tests route dossiers to.
CATALOG_CHANGE = re.compile(r"^(PUT|POST|DELETE) /api/v1/catalog/(procedures|agencies)/\{code\}")
STALE = '"0.000000-v0"'
# The administrator's calendar changes move every deadline the stack computes after them: each carries an
# If-Match no year's version has (its own replaced), so the fuzzer reaches the validation and the 412.
CALENDAR_CHANGE = re.compile(r"^PUT /api/v1/submissions/calendar/")
# The search vocabulary's changes reach every search: the same stale If-Match, whatever the case's own.
VOCABULARY_CHANGE = re.compile(r"^(PUT|DELETE) /api/v1/catalog/vocabulary/")
CALENDAR_STALE = '"calendar-v999999"'


@anonymous.parametrize()
@FUZZ
def test_anonymous(case, stack):
    case.call_and_validate(base_url=stack.url, headers=client(case), checks=CHECKS, timeout=30)


# Public credential operations never read a token: signed in they are what test_anonymous fuzzes already.
@schema.exclude(
    path_regex=r"^/api/v1/auth/(login|login/mfa|mfa/totp|mfa/totp/verify|register|refresh|logout|password/(forgot|reset)|oauth/token)$"
).parametrize()
@FUZZ
def test_signed_in(case, stack, fuzz_world):
    who = principal_for(case, fuzz_world)
    given = {k.lower(): v for k, v in (case.headers or {}).items()}
    if CATALOG_CHANGE.match(f"{case.method.upper()} {case.path}") and not given.get("if-match"):
        # The document names it "if-match": replace the case's own (maybe empty) rather than send two.
        given["if-match"] = STALE
        case.headers = given
    if CALENDAR_CHANGE.match(f"{case.method.upper()} {case.path}"):
        given["if-match"] = CALENDAR_STALE
        case.headers = given
    if VOCABULARY_CHANGE.match(f"{case.method.upper()} {case.path}"):
        given["if-match"] = STALE
        case.headers = given
    case.call_and_validate(
        base_url=stack.url, headers={**client(case), **who.headers}, checks=CHECKS, timeout=30
    )
