"""Mẫu số 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ (the refusal), for a dossier refused at reception
(status 3): the reasons, and who refused it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ...domain.papers import latest_with_status
from ...domain.status import Status
from .common import Doc, applicant_lines, base, document, e, para, procedure_lines, signatures, when

NUMBER = "03"
TITLE = "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"


def inputs(d: Doc) -> Doc:
    h = latest_with_status(d.get("history") or [], Status.REFUSED) or {}
    return base(d) | {
        "submitted_at": d.get("submitted_at"),
        "refused_at": h.get("at") or d.get("closed_at"),
        "reason": h.get("reason"),
        "note": h.get("note"),
        "refused_by": h.get("actor_name"),
    }


def render(v: Doc, zone: ZoneInfo, portal_url: str) -> bytes:
    agency = e(v["agency"]["name"])
    filed = f" nộp lúc {when(v['submitted_at'], zone)}" if v.get("submitted_at") else ""
    reasons = [r for r in (v.get("reason"), v.get("note")) if r]
    body = [
        para(f"Bộ phận Một cửa – {agency} đã nhận hồ sơ{filed}."),
        *applicant_lines(v, "Hồ sơ của:"),
        *procedure_lines(v),
        para(
            f"Qua xem xét, {agency} thông báo không tiếp nhận, giải quyết hồ sơ này "
            "với lý do cụ thể như sau:",
            space=2,
        ),
        *[para(f"- {e(r)}") for r in reasons or ["(không nêu)"]],
        para("Xin thông báo cho ông/bà được biết và thực hiện./."),
        Spacer(1, 6 * mm),
        signatures(None, ("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", v.get("refused_by"))),
    ]
    return document(NUMBER, TITLE, v, body, dated=v.get("refused_at"), zone=zone, portal_url=portal_url)
