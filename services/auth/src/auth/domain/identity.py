"""Rules for Vietnamese identifiers: pure functions, no I/O."""

from __future__ import annotations

import re
import unicodedata

from dvckit.errors import Invalid

CITIZEN_ID = re.compile(r"^\d{12}$")
# Vietnamese mobile numbers: +84 or 0, then 9 digits starting with a mobile prefix (3, 5, 7, 8, 9).
PHONE = re.compile(r"^(?:\+84|84|0)([35789]\d{8})$")


def normalize_phone(raw: str) -> str:
    """``+84 912 345 678`` → ``0912345678``; raises Invalid when not a mobile."""
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


def clean_name(raw: str) -> str:
    """NFC, single spaces; a name needs at least one letter."""
    value = " ".join(unicodedata.normalize("NFC", raw).split())
    if not any(ch.isalpha() for ch in value):
        raise Invalid("Họ và tên không hợp lệ", "Invalid full name")
    return value
