"""Mẫu số 06: Phiếu kiểm soát quá trình giải quyết hồ sơ (the control slip that follows the dossier):
one row a hand-over, from the history lines of the one-stop workflow (those naming their ``action``), with
who gave and who received it (name and unit), when, the due time of the step the receiver began, and how
the receiver's step ended against it (trước hạn / đúng hạn / quá hạn: when they handed it on).

The first row is the filing: the applicant hands the dossier to the agency's one-stop desk, due to be
accepted or refused by the reception due time. A line written before the workflow named actions shows
only as what it says."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from ...domain.papers import timeliness
from .common import Doc, base, document, e, grid, para, party_name, procedure_lines, short

NUMBER = "06"
TITLE = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
ACTIONS = {
    "submit": "Nộp hồ sơ",
    "accept": "Tiếp nhận",
    "assign": "Phân công xử lý",
    "propose": "Đề xuất kết quả",
    "approve": "Phê duyệt",
    "send-back": "Trả lại để xử lý lại",
    "transfer": "Chuyển cơ quan khác",
    "consult": "Lấy ý kiến / liên thông",
    "answer": "Trả lời ý kiến",
    "apologise": "Xin lỗi, hẹn lại",
    "request-supplement": "Yêu cầu bổ sung",
    "request-payment": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "resubmit": "Nộp bổ sung",
    "start": "Bắt đầu xử lý",
    "return-result": "Trả kết quả",
    "refuse": "Từ chối tiếp nhận",
    "stop": "Dừng giải quyết",
    "withdraw": "Rút hồ sơ",
}
DESK = "Bộ phận Một cửa"


def _agency_names(d: Doc) -> dict[str, str]:
    """Every agency the dossier names (its own, those it moved between, those consulted): code → name."""
    refs = [d.get("agency") or {}]
    for t in d.get("transfers") or []:
        refs += [t.get("from_agency") or {}, t.get("to_agency") or {}]
    refs += [c.get("agency") or {} for c in d.get("consultations") or []]
    return {r["code"]: r.get("name") or r["code"] for r in refs if r.get("code")}


def inputs(d: Doc) -> Doc:
    names = _agency_names(d)
    own = (d.get("agency") or {}).get("name", "")
    applicant = party_name(base(d))
    rows: list[Doc] = []
    for h in d.get("history") or []:
        if h.get("change") is not None:
            continue
        action = h.get("action")
        if action is None and h.get("status") == "submitted" and h.get("actor_role") == "citizen":
            action = "submit"  # the filing, written before the workflow named actions
        elif action is None:
            continue
        unit = names.get(h.get("agency_code") or "", own)
        citizen = h.get("actor_role") == "citizen"
        first = action == "submit"
        rows.append(
            {
                "action": ACTIONS.get(action, action),
                "giver": h.get("actor_name") or (applicant if citizen else ""),
                "giver_unit": "Tổ chức, cá nhân" if citizen else unit,
                "receiver": h.get("to_name") or (DESK if first else ""),
                "receiver_unit": names.get(h.get("to_agency") or "", h.get("to_agency"))
                or (own if first or h.get("to_name") else ""),
                "at": h.get("at"),
                "due": h.get("due_at") or (d.get("reception_due_at") if first else None),
                "note": h.get("note") or h.get("reason"),
            }
        )
    for row, after in zip(rows, [*rows[1:], None], strict=True):
        row["done"] = after["at"] if after else None
    return base(d) | {
        "submitted_at": d.get("submitted_at"),
        "accepted_at": d.get("accepted_at"),
        "appointment_at": d.get("appointment_at"),
        "original_appointment_at": d.get("original_appointment_at"),
        "rows": rows,
    }


def render(v: Doc, zone: ZoneInfo, portal_url: str) -> bytes:
    table = [
        ("TT", "Giao / Nhận (người, đơn vị)", "Thời gian giao, nhận", "Hạn giải quyết", "Kết quả", "Ghi chú")
    ]
    for i, r in enumerate(v["rows"], start=1):
        result = timeliness(r.get("done"), r.get("due"), zone) or ""
        parties = (
            f"Giao: {e(r['giver'])}"
            + (f" – {e(r['giver_unit'])}" if r["giver_unit"] else "")
            + f"<br/>Nhận: {e(r['receiver'])}"
            + (f" – {e(r['receiver_unit'])}" if r["receiver_unit"] else "")
        )
        note = e(r["action"]) + (f": {e(r['note'])}" if r.get("note") else "")
        table.append((str(i), parties, short(r["at"], zone), short(r.get("due"), zone), result, note))
    appointment = v.get("appointment_at")
    original = v.get("original_appointment_at")
    body = [
        para(f"Kèm theo hồ sơ của: <b>{e(party_name(v))}</b>"),
        *procedure_lines(v),
        para(
            f"Cơ quan tiếp nhận: {e(v['agency']['name'])}. Nộp hồ sơ: {short(v.get('submitted_at'), zone)}"
            + (f". Tiếp nhận: {short(v.get('accepted_at'), zone)}" if v.get("accepted_at") else "")
        ),
        para(
            "Thời gian hẹn trả kết quả: "
            + (short(appointment, zone) if appointment else "chưa có")
            + (f" (theo quy định: {short(original, zone)})" if original and original != appointment else "")
        ),
        Spacer(1, 2 * mm),
        grid(table, [10, 60, 24, 24, 18, 34], 8),
    ]
    dated = v["rows"][-1]["at"] if v["rows"] else v.get("submitted_at")
    return document(NUMBER, TITLE, v, body, dated=dated, zone=zone, portal_url=portal_url)
