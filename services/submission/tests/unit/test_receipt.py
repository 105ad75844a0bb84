"""Receipts are drawn in a worker process, once per dossier revision, never one dossier's for another,
and at most ``max_pending`` at a time (security review, issue 12, finding 4)."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from dvckit.errors import Problem
from submission.adapters.receipt import Receipts


def dossier(n: int, rev: int = 3) -> dict:
    return {
        "_id": f"00000000-0000-0000-0000-{n:012d}",
        "rev": rev,
        "code": f"000.01.G5.H26-261203-{n:04d}",
        "agency": {"code": "000.01.G5.H26", "name": "Công an phường Ngô Quyền"},
        "procedure": {
            "code": "1.004194",
            "name": "Đăng ký tạm trú",
            "components": [{"id": "aaaaaaaaaaaa", "name": "Tờ khai CT01", "originals": 1}],
            "fees": [],
        },
        "applicant": {"submitter": {"full_name": f"Người Nộp {n}", "citizen_id": "031200000001"}},
        "attachments": [{"component_id": "aaaaaaaaaaaa", "key": "secret/key"}],
        "accepted_at": datetime(2026, 12, 3, 2, 0, tzinfo=UTC),
        "appointment_at": datetime(2026, 12, 8, 10, 0, tzinfo=UTC),
        "accepted_by_name": "Trần Văn Tiếp",
        "history": [{"status": "submitted"}],
    }


def text(pdf: bytes) -> str:
    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
async def receipts() -> AsyncIterator[Receipts]:
    r = Receipts(workers=1, cache_bytes=1 << 20, max_pending=4)
    yield r
    r.close()


async def test_drawn_in_a_worker_process_once_per_revision(receipts):
    n = receipts.renders
    first = await asyncio.gather(*(receipts.pdf(dossier(1)) for _ in range(5)))
    assert receipts.renders == n + 1  # five callers at once, one drawing
    assert receipts.worker_pids and os.getpid() not in receipts.worker_pids  # off the event loop
    assert len(set(first)) == 1 and "000.01.G5.H26-261203-0001" in text(first[0])
    assert await receipts.pdf(dossier(1)) == first[0]
    assert receipts.renders == n + 1
    # A new revision is drawn afresh.
    later = await receipts.pdf(dossier(1, rev=4))
    assert receipts.renders == n + 2 and later != first[0]


async def test_one_dossiers_receipt_is_never_served_for_another(receipts):
    a, b = await asyncio.gather(receipts.pdf(dossier(7)), receipts.pdf(dossier(8)))  # same rev
    assert "Người Nộp 7" in text(a) and "Người Nộp 8" not in text(a)
    assert "Người Nộp 8" in text(b) and "-0007" not in text(b)
    # Changed in the database without a new rev (an operator's fix): not the old drawing either.
    fixed = dossier(7) | {"appointment_at": datetime(2026, 12, 9, 10, 0, tzinfo=UTC)}
    assert "ngày 09 tháng 12" in text(await receipts.pdf(fixed))


async def test_drawings_waiting_are_bounded(receipts, monkeypatch):
    monkeypatch.setattr(receipts, "max_pending", 1)
    first, second = await asyncio.gather(
        receipts.pdf(dossier(21)), receipts.pdf(dossier(22)), return_exceptions=True
    )
    assert isinstance(first, bytes)
    assert isinstance(second, Problem) and second.status == 503 and second.code == "receipt-busy"
    assert second.headers["Retry-After"]
    assert isinstance(await receipts.pdf(dossier(22)), bytes)  # once the first is done, there is room


async def test_the_cache_is_bounded_by_bytes(receipts, monkeypatch):
    monkeypatch.setattr(receipts, "cache_bytes", 1)  # smaller than any receipt: keeps none
    n = receipts.renders
    await receipts.pdf(dossier(31))
    await receipts.pdf(dossier(31))
    assert receipts.renders == n + 2


async def test_the_header_names_the_receiving_agency_under_its_own_parent_body(receipts):
    ward_police = dossier(21) | {
        "agency": {
            "code": "000.01.G5.H26",
            "name": "Công an phường Ngô Quyền",
            "parent_name": "CÔNG AN THÀNH PHỐ HẢI PHÒNG",
        }
    }
    page = " ".join(text(await receipts.pdf(ward_police)).split())
    assert "CÔNG AN THÀNH PHỐ HẢI PHÒNG" in page and "CÔNG AN PHƯỜNG NGÔ QUYỀN" in page
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG" not in page
    # A business's dossier prints the business with its enterprise code and its representative.
    business = dossier(22) | {
        "applicant": {
            "submitter": {"full_name": "Phạm Văn Doanh", "citizen_id": "031200000022"},
            "owner": {
                "kind": "business",
                "name": "Công ty Cổ phần Vận tải Bạch Đằng",
                "tax_code": "0200123456",
                "representative": {"full_name": "Phạm Văn Doanh", "position": "Tổng Giám đốc"},
                "phone": "02253745678",
                "address": "Số 3 Lê Thánh Tông, Hải Phòng",
            },
        }
    }
    page = " ".join(text(await receipts.pdf(business)).split())
    assert "Công ty Cổ phần Vận tải Bạch Đằng" in page and "Mã số doanh nghiệp: 0200123456" in page
    assert "Người nộp hồ sơ: Phạm Văn Doanh" in page
    # A dossier filed before the directory named parents still prints the city's people's committee.
    old = dossier(23)
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG" in " ".join(text(await receipts.pdf(old)).split())
