"""The receipt and appointment slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả, form 01), as a PDF in
Vietnamese (DejaVu Sans, embedded) with a QR code of the dossier code. Drawn on request from the
dossier: nothing to store, and always what the dossier says."""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..domain.calendar import VN
from ..domain.dossier import fee_table

FONTS = Path(__file__).resolve().parent.parent / "data" / "fonts"


@cache
def _fonts() -> None:
    pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))


def _style(size: float = 10.5, bold: bool = False, align: int = 0, space: float = 3) -> ParagraphStyle:
    return ParagraphStyle(
        "p",
        fontName="DejaVu-Bold" if bold else "DejaVu",
        fontSize=size,
        leading=size * 1.35,
        alignment=align,
        spaceAfter=space,
    )


def when(t: datetime) -> str:
    """09 giờ 30 phút, ngày 25 tháng 11 năm 2026 (Vietnam time)."""
    v = t.astimezone(VN)
    return f"{v:%H} giờ {v:%M} phút, ngày {v:%d} tháng {v:%m} năm {v:%Y}"


def vnd(n: int) -> str:
    return f"{n:,}".replace(",", ".") + " đồng"


def render(d: dict[str, Any]) -> bytes:
    _fonts()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Giấy tiếp nhận hồ sơ {d['code']}",
        author="DVC Hải Phòng",
    )
    p = d["procedure"]
    person = (d.get("applicant") or {}).get("owner") or (d.get("applicant") or {}).get("submitter") or {}
    center = 1
    header = Table(
        [
            [
                Paragraph(
                    "ỦY BAN NHÂN DÂN<br/>THÀNH PHỐ HẢI PHÒNG<br/><b>" + escape(d["agency"]["name"]) + "</b>",
                    _style(9.5, align=center),
                ),
                Paragraph(
                    "<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>Độc lập - Tự do - Hạnh phúc",
                    _style(9.5, align=center),
                ),
            ]
        ],
        colWidths=[75 * mm, 95 * mm],
    )
    qr = QrCodeWidget(d["code"])
    x1, y1, x2, y2 = qr.getBounds()
    size = 28 * mm
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(qr)
    title = Table(
        [
            [
                [
                    Paragraph("Mẫu số 01", _style(9)),
                    Paragraph(
                        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
                        _style(13, bold=True, align=center, space=4),
                    ),
                    Paragraph(f"Mã hồ sơ: <b>{escape(d['code'])}</b>", _style(11.5, align=center)),
                ],
                drawing,
            ]
        ],
        colWidths=[140 * mm, 30 * mm],
    )
    counts = Counter(a["component_id"] for a in d.get("attachments", []))
    rows = [
        [
            Paragraph("<b>TT</b>", _style(9.5)),
            Paragraph("<b>Tên giấy tờ</b>", _style(9.5)),
            Paragraph("<b>Số tệp</b>", _style(9.5)),
            Paragraph("<b>Bản chính / bản sao</b>", _style(9.5)),
        ]
    ]
    for i, c in enumerate((c for c in p.get("components") or [] if counts.get(c["id"])), start=1):
        rows.append(
            [
                Paragraph(str(i), _style(9.5)),
                Paragraph(escape(c["name"]), _style(9.5)),
                Paragraph(str(counts[c["id"]]), _style(9.5)),
                Paragraph(f"{c.get('originals', 0)} / {c.get('copies', 0)}", _style(9.5)),
            ]
        )
    components = Table(rows, colWidths=[10 * mm, 105 * mm, 18 * mm, 37 * mm], repeatRows=1)
    components.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    fees = fee_table(p)
    fee_lines = "; ".join(f"{escape(f['name'])}: {vnd(f['amount'])}" for f in fees["items"]) or "Không"
    story = [
        header,
        Spacer(1, 6 * mm),
        title,
        Spacer(1, 4 * mm),
        Paragraph(
            f"{escape(d['agency']['name'])} đã tiếp nhận hồ sơ của: "
            f"<b>{escape(person.get('full_name', ''))}</b>",
            _style(),
        ),
        Paragraph(
            f"Số định danh cá nhân: {escape(person.get('citizen_id', ''))}. "
            f"Điện thoại: {escape(person.get('phone', ''))}",
            _style(),
        ),
        Paragraph(f"Địa chỉ: {escape(person.get('address', ''))}", _style()),
        Paragraph(
            f"Nội dung yêu cầu giải quyết: <b>{escape(p['name'])}</b> (mã thủ tục {escape(p['code'])})",
            _style(),
        ),
        Paragraph("Thành phần hồ sơ đã nhận:", _style(space=2)),
        components,
        Spacer(1, 3 * mm),
        Paragraph(f"Phí, lệ phí: {fee_lines}. Tổng cộng: <b>{vnd(fees['total'])}</b>", _style()),
        Paragraph(f"Thời gian tiếp nhận hồ sơ: {when(d['accepted_at'])}", _style()),
    ]
    if d.get("appointment_at"):
        story.append(
            Paragraph(
                f"Thời gian trả kết quả giải quyết hồ sơ: <b>{when(d['appointment_at'])}</b>",
                _style(11, bold=False),
            )
        )
    story += [
        Paragraph(
            "Hình thức nhận kết quả: trực tuyến trên Cổng dịch vụ công Hải Phòng, hoặc tại nơi tiếp nhận.",
            _style(),
        ),
        Paragraph(
            "Vào sổ theo dõi hồ sơ, Quyển số: điện tử. Tra cứu tình trạng hồ sơ bằng mã hồ sơ và "
            "số định danh tại Cổng dịch vụ công.",
            _style(9.5),
        ),
        Spacer(1, 6 * mm),
        Table(
            [
                [
                    Paragraph("<b>NGƯỜI NỘP HỒ SƠ</b><br/>(nộp trực tuyến)", _style(10, align=center)),
                    Paragraph(
                        f"<b>NGƯỜI TIẾP NHẬN HỒ SƠ</b><br/>{escape(d.get('accepted_by_name') or '')}",
                        _style(10, align=center),
                    ),
                ]
            ],
            colWidths=[85 * mm, 85 * mm],
        ),
    ]
    doc.build(story)
    return buf.getvalue()
