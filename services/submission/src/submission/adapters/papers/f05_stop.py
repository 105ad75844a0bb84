"""Mẫu số 05: Thông báo dừng giải quyết hồ sơ (the stop notice), for a dossier whose processing was
stopped (status 8): the reason, and who stopped it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ...domain.papers import latest_with_status
from ...domain.status import Status
from .common import Doc, applicant_lines, base, document, e, para, procedure_lines, signatures, when

NUMBER = "05"
TITLE = "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"


def inputs(d: Doc) -> Doc:
    h = latest_with_status(d.get("history") or [], Status.STOPPED) or {}
    return base(d) | {
        "accepted_at": d.get("accepted_at"),
        "stopped_at": h.get("at") or d.get("closed_at"),
        "reason": h.get("reason"),
        "note": h.get("note"),
        "stopped_by": h.get("actor_name"),
    }


def render(v: Doc, zone: ZoneInfo, portal_url: str) -> bytes:
    agency = e(v["agency"]["name"])
    received = f" lúc {when(v['accepted_at'], zone)}" if v.get("accepted_at") else ""
    reasons = [r for r in (v.get("reason"), v.get("note")) if r]
    body = [
        para(f"{agency} đã tiếp nhận hồ sơ{received}."),
        *applicant_lines(v, "Hồ sơ của:"),
        *procedure_lines(v),
        para(f"{agency} thông báo dừng giải quyết hồ sơ của ông/bà với lý do như sau:", space=2),
        *[para(f"- {e(r)}") for r in reasons or ["(không nêu)"]],
        para("Xin thông báo để ông/bà được biết./."),
        Spacer(1, 6 * mm),
        signatures(None, ("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên và đóng dấu)", v.get("stopped_by"))),
    ]
    return document(NUMBER, TITLE, v, body, dated=v.get("stopped_at"), zone=zone, portal_url=portal_url)
