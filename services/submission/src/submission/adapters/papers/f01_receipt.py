"""Mẫu số 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (the receipt and appointment slip), once the dossier
was accepted: who filed what, the components received, fees, when it was received and when the result is
due."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from dvckit.vn import vnd

from ...domain.dossier import fee_table
from .common import (
    PORTAL,
    Doc,
    applicant_lines,
    document,
    e,
    grid,
    para,
    party_name,
    procedure_lines,
    signatures,
    when,
)

NUMBER = "01"
TITLE = "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
# What the receipt reads of a dossier: all that goes to a worker, and what the cache key digests.
FIELDS = ("_id", "code", "agency", "procedure", "applicant", "accepted_at", "appointment_at")


def inputs(d: Doc) -> Doc:
    return {k: d.get(k) for k in FIELDS} | {
        "accepted_by_name": d.get("accepted_by_name"),
        "attachments": [{"component_id": a["component_id"]} for a in d.get("attachments", [])],
    }


def _components(v: Doc) -> Flowable:
    """The components received: those with at least one file, their number of files."""
    counts = Counter(a["component_id"] for a in v.get("attachments") or [])
    rows = [("TT", "Tên giấy tờ", "Số tệp", "Bản chính / bản sao")]
    filed = (c for c in v["procedure"].get("components") or [] if counts.get(c["id"]))
    for i, c in enumerate(filed, start=1):
        rows.append(
            (str(i), e(c["name"]), str(counts[c["id"]]), f"{c.get('originals', 0)} / {c.get('copies', 0)}")
        )
    return grid(rows, [10, 105, 18, 37], 9.5)


def _times(v: Doc, zone: ZoneInfo) -> list[Flowable]:
    fees = fee_table(v["procedure"])
    items = fees["items"]
    assert isinstance(items, list)
    fee_lines = "; ".join(f"{e(f['name'])}: {vnd(f['amount'], unit='đồng')}" for f in items) or "Không"
    total = fees["total"]
    assert isinstance(total, int)
    out = [
        para(f"Phí, lệ phí: {fee_lines}. Tổng cộng: <b>{vnd(total, unit='đồng')}</b>"),
        para(f"Thời gian tiếp nhận hồ sơ: {when(v['accepted_at'], zone)}"),
    ]
    if v.get("appointment_at"):
        out.append(
            para(f"Thời gian trả kết quả giải quyết hồ sơ: <b>{when(v['appointment_at'], zone)}</b>", 11)
        )
    return out


def render(v: Doc, zone: ZoneInfo, portal_url: str) -> bytes:
    agency = v["agency"]["name"]
    body = [
        para(f"{e(agency)} đã tiếp nhận hồ sơ của: <b>{e(party_name(v))}</b>"),
        *applicant_lines(v, "Tổ chức, cá nhân:")[1:],
        *procedure_lines(v),
        para("Thành phần hồ sơ đã nhận:", space=2),
        _components(v),
        Spacer(1, 3 * mm),
        *_times(v, zone),
        para(f"Hình thức nhận kết quả: trực tuyến trên {PORTAL}, hoặc tại nơi tiếp nhận."),
        para(
            "Vào sổ theo dõi hồ sơ, Quyển số: điện tử. Tra cứu tình trạng hồ sơ bằng mã hồ sơ và "
            "số định danh tại Cổng dịch vụ công.",
            9.5,
        ),
        Spacer(1, 6 * mm),
        signatures(
            ("NGƯỜI NỘP HỒ SƠ", "(nộp trực tuyến)", None),
            ("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", v.get("accepted_by_name")),
        ),
    ]
    return document(NUMBER, TITLE, v, body, dated=v.get("accepted_at"), zone=zone, portal_url=portal_url)
