"""Text normalisation shared by the parsers: Unicode NFC, whitespace, the "no information" marker."""

from __future__ import annotations

import re
import unicodedata

MISSING = "Không có thông tin"

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_HSPACE = re.compile(r"[^\S\n]+")
_SPACE = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def nfc(text: str | None) -> str:
    """NFC, without invisible characters; no whitespace change."""
    if not text:
        return ""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", text))


def clean(text: str | None) -> str:
    """One line: NFC, every run of whitespace (newlines too) becomes one space, stripped."""
    return _SPACE.sub(" ", nfc(text)).strip()


def clean_block(text: str | None) -> str:
    """Several lines: NFC, spaces collapsed within lines, lines stripped, empty lines dropped."""
    lines = (_HSPACE.sub(" ", line).strip() for line in nfc(text).replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def is_missing(text: str | None) -> bool:
    """Empty, or the portal's "Không có thông tin" filler (also "Không có thông tin." etc.)."""
    value = clean(text).rstrip(".").strip().casefold()
    return value in ("", MISSING.casefold(), "không có", "không")


def value(text: str | None) -> str | None:
    """``clean(text)``, or None when missing."""
    return None if is_missing(text) else clean(text)


def block(text: str | None) -> str | None:
    """``clean_block(text)``, or None when missing."""
    return None if is_missing(text) else clean_block(text)


def caseless(text: str) -> str:
    """The key two spellings of one name compare by: ``clean``, case-folded, diacritics kept ("Sở Tư
    pháp" and "Sở tư pháp" are one agency, "Bộ" and "Bỏ" are not; ``dvckit.vn.fold`` would merge them)."""
    return clean(text).casefold()
