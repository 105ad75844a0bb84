"""Who VNeID says a person is: the claims of a verified ID token read into an identity, and how sure it
is (pure functions, no I/O).

Identity assurance, recorded on every account (``identity_level``):

- 0, self-declared: registered on the portal with a typed citizen ID, confirmed only by a code to a phone;
- 1, VNeID level 1: an electronic identity registered online (photo of the chip card, face);
- 2, VNeID level 2: an electronic identity issued in person by the police (Decree 69/2024/NĐ-CP).

Which claim holds what is configuration (``Settings.vneid_claims``): the national identity platform's
names are not public, so production sets them, and the development provider (devstack.idp) uses the
defaults below.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from dvckit.errors import Invalid

from .identity import CITIZEN_ID, normalize_phone

SELF_DECLARED, VNEID_1, VNEID_2 = 0, 1, 2
LEVELS = {SELF_DECLARED: "self_declared", VNEID_1: "vneid_level_1", VNEID_2: "vneid_level_2"}

# Claim names (OpenID Connect's standard ones where one exists).
DEFAULT_CLAIMS = {
    "citizen_id": "citizen_id",
    "full_name": "name",
    "birth_date": "birthdate",
    "address": "address",
    "phone": "phone_number",
    "level": "acr",
}
# acr values and the level they stand for.
DEFAULT_LEVELS = {"vneid:level1": VNEID_1, "vneid:level2": VNEID_2, "1": VNEID_1, "2": VNEID_2}


@dataclass(frozen=True)
class VerifiedIdentity:
    subject: str  # the provider's stable id of the person (``sub``)
    citizen_id: str
    full_name: str
    level: int
    birth_date: date | None = None
    address: str | None = None
    phone: str | None = None  # national mobile form, when the provider gave a Vietnamese mobile


class NotAnIdentity(ValueError):
    """The claims do not describe a person this service can take (no citizen ID, no name)."""


def read_identity(
    claims: dict[str, Any],
    names: dict[str, str] | None = None,
    levels: dict[str, int] | None = None,
) -> VerifiedIdentity:
    """The identity in a verified ID token's (or userinfo's) ``claims``. A level the provider does not
    state is level 1: the provider vouches for the person, without saying more."""
    n = {**DEFAULT_CLAIMS, **(names or {})}
    lv = levels or DEFAULT_LEVELS
    citizen_id = str(claims.get(n["citizen_id"]) or "").strip()
    if not CITIZEN_ID.match(citizen_id):
        raise NotAnIdentity("no 12-digit citizen ID")
    full_name = " ".join(unicodedata.normalize("NFC", str(claims.get(n["full_name"]) or "")).split())
    if not any(ch.isalpha() for ch in full_name):
        raise NotAnIdentity("no name")
    subject = str(claims.get("sub") or "")
    if not subject:
        raise NotAnIdentity("no subject")
    level = lv.get(str(claims.get(n["level"]) or ""), VNEID_1)
    return VerifiedIdentity(
        subject=subject,
        citizen_id=citizen_id,
        full_name=full_name,
        level=level,
        birth_date=_date(claims.get(n["birth_date"])),
        address=_address(claims.get(n["address"])),
        phone=_phone(claims.get(n["phone"])),
    )


def _date(raw: Any) -> date | None:
    try:
        return date.fromisoformat(str(raw)) if raw else None
    except ValueError:
        return None


def _address(raw: Any) -> str | None:
    # OpenID Connect's address claim is an object with "formatted"; a plain string is taken as it is.
    text = raw.get("formatted") if isinstance(raw, dict) else raw
    text = " ".join(unicodedata.normalize("NFC", str(text or "")).split())
    return text[:300] or None


def _phone(raw: Any) -> str | None:
    try:
        return normalize_phone(str(raw)) if raw else None
    except Invalid:
        return None
