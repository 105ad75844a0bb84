"""The receipt and appointment slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả, form 01), as a PDF in
Vietnamese (DejaVu Sans, embedded) with a QR code of the dossier code. Drawn on request from the
dossier: nothing to store, and always what the dossier says.

Drawing one is about 50 ms of pure-Python reportlab work. On the event loop that stalls every other
request of the replica; in a thread it would still hold the GIL. ``Receipts`` draws them in a small
pool of worker processes, at most ``max_pending`` at a time (beyond: 503 with Retry-After), one drawing
per receipt however many ask for it at once, and keeps what it drew by dossier and revision."""

from __future__ import annotations

import asyncio
import hashlib
import io
import multiprocessing
import os
import pickle
from collections import Counter, OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from prometheus_client import Counter as Metric
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from dvckit import logs
from dvckit.errors import Problem, Text
from dvckit.vn import ZONE, vnd

from ..domain.dossier import fee_table
from ..domain.model import Dossier

log = logs.get(__name__)
renders_total = Metric("submission_receipt_renders_total", "Receipt PDFs drawn (cache misses)")
BUSY = Problem(
    503,
    "receipt-busy",
    Text(
        "Hệ thống đang tạo nhiều giấy tiếp nhận, vui lòng thử lại sau giây lát",
        "Too many receipts are being drawn; please try again shortly",
    ),
    headers={"Retry-After": "2"},
)
# What render() reads of a dossier: all that goes to a worker, and what the cache key digests.
RECEIPT_FIELDS = ("_id", "code", "agency", "procedure", "applicant", "accepted_at", "appointment_at")

FONTS = Path(__file__).resolve().parent.parent / "data" / "fonts"
Doc = dict[str, Any]  # a stored dossier (or the part of it a receipt shows)


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


def when(t: datetime, zone: ZoneInfo = ZONE) -> str:
    """09 giờ 30 phút, ngày 25 tháng 11 năm 2026 (in ``zone``, Vietnam's by default)."""
    v = t.astimezone(zone)
    return f"{v:%H} giờ {v:%M} phút, ngày {v:%d} tháng {v:%m} năm {v:%Y}"


CENTER = 1
CITY = "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG"  # above an agency a dossier filed before the directory names


def _header(d: Doc) -> Table:
    return Table(
        [
            [
                Paragraph(
                    # The receiving agency under the body above it, as the directory names them (a ward's
                    # police under the city police, a department under the city's people's committee).
                    escape(d["agency"].get("parent_name") or CITY)
                    + "<br/><b>"
                    + escape(d["agency"]["name"].upper())
                    + "</b>",
                    _style(9.5, align=CENTER),
                ),
                Paragraph(
                    "<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br/>Độc lập - Tự do - Hạnh phúc",
                    _style(9.5, align=CENTER),
                ),
            ]
        ],
        colWidths=[75 * mm, 95 * mm],
    )


def _title(code: str) -> Table:
    qr = QrCodeWidget(code)
    x1, y1, x2, y2 = qr.getBounds()
    size = 28 * mm
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(qr)
    heading = [
        Paragraph("Mẫu số 01", _style(9)),
        Paragraph("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", _style(13, bold=True, align=CENTER, space=4)),
        Paragraph(f"Mã hồ sơ: <b>{escape(code)}</b>", _style(11.5, align=CENTER)),
    ]
    return Table([[heading, drawing]], colWidths=[140 * mm, 30 * mm])


def _components(d: Doc) -> Table:
    """The components received: those with at least one file, their number of files."""
    counts = Counter(a["component_id"] for a in d.get("attachments", []))
    rows = [
        [
            Paragraph(f"<b>{h}</b>", _style(9.5))
            for h in ("TT", "Tên giấy tờ", "Số tệp", "Bản chính / bản sao")
        ]
    ]
    filed = (c for c in d["procedure"].get("components") or [] if counts.get(c["id"]))
    for i, c in enumerate(filed, start=1):
        cells = (
            str(i),
            escape(c["name"]),
            str(counts[c["id"]]),
            f"{c.get('originals', 0)} / {c.get('copies', 0)}",
        )
        rows.append([Paragraph(text, _style(9.5)) for text in cells])
    table = Table(rows, colWidths=[10 * mm, 105 * mm, 18 * mm, 37 * mm], repeatRows=1)
    table.setStyle(
        TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    )
    return table


def _id_line(party: Doc) -> str:
    """The party's identifier as the law names it: personal ID, passport and nationality, or enterprise
    (tax) code with the legal representative."""
    kind = party.get("kind") or "individual"
    if kind == "foreigner":
        passport, country = escape(party.get("passport_no", "")), escape(party.get("nationality", ""))
        return f"Số hộ chiếu: {passport}, quốc tịch: {country}"
    if kind in ("business", "organization"):
        rep = party.get("representative") or {}
        label = "Mã số doanh nghiệp" if kind == "business" else "Mã số thuế"
        return (
            f"{label}: {escape(party.get('tax_code', ''))}. Người đại diện theo pháp luật: "
            f"{escape(rep.get('full_name', ''))} ({escape(rep.get('position', ''))})"
        )
    return f"Số định danh cá nhân: {escape(party.get('citizen_id', ''))}"


def _applicant(d: Doc) -> list[Flowable]:
    applicant = d.get("applicant") or {}
    submitter = applicant.get("submitter") or {}
    party = applicant.get("owner") or submitter
    name = party.get("name") or party.get("full_name", "")
    p = d["procedure"]
    out = [
        Paragraph(f"{escape(d['agency']['name'])} đã tiếp nhận hồ sơ của: <b>{escape(name)}</b>", _style()),
        Paragraph(f"{_id_line(party)}. Điện thoại: {escape(party.get('phone', ''))}", _style()),
        Paragraph(f"Địa chỉ: {escape(party.get('address', ''))}", _style()),
    ]
    if party is not submitter:
        out.append(
            Paragraph(
                f"Người nộp hồ sơ: {escape(submitter.get('full_name', ''))} ({_id_line(submitter)})", _style()
            )
        )
    out.append(
        Paragraph(
            f"Nội dung yêu cầu giải quyết: <b>{escape(p['name'])}</b> (mã thủ tục {escape(p['code'])})",
            _style(),
        )
    )
    return out


def _times(d: Doc, zone: ZoneInfo) -> list[Flowable]:
    fees = fee_table(d["procedure"])
    items = fees["items"]
    assert isinstance(items, list)
    fee_lines = "; ".join(f"{escape(f['name'])}: {vnd(f['amount'], unit='đồng')}" for f in items) or "Không"
    total = fees["total"]
    assert isinstance(total, int)
    out = [
        Paragraph(f"Phí, lệ phí: {fee_lines}. Tổng cộng: <b>{vnd(total, unit='đồng')}</b>", _style()),
        Paragraph(f"Thời gian tiếp nhận hồ sơ: {when(d['accepted_at'], zone)}", _style()),
    ]
    if d.get("appointment_at"):
        out.append(
            Paragraph(
                f"Thời gian trả kết quả giải quyết hồ sơ: <b>{when(d['appointment_at'], zone)}</b>",
                _style(11, bold=False),
            )
        )
    return out


def _footer(d: Doc) -> list[Flowable]:
    signatures = Table(
        [
            [
                Paragraph("<b>NGƯỜI NỘP HỒ SƠ</b><br/>(nộp trực tuyến)", _style(10, align=CENTER)),
                Paragraph(
                    f"<b>NGƯỜI TIẾP NHẬN HỒ SƠ</b><br/>{escape(d.get('accepted_by_name') or '')}",
                    _style(10, align=CENTER),
                ),
            ]
        ],
        colWidths=[85 * mm, 85 * mm],
    )
    return [
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
        signatures,
    ]


def render(d: Doc, zone: ZoneInfo = ZONE) -> bytes:
    """The receipt of ``d`` (a dossier as stored, or its ``receipt_inputs``), times written in ``zone``."""
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
    story = [
        _header(d),
        Spacer(1, 6 * mm),
        _title(d["code"]),
        Spacer(1, 4 * mm),
        *_applicant(d),
        Paragraph("Thành phần hồ sơ đã nhận:", _style(space=2)),
        _components(d),
        Spacer(1, 3 * mm),
        *_times(d, zone),
        *_footer(d),
    ]
    doc.build(story)
    return buf.getvalue()


def receipt_inputs(d: Doc) -> Doc:
    """The part of a dossier its receipt shows (a small pickle for the worker, and the cache's digest)."""
    return {k: d.get(k) for k in RECEIPT_FIELDS} | {
        "accepted_by_name": d.get("accepted_by_name"),
        "attachments": [{"component_id": a["component_id"]} for a in d.get("attachments", [])],
    }


def _render_in_worker(d: Doc, zone: str) -> tuple[bytes, int]:
    return render(d, ZoneInfo(zone)), os.getpid()


class Receipts:
    """Receipt PDFs drawn off the event loop and kept per dossier revision.

    The cache is this replica's own (bounded by bytes, least recently used goes first), keyed by the
    dossier's id, its ``rev`` and a digest of what the receipt shows: an entry is only ever the drawing
    of that one dossier as it was at that revision, so replicas need not share or invalidate anything
    (each draws a revision at most once), and even a change made without a new ``rev`` (an operator's
    fix in the database) is drawn afresh."""

    def __init__(self, *, workers: int, cache_bytes: int, max_pending: int, zone: ZoneInfo = ZONE) -> None:
        self.zone = zone
        self.workers = workers
        self.cache_bytes = cache_bytes
        self.max_pending = max_pending
        self._pool: ProcessPoolExecutor | None = None
        self._cache: OrderedDict[tuple[str, int, bytes], bytes] = OrderedDict()
        self._size = 0
        self._pending: dict[tuple[str, int, bytes], asyncio.Task[bytes]] = {}
        self.renders = 0
        self.worker_pids: set[int] = set()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn: a forked child of a process with running threads (MongoDB and S3 clients) may
            # inherit a lock held at the fork and hang.
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    async def pdf(self, dossier: Dossier | Doc) -> bytes:
        d = dossier.document() if isinstance(dossier, Dossier) else dossier
        inputs = receipt_inputs(d)
        key = (str(d["_id"]), int(d.get("rev", 1)), hashlib.sha256(pickle.dumps(inputs)).digest())
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        task = self._pending.get(key)
        if task is None:
            if len(self._pending) >= self.max_pending:
                raise BUSY
            task = asyncio.create_task(self._draw(key, inputs))
            self._pending[key] = task
            task.add_done_callback(lambda _: self._pending.pop(key, None))
        # Shielded: a client that goes away does not cancel the drawing others wait for.
        return await asyncio.shield(task)

    async def _draw(self, key: tuple[str, int, bytes], inputs: Doc) -> bytes:
        loop = asyncio.get_running_loop()
        try:
            pdf, pid = await loop.run_in_executor(self._executor(), _render_in_worker, inputs, self.zone.key)
        except BrokenProcessPool:
            log.warning("the receipt worker died; starting a new one")
            self._pool = None
            raise BUSY from None
        self.renders += 1
        self.worker_pids.add(pid)
        renders_total.inc()
        self._cache[key] = pdf
        self._size += len(pdf)
        while self._size > self.cache_bytes and self._cache:
            _, old = self._cache.popitem(last=False)
            self._size -= len(old)
        return pdf

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
