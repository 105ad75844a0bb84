"""What every paper of Circular 03/2025/TT-VPCP (Phụ lục I) has, written once: the header (the agency under
the body above it, the national motto, the place and date), "Mẫu số 0N", the title with the dossier's code
and a QR code to the public tracking page, the legal basis, the applicant, the procedure and its processing
time, and the signature blocks. A form's own module (f01..f06) adds what only it says.

Everything here draws from a paper's *view*: the plain part of the stored dossier the paper shows (its
``inputs``), small enough to pickle to a worker process and digest for the cache."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dvckit.vn import ZONE

FONTS = Path(__file__).resolve().parent.parent.parent / "data" / "fonts"
Doc = dict[str, Any]  # a stored dossier, or the view of it a paper shows
CENTER, RIGHT = 1, 2
CITY = "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG"  # above an agency a dossier filed before the directory names
MOTTO = "<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/><u>Độc lập - Tự do - Hạnh phúc</u>"
LEGAL_BASIS = (
    "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ về thực hiện thủ tục hành "
    "chính theo cơ chế một cửa, một cửa liên thông tại Bộ phận Một cửa và Cổng Dịch vụ công quốc gia;"
)
PORTAL = "Cổng Dịch vụ công thành phố Hải Phòng"
UNITS = {"working_day": "ngày làm việc", "day": "ngày", "month": "tháng", "hour": "giờ làm việc"}


@cache
def fonts() -> None:
    pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    # <b> in a paragraph: the bold face (no italic face is shipped: italics print upright).
    pdfmetrics.registerFontFamily(
        "DejaVu", normal="DejaVu", bold="DejaVu-Bold", italic="DejaVu", boldItalic="DejaVu-Bold"
    )


def style(size: float = 10.5, bold: bool = False, align: int = 0, space: float = 3) -> ParagraphStyle:
    fonts()  # a paragraph reads its fonts when made
    return ParagraphStyle(
        "p",
        fontName="DejaVu-Bold" if bold else "DejaVu",
        fontSize=size,
        leading=size * 1.35,
        alignment=align,
        spaceAfter=space,
    )


def para(text: str, size: float = 10.5, **kw: Any) -> Paragraph:
    """A paragraph of markup (the caller escapes what came from people)."""
    return Paragraph(text, style(size, **kw))


def e(value: object) -> str:
    return escape("" if value is None else str(value))


def when(t: datetime, zone: ZoneInfo = ZONE) -> str:
    """09 giờ 30 phút, ngày 25 tháng 11 năm 2026 (in ``zone``, Vietnam's by default)."""
    v = t.astimezone(zone)
    return f"{v:%H} giờ {v:%M} phút, ngày {v:%d} tháng {v:%m} năm {v:%Y}"


def day(t: datetime, zone: ZoneInfo = ZONE) -> str:
    """ngày 25 tháng 11 năm 2026."""
    v = t.astimezone(zone)
    return f"ngày {v:%d} tháng {v:%m} năm {v:%Y}"


def short(t: datetime | None, zone: ZoneInfo = ZONE) -> str:
    """25/11/2026 09:30 (a table's cell); empty for none."""
    return "" if t is None else f"{t.astimezone(zone):%d/%m/%Y %H:%M}"


def tracking_url(portal_url: str, code: str) -> str:
    """The public tracking page of a dossier, prefilled with its code (what the QR code holds)."""
    return f"{portal_url.rstrip('/')}/tra-cuu?ma={quote(code, safe='')}"


# -- the view: what of a stored dossier every paper shows ---------------------------------------------------
def base(d: Doc) -> Doc:
    p = d.get("procedure") or {}
    return {
        "code": d.get("code"),
        "agency": d.get("agency"),
        "applicant": d.get("applicant"),
        "organisation": d.get("organisation"),
        "procedure": {k: p.get(k) for k in ("code", "name", "processing_time", "working_days")},
    }


def processing_time(p: Doc) -> str:
    """The procedure's processing time as the catalogue words it, else its number of working days."""
    t = p.get("processing_time") or {}
    if t.get("text"):
        return str(t["text"])
    if t.get("value") and t.get("unit") in UNITS:
        return f"{t['value']:g} {UNITS[t['unit']]}"
    if p.get("working_days"):
        return f"{p['working_days']} ngày làm việc"
    return "theo quy định của thủ tục hành chính"


def party(v: Doc) -> tuple[Doc, Doc]:
    """The party the dossier is for (an organisation or the person) and who submitted it."""
    applicant = v.get("applicant") or {}
    submitter = applicant.get("submitter") or {}
    return applicant.get("owner") or submitter, submitter


def party_name(v: Doc) -> str:
    owner, _ = party(v)
    return str(owner.get("name") or owner.get("full_name") or (v.get("organisation") or {}).get("name") or "")


def id_line(p: Doc) -> str:
    """The party's identifier as the law names it: personal ID, passport and nationality, or enterprise
    (tax) code with the legal representative."""
    kind = p.get("kind") or "individual"
    if kind == "foreigner":
        return f"Số hộ chiếu: {e(p.get('passport_no'))}, quốc tịch: {e(p.get('nationality'))}"
    if kind in ("business", "organization"):
        rep = p.get("representative") or {}
        label = "Mã số doanh nghiệp" if kind == "business" else "Mã số thuế"
        return (
            f"{label}: {e(p.get('tax_code'))}. Người đại diện theo pháp luật: "
            f"{e(rep.get('full_name'))} ({e(rep.get('position'))})"
        )
    return f"Số định danh cá nhân: {e(p.get('citizen_id'))}"


def applicant_lines(v: Doc, lead: str) -> list[Flowable]:
    """``lead`` (e.g. "Hồ sơ của:") the party's name, identifier, phone, email and address, and who
    submitted it when that is someone else."""
    owner, submitter = party(v)
    out = [
        para(f"{lead} <b>{e(party_name(v))}</b>"),
        para(f"{id_line(owner)}. Điện thoại: {e(owner.get('phone'))}. Email: {e(owner.get('email'))}"),
        para(f"Địa chỉ: {e(owner.get('address'))}"),
    ]
    if owner is not submitter and submitter:
        out.append(para(f"Người nộp hồ sơ: {e(submitter.get('full_name'))} ({id_line(submitter)})"))
    return out


def procedure_lines(v: Doc) -> list[Flowable]:
    """The procedure (the request's content) and its processing time as the law sets it."""
    p = v.get("procedure") or {}
    return [
        para(f"Nội dung yêu cầu giải quyết: <b>{e(p.get('name'))}</b> (mã thủ tục {e(p.get('code'))})"),
        para(f"Thời hạn giải quyết theo quy định: {e(processing_time(p))}"),
    ]


# -- the layout --------------------------------------------------------------------------------------------
def header(v: Doc, dated: datetime | None, zone: ZoneInfo) -> Table:
    """The receiving agency under the body above it, as the directory names them (a ward's police under
    the city police, a department under the city's people's committee); the motto; place and date."""
    agency = v.get("agency") or {}
    left = para(
        e(agency.get("parent_name") or CITY) + "<br/><b>" + e(str(agency.get("name") or "").upper()) + "</b>",
        9.5,
        align=CENTER,
    )
    date = f"Hải Phòng, {day(dated, zone)}" if dated else "Hải Phòng, ngày … tháng … năm …"
    return Table(
        [[left, para(MOTTO, 9.5, align=CENTER)], ["", para(date, 9.5, align=CENTER)]],
        colWidths=[75 * mm, 95 * mm],
    )


def qr(url: str, size: float = 26 * mm) -> Drawing:
    widget = QrCodeWidget(url)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def title(number: str, name: str, code: str, portal_url: str, subtitle: str | None = None) -> Table:
    url = tracking_url(portal_url, code)
    heading = [
        para(f"Mẫu số {number}", 9),
        para(e(name), 13, bold=True, align=CENTER, space=4),
        *([para(e(subtitle), 10.5, align=CENTER)] if subtitle else []),
        para(f"Mã hồ sơ: <b>{e(code)}</b>", 11.5, align=CENTER),
    ]
    code_box = [qr(url), para("Tra cứu hồ sơ", 7, align=CENTER, space=0)]
    return Table([[heading, code_box]], colWidths=[140 * mm, 30 * mm])


def legal_basis() -> Paragraph:
    return para(LEGAL_BASIS, 10)


def grid(rows: Sequence[Sequence[str]], widths: Sequence[float], size: float = 9) -> Table:
    """A table with a bold header row (markup cells; the caller escapes), repeated on each page."""
    cells = [[para(f"<b>{h}</b>", size) for h in rows[0]]]
    cells += [[para(c, size) for c in r] for r in rows[1:]]
    table = Table(cells, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


Signer = tuple[str, str, str | None]  # the block's title, what it says below, the name signed


def signatures(*blocks: Signer | Flowable | None) -> Table:
    """Signature blocks side by side ("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", name); a flowable
    as it is (the list of recipients), None an empty column."""
    cells: list[Flowable | str] = []
    for b in blocks:
        if b is None or isinstance(b, Flowable):
            cells.append(b or "")
            continue
        role, hint, name = b
        cells.append(
            para(
                f"<b>{e(role)}</b><br/>{e(hint)}<br/><br/><br/><br/><b>{e(name or '')}</b>", 10, align=CENTER
            )
        )
    width = 170 / len(cells)
    return Table([cells], colWidths=[width * mm] * len(cells))


def document(
    number: str,
    name: str,
    v: Doc,
    body: list[Flowable],
    *,
    dated: datetime | None,
    zone: ZoneInfo,
    portal_url: str,
    subtitle: str | None = None,
) -> bytes:
    """A paper as a PDF: the shared parts around ``body`` (the form's own)."""
    fonts()
    buf = io.BytesIO()
    code = str(v.get("code") or "")
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{name.capitalize()} {code}",
        author="DVC Hải Phòng",
        subject=f"Mẫu số {number} (Thông tư 03/2025/TT-VPCP)",
    )
    story = [
        header(v, dated, zone),
        Spacer(1, 5 * mm),
        title(number, name, code, portal_url, subtitle),
        Spacer(1, 3 * mm),
        legal_basis(),
        *body,
    ]
    doc.build(story)
    return buf.getvalue()
