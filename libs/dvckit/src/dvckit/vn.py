"""Vietnamese text, money and time written once: pure functions every service (domain included) uses."""

from __future__ import annotations

import unicodedata
from zoneinfo import ZoneInfo

# Vietnam keeps one zone, without daylight saving. Services read their zone from settings
# (``ServiceSettings.timezone``); this is its default and the zone of rules fixed by law (working days).
TIMEZONE = "Asia/Ho_Chi_Minh"
ZONE = ZoneInfo(TIMEZONE)


def unaccented(text: str) -> str:
    """Without diacritics, case kept: ``Đăng ký`` → ``Dang ky`` (SMS text, ASCII file names)."""
    t = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return unicodedata.normalize("NFC", "".join(ch for ch in t if unicodedata.category(ch) != "Mn"))


def fold(text: str) -> str:
    """The comparison key of a Vietnamese name: lower case, no diacritics, single spaces
    (``Ủy ban  nhân dân`` and ``uy ban nhan dan`` compare equal)."""
    return " ".join(unaccented(text).casefold().split())


def vnd(amount: int, unit: str = "đ") -> str:
    """Money as Vietnamese write it, dots between thousands: ``vnd(1250000)`` → ``1.250.000 đ``;
    ``unit="đồng"`` in documents written out in full (receipts)."""
    return f"{amount:,}".replace(",", ".") + f" {unit}"
