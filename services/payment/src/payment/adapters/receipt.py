"""The e-receipt (biên lai điện tử) of a paid order, as a PDF: the agency, the payer, the lines, the amount
in figures and in words, the provider's transaction reference, the receipt number, and a QR code to the public
tracking page of the dossier. ``render(order)`` is the one entry point (the receipt's drawing may grow
without its callers changing)."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from dvckit import vnpay
from dvckit.money_words import vnd_in_words
from dvckit.vn import vnd

from ..domain.order import Order

FONTS = Path(__file__).resolve().parent.parent / "data" / "fonts"
DEFAULT_PORTAL = "http://127.0.0.1:8080"
_registered = False


def _fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
        _registered = True


def tracking_url(portal_url: str, dossier_code: str) -> str:
    return f"{portal_url.rstrip('/')}/tra-cuu?ma={dossier_code}"


def render(order: Order, portal_url: str = DEFAULT_PORTAL) -> bytes:
    """The e-receipt of a paid (or refunded) order."""
    _fonts()
    buf = io.BytesIO()
    width, height = A5
    c = canvas.Canvas(buf, pagesize=A5)
    c.setTitle(f"Biên lai điện tử {order.receipt_no or order.id}")
    c.setAuthor(order.agency.name)
    x, y = 14 * mm, height - 16 * mm
    c.setFont("DejaVu-Bold", 9)
    c.drawString(x, y, order.agency.name.upper()[:70])
    c.setFont("DejaVu", 8)
    c.drawRightString(width - x, y, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    y -= 12 * mm
    c.setFont("DejaVu-Bold", 14)
    c.drawCentredString(width / 2, y, "BIÊN LAI THU PHÍ, LỆ PHÍ ĐIỆN TỬ")
    y -= 6 * mm
    c.setFont("DejaVu", 9)
    c.drawCentredString(width / 2, y, f"Số: {order.receipt_no or '—'}")
    y -= 10 * mm
    paid = order.paid_at.astimezone(vnpay.ZONE).strftime("%H:%M %d/%m/%Y") if order.paid_at else "—"
    rows = [
        ("Người nộp", order.payer_name or "—"),
        ("Hồ sơ", order.dossier_code),
        ("Thời điểm thanh toán", paid),
        ("Kênh thanh toán", f"VNPAY{' — ' + order.bank_code if order.bank_code else ''}"),
        ("Mã giao dịch", order.provider_txn or "—"),
        ("Mã đơn thanh toán", order.txn_ref),
    ]
    for label, value in rows:
        c.setFont("DejaVu", 9)
        c.drawString(x, y, f"{label}:")
        c.drawString(x + 42 * mm, y, value[:60])
        y -= 5.5 * mm
    y -= 3 * mm
    c.setFont("DejaVu-Bold", 9)
    c.drawString(x, y, "Nội dung thu")
    c.drawRightString(width - x, y, "Số tiền")
    y -= 1.5 * mm
    c.line(x, y, width - x, y)
    c.setFont("DejaVu", 9)
    for line in order.lines:
        y -= 5.5 * mm
        c.drawString(x, y, line.name[:70])
        c.drawRightString(width - x, y, vnd(line.amount))
    y -= 2.5 * mm
    c.line(x, y, width - x, y)
    y -= 5.5 * mm
    c.setFont("DejaVu-Bold", 10)
    c.drawString(x, y, "Tổng cộng")
    c.drawRightString(width - x, y, vnd(order.amount))
    y -= 5.5 * mm
    c.setFont("DejaVu", 9)
    c.drawString(x, y, f"Số tiền bằng chữ: {vnd_in_words(order.amount)}"[:90])
    if order.state.value == "refunded":
        y -= 7 * mm
        c.setFont("DejaVu-Bold", 9)
        c.drawString(x, y, "ĐÃ HOÀN TIỀN")
    size = 28 * mm
    widget = QrCodeWidget(tracking_url(portal_url, order.dossier_code))
    x0, y0, x1, y1 = widget.getBounds()
    d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    d.add(widget)
    renderPDF.draw(d, c, x, 14 * mm)
    c.setFont("DejaVu", 7)
    c.drawString(x + size + 4 * mm, 14 * mm + size / 2, "Quét mã để tra cứu hồ sơ")
    c.drawString(
        x + size + 4 * mm, 14 * mm + size / 2 - 4 * mm, tracking_url(portal_url, order.dossier_code)[:60]
    )
    c.showPage()
    c.save()
    return buf.getvalue()
