"""Mẫu số 07: Sổ theo dõi hồ sơ (the register of dossiers) of an agency over a period, as a spreadsheet
(XlsxWriter in constant-memory mode: each row goes to a temporary file as it is written, so a month of a
busy ward costs a few kilobytes of memory, not the whole sheet). The workbook is written to a temporary
file, batch by batch off the event loop, and streamed back from it; the file's name is gone from the disk
before the first byte is sent.

Every cell a person typed (names, addresses) is written as text: never read as a formula or a link."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import xlsxwriter

from ...domain.papers import LATE, REGISTER, timeliness
from .common import CITY

Doc = dict[str, Any]
BATCH = 500
CHUNK = 64 * 1024
HEADERS = (
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Tên tổ chức, cá nhân",
    "Địa chỉ",
    "Số điện thoại",
    "Cơ quan chủ trì giải quyết",
    "Ngày nhận hồ sơ",
    "Ngày hẹn trả kết quả",
    "Ngày chuyển hồ sơ / bổ sung",
    "Ngày có kết quả / trả kết quả",
    "Ghi chú",
)
WIDTHS = (6, 28, 40, 28, 36, 14, 30, 17, 17, 30, 30, 22)
FIRST_ROW = 6  # the title rows above the table
MOVES = {"transfer": "chuyển cơ quan khác", "consult": "lấy ý kiến", "request-supplement": "yêu cầu bổ sung"}
CLOSED_NOTE = {"refused": "Từ chối tiếp nhận", "withdrawn": "Rút hồ sơ", "stopped": "Dừng giải quyết"}


@dataclass(frozen=True)
class Head:
    """What the register's title says: whose it is and for which days; ``now`` judges open dossiers."""

    agency_name: str
    parent_name: str | None
    start: date
    end: date
    now: datetime
    zone: ZoneInfo


def _local(t: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored time as the sheet shows it: Vietnam's wall clock (a spreadsheet's dates have no zone)."""
    return None if t is None else t.astimezone(zone).replace(tzinfo=None)


def _day(t: datetime | None, zone: ZoneInfo) -> str:
    return "" if t is None else f"{t.astimezone(zone):%d/%m/%Y %H:%M}"


def _party(d: Doc) -> tuple[str, str, str]:
    applicant = d.get("applicant") or {}
    owner = applicant.get("owner") or applicant.get("submitter") or {}
    org = d.get("organisation") or {}
    name = owner.get("name") or owner.get("full_name") or org.get("name") or ""
    return str(name), str(owner.get("address") or org.get("address") or ""), str(owner.get("phone") or "")


def note(d: Doc, now: datetime, zone: ZoneInfo) -> str:
    """Trước hạn / đúng hạn / quá hạn for a dossier with its result (against the appointment as the law
    counts it); otherwise where it stands."""
    status = d.get("status") or ""
    if status in CLOSED_NOTE:
        return CLOSED_NOTE[status]
    due = d.get("original_appointment_at") or d.get("appointment_at")
    done = d.get("finished_at") or d.get("returned_at")
    if done is not None:
        return timeliness(done, due, zone) or "Đã có kết quả"
    if d.get("accepted_at") is None:
        return "Chờ tiếp nhận"
    if due is not None and now > due:
        return f"{LATE} (đang giải quyết)"
    return "Đang giải quyết"


def row(n: int, d: Doc, now: datetime, zone: ZoneInfo) -> tuple[Any, ...]:
    name, address, phone = _party(d)
    moves = "; ".join(
        f"{_day(m.get('at'), zone)} {MOVES.get(m.get('action') or '', m.get('action') or '')}"
        for m in d.get("moves") or []
    )
    done = [
        f"Có kết quả {_day(d.get('finished_at'), zone)}" if d.get("finished_at") else "",
        f"Trả {_day(d.get('returned_at'), zone)}" if d.get("returned_at") else "",
    ]
    return (
        n,
        d.get("code") or "",
        (d.get("procedure") or {}).get("name") or "",
        name,
        address,
        phone,
        (d.get("agency") or {}).get("name") or "",
        _local(d.get("submitted_at"), zone),
        _local(d.get("appointment_at"), zone),
        moves,
        "; ".join(x for x in done if x),
        note(d, now, zone),
    )


class Book:
    """The register's workbook, written row by row to ``path``."""

    def __init__(self, path: str, head: Head) -> None:
        self.head = head
        self.wb = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "tmpdir": os.path.dirname(path),
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "remove_timezone": True,
            },
        )
        self.wb.set_properties(
            {"title": f"Sổ theo dõi hồ sơ – {head.agency_name}", "author": "DVC Hải Phòng"}
        )
        ws = self.ws = self.wb.add_worksheet("Sổ theo dõi hồ sơ")
        bold = self.wb.add_format({"bold": True, "align": "center"})
        title = self.wb.add_format({"bold": True, "align": "center", "font_size": 14})
        self.cell = self.wb.add_format({"text_wrap": True, "valign": "top", "border": 1})
        self.date = self.wb.add_format({"num_format": "dd/mm/yyyy hh:mm", "valign": "top", "border": 1})
        header = self.wb.add_format(
            {"bold": True, "text_wrap": True, "align": "center", "valign": "vcenter", "border": 1}
        )
        for i, w in enumerate(WIDTHS):
            ws.set_column(i, i, w)
        last = len(HEADERS) - 1
        ws.merge_range(0, 0, 0, 3, head.parent_name or CITY, bold)
        ws.merge_range(0, 5, 0, last, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
        ws.merge_range(1, 0, 1, 3, head.agency_name.upper(), bold)
        ws.merge_range(1, 5, 1, last, "Độc lập - Tự do - Hạnh phúc", bold)
        ws.write_string(2, last, f"Mẫu số {REGISTER[0]}")
        ws.merge_range(3, 0, 3, last, REGISTER[1], title)
        period = f"Từ ngày {head.start:%d/%m/%Y} đến ngày {head.end:%d/%m/%Y}"
        ws.merge_range(4, 0, 4, last, period, self.wb.add_format({"align": "center"}))
        for c, h in enumerate(HEADERS):
            ws.write_string(5, c, h, header)
        ws.freeze_panes(FIRST_ROW, 0)
        self.rows = 0

    def add(self, docs: Iterable[Doc]) -> None:
        for d in docs:
            self.rows += 1
            r = FIRST_ROW + self.rows - 1
            for c, value in enumerate(row(self.rows, d, self.head.now, self.head.zone)):
                if isinstance(value, datetime):
                    self.ws.write_datetime(r, c, value, self.date)
                elif isinstance(value, int):
                    self.ws.write_number(r, c, value, self.cell)
                elif value:
                    self.ws.write_string(r, c, value, self.cell)
                else:
                    self.ws.write_blank(r, c, None, self.cell)

    def close(self) -> None:
        if self.rows:
            self.ws.autofilter(FIRST_ROW - 1, 0, FIRST_ROW - 1 + self.rows, len(HEADERS) - 1)
        self.wb.close()


@dataclass(frozen=True)
class Spreadsheet:
    size: int
    chunks: AsyncIterator[bytes]


async def write(rows: AsyncIterator[Doc], head: Head) -> Spreadsheet:
    """The register of ``rows`` as an .xlsx: written batch by batch in a thread (the event loop stays
    free between batches), then streamed from its temporary file."""
    fd, path = tempfile.mkstemp(prefix="register-", suffix=".xlsx")
    os.close(fd)
    try:
        book = await asyncio.to_thread(Book, path, head)
        batch: list[Doc] = []
        async for d in rows:
            batch.append(d)
            if len(batch) >= BATCH:
                await asyncio.to_thread(book.add, batch)
                batch = []
        await asyncio.to_thread(book.add, batch)
        await asyncio.to_thread(book.close)
        f: IO[bytes] = await asyncio.to_thread(open, path, "rb")
    finally:
        os.unlink(path)  # an open file stays readable until closed
    return Spreadsheet(os.fstat(f.fileno()).st_size, _stream(f))


async def _stream(f: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(f.read, CHUNK):
            yield chunk
    finally:
        f.close()
