"""The official papers of a dossier (Circular 03/2025/TT-VPCP, Phụ lục I): their numbers and titles, when
each exists for a dossier, and how a step's time compares with its due time. Pure: no I/O.

The papers are drawn from what the dossier records (adapters/papers); nothing of them is stored."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dvckit.vn import ZONE

from .model import Dossier, HistoryEntry
from .status import Status


@dataclass(frozen=True)
class Paper:
    number: str  # "01".."07", as the Circular numbers its forms
    title: str  # the title the form prints, upper case
    slug: str  # its file name's word (ASCII)
    exists: Callable[[Dossier], bool]


def _supplement(h: HistoryEntry | Mapping[str, Any]) -> bool:
    """A supplement or completion request: the one-stop workflow names the action; a line written before
    it did says the status it moved the dossier to."""
    get = h.get if isinstance(h, Mapping) else lambda k: getattr(h, k)
    if get("change") is not None:
        return False
    return get("action") == "request-supplement" or (
        get("action") is None and get("status") == Status.SUPPLEMENT_REQUESTED.value
    )


def latest_supplement(history: Iterable[Any]) -> Any | None:
    """The latest supplement/completion request of a history (entries or their documents), or None."""
    return next((h for h in reversed(list(history)) if _supplement(h)), None)


def latest_with_status(history: Iterable[Any], status: Status) -> Any | None:
    """The latest line that moved the dossier to ``status`` (a refusal, a stop), or None."""
    for h in reversed(list(history)):
        get = h.get if isinstance(h, Mapping) else lambda k, h=h: getattr(h, k)
        if get("status") == status.value and get("change") is None:
            return h
    return None


PAPERS: dict[str, Paper] = {
    p.number: p
    for p in (
        Paper("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "giay-tiep-nhan", lambda d: d.receipt_ready),
        Paper(
            "02",
            "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
            "yeu-cau-bo-sung",
            lambda d: latest_supplement(d.history) is not None,
        ),
        Paper(
            "03",
            "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
            "tu-choi",
            lambda d: d.status == Status.REFUSED,
        ),
        Paper(
            "04",
            "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT",
            "xin-loi",
            lambda d: bool(d.apologies),
        ),
        Paper(
            "05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", "dung-giai-quyet", lambda d: d.status == Status.STOPPED
        ),
        Paper(
            "06",
            "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
            "phieu-kiem-soat",
            lambda d: d.submitted_at is not None and d.status != Status.DRAFT,
        ),
    )
}
# Form 07, the register of dossiers, is an agency's spreadsheet over a period, not a dossier's paper.
REGISTER = ("07", "SỔ THEO DÕI HỒ SƠ")

EARLY, ON_TIME, LATE = "Trước hạn", "Đúng hạn", "Quá hạn"


def timeliness(at: datetime | None, due: datetime | None, zone: ZoneInfo = ZONE) -> str | None:
    """How a step done at ``at`` compares with its ``due`` time: before the due day (trước hạn), on the
    due day by the due time (đúng hạn), after it (quá hạn); None when either is unknown."""
    if at is None or due is None:
        return None
    if at > due:
        return LATE
    return EARLY if at.astimezone(zone).date() < due.astimezone(zone).date() else ON_TIME
