"""The auth service's collections and their indexes (created at start-up, before any transaction)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from ..domain.roles import held_roles

USERS = "users"
REFRESH_TOKENS = "refresh_tokens"
LOGIN_ATTEMPTS = "login_attempts"
THROTTLE = "login_throttle"
SIGNING_KEYS = "signing_keys"
CODES = "codes"  # one-time codes awaiting use: registrations, new contacts, password resets
CODE_REQUESTS = "code_requests"  # messages per destination and hour (the hourly limit), kept a day
OIDC_FLOWS = "oidc_flows"  # sign-ins through VNeID under way (adapters/handoffs.py)
LOGIN_TICKETS = "login_tickets"  # their outcomes, waiting for the portal to take them
MFA_TICKETS = "mfa_tickets"  # staff between their password and their second factor, by digest
ORGANISATIONS = "organisations"  # businesses and others, their members embedded
AGENCY_SETTINGS = "agency_settings"  # per agency (by its code): its default specialist
OAUTH_CODES = "oauth_codes"  # our apps' authorization codes, by digest (adapters/oauth.py)
# Sessions ended and accounts locked, each for an access token's lifetime: the public revocation list.
REVOCATIONS = "revocations"


def _unique_if_set(field: str) -> IndexModel:
    # Optional identifiers: unique among the accounts that have one.
    return IndexModel(
        [(field, ASCENDING)], unique=True, name=field, partialFilterExpression={field: {"$type": "string"}}
    )


def schema(attempt_log_days: int) -> dict[str, list[IndexModel]]:
    return {
        USERS: [
            _unique_if_set("citizen_id"),
            _unique_if_set("phone"),
            _unique_if_set("email"),
            _unique_if_set("username"),
            IndexModel([("roles", ASCENDING), ("created_at", DESCENDING)], name="roles_recent"),
            # An agency's staff (GET /agencies/{code}/staff) is one range of it: citizens have no agency,
            # and an agency has tens of staff. (No compound index with ``roles``: both are arrays, and
            # MongoDB indexes no two arrays of one document together.)
            IndexModel([("agencies", ASCENDING)], name="agencies"),
            # Where an external identity provider (VNeID over OpenID Connect) plugs in: see docs/auth.md.
            IndexModel(
                [("external_ids.provider", ASCENDING), ("external_ids.subject", ASCENDING)],
                unique=True,
                name="external_ids",
                partialFilterExpression={"external_ids.provider": {"$type": "string"}},
            ),
        ],
        REFRESH_TOKENS: [
            IndexModel([("family", ASCENDING)], name="family"),
            IndexModel([("user_id", ASCENDING)], name="user"),
            IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0),
            # A user's live tokens (the sessions list): rotated ones, kept until they expire, are skipped.
            IndexModel([("user_id", ASCENDING), ("used_at", ASCENDING)], name="user_live"),
        ],
        REVOCATIONS: [
            # Every replica of every service asks "what since t?" every ~20 s: one index range.
            IndexModel([("at", ASCENDING)], name="at"),
            IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0),
        ],
        LOGIN_ATTEMPTS: [
            IndexModel(
                [("at", ASCENDING)],
                name="retention",
                expireAfterSeconds=int(timedelta(days=attempt_log_days).total_seconds()),
            ),
            IndexModel([("user_id", ASCENDING), ("at", DESCENDING)], name="user_recent"),
        ],
        THROTTLE: [IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0)],
        SIGNING_KEYS: [IndexModel([("created_at", DESCENDING)], name="recent")],
        CODES: [
            IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=3600),
            IndexModel([("user_id", ASCENDING)], name="user", sparse=True),
        ],
        CODE_REQUESTS: [IndexModel([("at", ASCENDING)], name="retention", expireAfterSeconds=86400)],
        OIDC_FLOWS: [IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0)],
        LOGIN_TICKETS: [IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0)],
        MFA_TICKETS: [
            IndexModel([("expires_at", ASCENDING)], name="expiry", expireAfterSeconds=0),
            IndexModel([("user_id", ASCENDING)], name="user"),
        ],
        OAUTH_CODES: [IndexModel([("purge_at", ASCENDING)], name="expiry", expireAfterSeconds=0)],
        ORGANISATIONS: [
            # One organisation per tax code: nobody registers a company twice, or someone else's again.
            IndexModel([("tax_code", ASCENDING)], unique=True, name="tax_code"),
            IndexModel([("members.user_id", ASCENDING)], name="member"),
            IndexModel([("created_at", DESCENDING)], name="recent"),
        ],
    }


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """What an account looks like to its holder and to administrators (never the password hash)."""
    return {
        "id": doc["_id"],
        "full_name": doc["full_name"],
        "username": doc.get("username"),
        "citizen_id": doc.get("citizen_id"),
        "phone": doc.get("phone"),
        "email": doc.get("email"),
        "roles": held_roles(doc.get("roles", [])),
        "agencies": doc.get("agencies", []),
        "locked": doc.get("locked", False),
        "mfa_enrolled": bool(doc.get("mfa")),
        "created_at": doc["created_at"],
        "identity_level": doc.get("identity_level", 0),
        "identity": doc.get("identity"),
    }
