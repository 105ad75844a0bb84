"""The register of dossiers (form 07) as a spreadsheet: its title and headers, one row a dossier with its
dates as dates, what a person typed kept as text (never a formula), and a month of a busy ward written in
batches to a file, not held in memory."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

from openpyxl import load_workbook

from dvckit.vn import ZONE
from submission.adapters.papers import register as sheet

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HEAD = sheet.Head(
    "Công an phường Ngô Quyền",
    "CÔNG AN THÀNH PHỐ HẢI PHÒNG",
    date(2026, 12, 1),
    date(2026, 12, 31),
    T0 + timedelta(days=20),
    ZONE,
)


def doc(n: int, **over: object) -> dict[str, object]:
    return {
        "code": f"000.01.G5.H26-261201-{n:04d}",
        "status": "processing",
        "procedure": {"name": "Đăng ký tạm trú"},
        "agency": {"name": "Công an phường Ngô Quyền"},
        "applicant": {
            "submitter": {"full_name": f"Người Nộp {n}", "address": "Số 5 Lạch Tray", "phone": "0912345678"}
        },
        "submitted_at": T0 + timedelta(minutes=n),
        "accepted_at": T0 + timedelta(hours=1),
        "appointment_at": T0 + timedelta(days=30),
        "moves": [],
    } | over


async def rows(docs) -> AsyncIterator[dict]:
    for d in docs:
        yield d


async def read(docs) -> list[list[object]]:
    got = await sheet.write(rows(docs), HEAD)
    data = b"".join([c async for c in got.chunks])
    assert len(data) == got.size
    return [
        list(r) for r in load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True)
    ]


async def test_rows_with_dates_moves_results_and_notes():
    finished = doc(
        2,
        status="returned",
        appointment_at=T0 + timedelta(days=3),
        original_appointment_at=T0 + timedelta(days=3),
        finished_at=T0 + timedelta(days=1),
        returned_at=T0 + timedelta(days=2),
        moves=[{"at": T0 + timedelta(hours=5), "action": "request-supplement"}],
    )
    late = doc(3, appointment_at=T0 + timedelta(days=2))
    cells = await read([doc(1), finished, late, doc(4, status="refused", accepted_at=None)])
    assert cells[0][0] == "CÔNG AN THÀNH PHỐ HẢI PHÒNG" and cells[1][0] == "CÔNG AN PHƯỜNG NGÔ QUYỀN"
    assert cells[4][0] == "Từ ngày 01/12/2026 đến ngày 31/12/2026"
    assert cells[5][0] == "STT" and cells[5][-1] == "Ghi chú"
    one, two, three, four = cells[6:]
    assert one[:4] == [1, "000.01.G5.H26-261201-0001", "Đăng ký tạm trú", "Người Nộp 1"]
    assert one[7] == datetime(2026, 12, 1, 9, 1) and one[11] == "Đang giải quyết"  # Vietnam's wall clock
    assert two[9] == "01/12/2026 14:00 yêu cầu bổ sung"
    assert two[10] == "Có kết quả 02/12/2026 09:00; Trả 03/12/2026 09:00" and two[11] == "Trước hạn"
    assert three[11] == "Quá hạn (đang giải quyết)" and four[11] == "Từ chối tiếp nhận"


async def test_what_a_person_typed_stays_text():
    evil = '=HYPERLINK("http://evil.example","bấm")'
    cells = await read(
        [doc(1, applicant={"submitter": {"full_name": evil, "address": "+1+2", "phone": "@SUM(1)"}})]
    )
    assert cells[6][3:6] == [evil, "+1+2", "@SUM(1)"]


async def test_a_busy_month_is_written_in_batches_not_held_in_memory():
    tracemalloc.start()
    try:
        got = await sheet.write(rows(doc(n) for n in range(1, 3001)), HEAD)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    data = b"".join([c async for c in got.chunks])
    assert got.size == len(data) > 100_000
    assert peak < 8 * 1024 * 1024, peak  # the batch in hand and the writer's buffers, not 3,000 rows' sheet
    last = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))[-1]
    assert last[0] == 3000
