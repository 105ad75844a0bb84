"""Mẫu số 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (the supplement or completion request), at reception
or during processing: the latest request's items and reason, who asked and when, where to hand the
supplement in. The clock stands still until it is handed in."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ...domain.papers import latest_supplement
from .common import PORTAL, Doc, applicant_lines, base, document, e, para, procedure_lines, signatures, when

NUMBER = "02"
TITLE = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"


def inputs(d: Doc) -> Doc:
    h = latest_supplement(d.get("history") or []) or {}
    components = {c["id"]: c["name"] for c in (d.get("procedure") or {}).get("components") or []}
    return base(d) | {
        "asked_at": h.get("at"),
        # A request made before the dossier was accepted is the completion request at reception.
        "at_reception": bool(d.get("accepted_at") is None or (h.get("at") and h["at"] < d["accepted_at"])),
        "items": list(h.get("items") or d.get("supplement_items") or []),
        "components": [components.get(c, c) for c in h.get("components") or []],
        "reason": h.get("reason"),
        "note": h.get("note"),
        "asked_by": h.get("actor_name"),
    }


def render(v: Doc, zone: ZoneInfo, portal_url: str) -> bytes:
    agency = e(v["agency"]["name"])
    items = [para(f"{i}. {e(item)}") for i, item in enumerate(v["items"], start=1)] or [para("(không nêu)")]
    reason = v.get("reason") or v.get("note")
    body = [
        *applicant_lines(v, "Hồ sơ của:"),
        *procedure_lines(v),
        para(
            f"Qua xem xét hồ sơ, {agency} yêu cầu "
            + ("hoàn thiện" if v.get("at_reception") else "bổ sung")
            + " hồ sơ gồm những nội dung sau:",
            space=2,
        ),
        *items,
    ]
    if v.get("components"):
        body.append(para("Thành phần hồ sơ cần nộp lại: " + "; ".join(e(c) for c in v["components"])))
    body += [
        para(f"Lý do: {e(reason) if reason else '(không nêu)'}"),
        para(
            "Người yêu cầu: "
            + (f"<b>{e(v['asked_by'])}</b>, " if v.get("asked_by") else "")
            + agency
            + (f", lúc {when(v['asked_at'], zone)}" if v.get("asked_at") else "")
            + "."
        ),
        para(
            f"Nơi nộp hồ sơ bổ sung, hoàn thiện: trực tuyến trên {PORTAL} ({e(portal_url)}, mục “Hồ sơ của "
            f"tôi”), hoặc tại Bộ phận Một cửa – {agency}. Thời gian bổ sung, hoàn thiện hồ sơ không tính "
            "vào thời hạn giải quyết."
        ),
        para(
            "Trong quá trình bổ sung, hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ Bộ phận Một cửa – "
            f"{agency} để được hướng dẫn."
        ),
        Spacer(1, 6 * mm),
        signatures(None, ("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", v.get("asked_by"))),
    ]
    return document(NUMBER, TITLE, v, body, dated=v.get("asked_at"), zone=zone, portal_url=portal_url)
