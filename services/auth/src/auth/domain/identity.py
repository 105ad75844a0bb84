"""Rules for Vietnamese identifiers and login names: pure functions, no I/O."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from dvckit.errors import Invalid

CITIZEN_ID = re.compile(r"^\d{12}$")
# Vietnamese mobile numbers: +84 or 0, then 9 digits starting with a mobile prefix (3, 5, 7, 8, 9).
PHONE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")
# A username starts with a letter; it may be shaped like an email (``admin@sotp.haiphong.gov.vn``).
USERNAME = re.compile(r"^(?=.{3,80}$)[a-z][a-z0-9._-]*(?:@[a-z0-9-]+(?:\.[a-z0-9-]+)*)?$")

LoginField = Literal["citizen_id", "phone", "email", "username"]


def normalize_phone(raw: str) -> str:
    """``+84 912 345 678`` → ``0912345678``; raises :class:`Invalid` when not a Vietnamese mobile."""
    compact = re.sub(r"[\s.\-()]", "", raw)
    m = PHONE.match(compact)
    if not m:
        raise Invalid("Số điện thoại di động không hợp lệ", "Invalid Vietnamese mobile number")
    return "0" + m.group(1)


def check_citizen_id(raw: str) -> str:
    value = raw.strip()
    if not CITIZEN_ID.match(value):
        raise Invalid("Số định danh cá nhân phải gồm 12 chữ số", "A citizen ID has 12 digits")
    return value


def check_username(raw: str) -> str:
    value = raw.strip().lower()
    if not USERNAME.match(value):
        raise Invalid(
            "Tên đăng nhập gồm 3–80 chữ cái không dấu, số, dấu chấm, gạch, có thể có dạng email",
            "A username has 3-80 letters, digits, dots, dashes or underscores, or looks like an email",
        )
    return value


def clean_name(raw: str) -> str:
    """NFC, single spaces; a name needs at least one letter."""
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    if not any(ch.isalpha() for ch in value):
        raise Invalid("Họ và tên không hợp lệ", "Invalid full name")
    return value


def classify_login(raw: str) -> tuple[LoginField, str]:
    """The account field a login name most likely refers to, and its normalised value: the first of
    :func:`login_fields`."""
    return login_fields(raw)[0]


def login_fields(raw: str) -> list[tuple[LoginField, str]]:
    """Every account field a login name may refer to, most likely first, each with its normalised value.

    Citizens sign in with their citizen ID, phone number or email; officers and administrators may also
    have a username, which may be shaped like an email (``admin@sotp.haiphong.gov.vn``): a name with
    "@" is looked for as an email, then as a username."""
    value = unicodedata.normalize("NFC", raw).strip()
    if "@" in value:
        return [("email", value.lower()), ("username", value.lower())]
    if CITIZEN_ID.match(value):
        return [("citizen_id", value)]
    try:
        return [("phone", normalize_phone(value))]
    except Invalid:
        return [("username", value.lower())]


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def login_name(raw: str) -> tuple[LoginField, str]:
    """A login name an account is given (the first administrator's, from the environment): stored in
    the field :func:`classify_login` will look in when it is typed at sign-in, so the two always agree
    (``admin@example.vn`` is an email, ``0912345678`` a phone). Raises :class:`Invalid` for a name that
    could never be typed back (``a b``, ``@``)."""
    field, value = classify_login(raw)
    if field == "username":
        check_username(value)
    elif field == "email" and not EMAIL.match(value):
        raise Invalid("Địa chỉ email không hợp lệ", "Invalid email address")
    return field, value


def login_key(field: str, value: str) -> str:
    """A stable, non-reversible key for a login name (logs and counters never hold the name itself)."""
    return hashlib.sha256(f"{field}:{value}".encode()).hexdigest()[:32]


def account_key(user: dict[str, Any] | None, field: str, value: str) -> str:
    """What a failed sign-in counts against: the account when one has this name, else the name."""
    return f"user:{user['_id']}" if user is not None else login_key(field, value)


@dataclass(frozen=True)
class UserQuery:
    """What an administrator looks for among the accounts (every filter given must match)."""

    role: str | None = None
    agency: str | None = None
    locked: bool | None = None
    q: str | None = None  # the start of a name, username, email, phone or citizen ID
