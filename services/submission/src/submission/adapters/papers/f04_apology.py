"""Mẫu số 04: Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (the apology), for a dossier that
would miss its appointment: the reason of the delay, the old and the new appointment (the latest
apology)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from .common import Doc, base, document, e, para, party_name, procedure_lines, signatures, when

NUMBER = "04"
TITLE = "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"


def inputs(d: Doc) -> Doc:
    a = (d.get("apologies") or [{}])[-1]
    return base(d) | {
        "accepted_at": d.get("accepted_at"),
        "apologised_at": a.get("at"),
        "reason": a.get("reason"),
        "old": a.get("old_appointment_at"),
        "new": a.get("new_appointment_at"),
        "by": (a.get("by") or {}).get("name"),
    }


def render(v: Doc, zone: ZoneInfo, portal_url: str) -> bytes:
    agency = e(v["agency"]["name"])
    name = e(party_name(v))
    received = f" lúc {when(v['accepted_at'], zone)}" if v.get("accepted_at") else ""
    old = when(v["old"], zone) if v.get("old") else "(không rõ)"
    new = when(v["new"], zone) if v.get("new") else "(không rõ)"
    body = [
        para(f"Kính gửi: Ông/Bà <b>{name}</b>"),
        para(f"{agency} đã tiếp nhận hồ sơ của ông/bà{received}, mã hồ sơ {e(v.get('code'))}."),
        *procedure_lines(v),
        para(f"Thời gian hẹn trả kết quả giải quyết hồ sơ: <b>{old}</b>."),
        para(
            f"Tuy nhiên, đến nay {agency} chưa trả được kết quả giải quyết hồ sơ của ông/bà đúng hẹn. "
            f"Lý do: {e(v.get('reason')) or '(không nêu)'}."
        ),
        para(
            f"Sự chậm trễ này đã gây phiền hà cho ông/bà. {agency} xin lỗi ông/bà và đề nghị gia hạn thời "
            f"gian giải quyết; thời gian hẹn trả kết quả mới: <b>{new}</b>."
        ),
        para("Xin trân trọng cảm ơn sự hợp tác của ông/bà./."),
        Spacer(1, 6 * mm),
        signatures(
            para(f"<b>Nơi nhận:</b><br/>- Ông/Bà {name};<br/>- Lưu: hồ sơ điện tử.", 9),
            ("THỦ TRƯỞNG CƠ QUAN", "(Ký, ghi rõ họ tên và đóng dấu)", v.get("by")),
        ),
    ]
    return document(NUMBER, TITLE, v, body, dated=v.get("apologised_at"), zone=zone, portal_url=portal_url)
