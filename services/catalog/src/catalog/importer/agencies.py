"""Agency lists and government levels, shared by datasets A and B."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .text import caseless, clean, is_missing

# A comma starts a new agency only when the next part begins like an agency name; otherwise it is
# part of the name ("Sở Văn hóa, Thể thao và Du lịch", "Ủy ban nhân dân xã, phường, thị trấn").
_AGENCY_HEADS = (
    "Bộ",
    "Cục",
    "Tổng cục",
    "Chi cục",
    "Sở",
    "Ủy ban",
    "Uỷ ban",
    "UBND",
    "Công an",
    "Ngân hàng",
    "Phòng",
    "Thuế",
    "Văn phòng",
    "Chi nhánh",
    "Trung tâm",
    "Cơ quan",
    "Chủ tịch",
    "Ban",
    "Vụ",
    "Bảo hiểm",
    "Tòa án",
    "Toà án",
    "Viện",
    "Hội đồng",
    "Cảng vụ",
    "Kho bạc",
    "Hải quan",
    "Đại sứ quán",
    "Lãnh sự",
    "Tổ chức",
    "Bộ phận",
    "Học viện",
    "Trường",
    "Người đứng đầu",
    "Thủ trưởng",
    "Thủ tướng",
    "Chính phủ",
)
_COMMA_SPLIT = re.compile(r",\s*(?=(?:" + "|".join(re.escape(h) for h in _AGENCY_HEADS) + r")\b)")
_SEMI_SPLIT = re.compile(r"\s*[;\n]\s*")


def split_agencies(*texts: str | None) -> list[str]:
    """Agencies from one or more free-text fields: split on ";" (and commas before an agency name),
    stripped, de-duplicated case-insensitively; order kept, so the primary agency stays first."""
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        if is_missing(text):
            continue
        for part in _SEMI_SPLIT.split(clean(text)):
            for piece in _COMMA_SPLIT.split(part):
                name = clean(piece).strip(" .,-")
                if is_missing(name):
                    continue
                key = caseless(name)
                if key not in seen:
                    seen.add(key)
                    out.append(name)
    return out


LEVEL_ORDER = ("central", "city", "commune")

# The portal's "Cấp thực hiện". Districts were abolished on 2025-07-01; their procedures moved mostly
# to communes, so "Cấp huyện" maps to commune.
_CAP = {"cấp bộ": "central", "cấp tỉnh": "city", "cấp huyện": "commune", "cấp xã": "commune"}

_COMMUNE = re.compile(
    r"cấp xã|cấp huyện|huyện|quận|\bxã\b(?! hội)|phường|thị trấn|"
    # district offices, abolished in 2025; their procedures went mostly to communes
    r"^phòng (?:tư pháp|giáo dục|y tế|kinh tế|nội vụ|dân tộc|công thương|văn hóa|lao động|tài nguyên"
    r"|tài chính)",
    re.IGNORECASE,
)
_CITY = re.compile(r"^sở\b|\bsở\s|cấp tỉnh|\btỉnh\b|thành phố trực thuộc|^chi cục\b", re.IGNORECASE)
_CENTRAL = re.compile(
    r"^(?:bộ|cục|tổng cục|vụ)\b|\bbộ\s|chính phủ|thủ tướng|quốc gia|việt nam$|trung ương$", re.IGNORECASE
)


def sort_levels(levels: Iterable[str]) -> list[str]:
    found = set(levels)
    return [lv for lv in LEVEL_ORDER if lv in found]


def levels_from_cap(cap: str | None) -> list[str]:
    """ "Cấp bộ, Cấp tỉnh" → ["central", "city"]; "Cơ quan khác" is ignored."""
    return sort_levels(_CAP[p] for p in (caseless(x) for x in clean(cap).split(",")) if p in _CAP)


def level_of_agency(name: str) -> str | None:
    """Infer one agency's level from its name; the most local match wins."""
    if _COMMUNE.search(name):
        return "commune"
    if _CITY.search(name):
        return "city"
    if _CENTRAL.search(name):
        return "central"
    return None


def levels_from_agencies(agencies: Iterable[str]) -> list[str]:
    return sort_levels(lv for lv in (level_of_agency(a) for a in agencies) if lv)
