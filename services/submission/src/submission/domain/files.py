"""Attachment rules: display names, the real type of a file from its bytes. Pure."""

from __future__ import annotations

import unicodedata

import filetype

from dvckit.errors import Invalid

# Component file types (as the catalogue names them) → the types filetype may detect for them.
KINDS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "jpg": frozenset({"jpg"}),
    "jpeg": frozenset({"jpg"}),
    "png": frozenset({"png"}),
    "docx": frozenset({"docx"}),
    "xlsx": frozenset({"xlsx"}),
    "doc": frozenset({"doc"}),
    "xls": frozenset({"xls"}),
}
MIME = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
}
SNIFF_BYTES = 8192


def display_name(raw: str | None) -> str:
    """The original file name, kept for display (NFC); refused if it carries a path or control
    characters (it is never used to store the file)."""
    if raw is None or not raw.strip():
        raise Invalid("Tên tệp trống", "The file has no name")
    name = unicodedata.normalize("NFC", raw.strip())
    if "/" in name or "\\" in name or name in (".", ".."):
        raise Invalid("Tên tệp không được chứa đường dẫn", "A file name must not contain a path")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise Invalid("Tên tệp chứa ký tự điều khiển", "The file name contains control characters")
    if len(name) > 200:
        raise Invalid("Tên tệp quá dài", "The file name is too long")
    return name


def detect(head: bytes) -> str | None:
    """The file's real type from its first bytes ("pdf", "jpg", "docx"…), or None if unknown."""
    kind = filetype.guess(head)
    return kind.extension if kind else None


def accepted(detected: str | None, allowed: list[str]) -> bool:
    """Whether a file of the ``detected`` type may be attached where the catalogue allows ``allowed``
    (written as the catalogue has them: any case, with or without a leading dot)."""
    if detected is None:
        return False
    types = (a.lower().lstrip(".") for a in allowed)
    return any(detected in KINDS.get(t, frozenset({t})) for t in types)
