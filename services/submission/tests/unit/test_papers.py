"""The papers of Circular 03/2025/TT-VPCP (forms 01-06), each drawn from a dossier built here, read back as
text: the agency under its parent body, the form's number and title, the legal basis, the code, the dates,
the items and reasons, the control slip's rows; when each paper exists; and the cache keyed by form."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from dvckit.vn import ZONE
from submission.adapters.papers import FORMS
from submission.adapters.papers.common import CITY, tracking_url
from submission.adapters.papers.pool import Receipts
from submission.domain.model import Dossier
from submission.domain.papers import EARLY, LATE, ON_TIME, PAPERS, timeliness
from submission.domain.status import Status

S = Status
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 09:00 in Hải Phòng
H = timedelta(hours=1)
WARD = {
    "code": "000.01.G5.H26",
    "name": "Công an phường Ngô Quyền",
    "parent_name": "CÔNG AN THÀNH PHỐ HẢI PHÒNG",
}
CITY_DEPT = {"code": "000.00.12.H26", "name": "Sở Tư pháp", "parent_name": None}
PORTAL = "https://dichvucong.haiphong.gov.vn"


def entry(status: str, at: datetime, **over: object) -> dict[str, object]:
    return {"status": status, "at": at, "actor_role": "officer", **over}


def dossier(status: Status = S.PROCESSING, n: int = 1, **over: object) -> Dossier:
    doc: dict[str, object] = {
        "_id": f"00000000-0000-0000-0000-{n:012d}",
        "owner_id": "citizen-1",
        "status": status,
        "code": f"000.01.G5.H26-261201-{n:04d}",
        "procedure": {
            "code": "1.004194",
            "version": 2,
            "name": "Đăng ký tạm trú",
            "processing_time": {"value": 3, "unit": "working_day", "text": "03 ngày làm việc"},
            "components": [{"id": "c1", "name": "Tờ khai CT01"}, {"id": "c2", "name": "Giấy tờ chỗ ở"}],
            "fees": [{"name": "Lệ phí", "amount": 7000}],
        },
        "agency": WARD,
        "applicant": {
            "submitter": {
                "full_name": "Đặng Thị Mai",
                "citizen_id": "031200000001",
                "date_of_birth": "1990-05-17",
                "phone": "0912345678",
                "address": "Số 5 Lạch Tray, Hải Phòng",
            }
        },
        "created_at": T0 - 2 * H,
        "updated_at": T0 + 30 * H,
        "submitted_at": T0,
        "reception_due_at": T0 + 8 * H,
        "accepted_at": T0 + 2 * H,
        "accepted_by_name": "Trần Văn Tiếp",
        "appointment_at": T0 + 72 * H,
        "history": [
            {"status": "submitted", "at": T0, "actor_role": "citizen", "actor_id": "citizen-1"},
            entry(
                "accepted",
                T0 + 2 * H,
                action="accept",
                actor_name="Trần Văn Tiếp",
                agency_code=WARD["code"],
                to_id="s1",
                to_name="Lê Chuyên Viên",
                due_at=T0 + 26 * H,
            ),
            entry(
                "processing",
                T0 + 30 * H,
                action="propose",
                actor_name="Lê Chuyên Viên",
                agency_code=WARD["code"],
                to_id="l1",
                to_name="Phạm Lãnh Đạo",
                due_at=T0 + 50 * H,
            ),
        ],
        "rev": 5,
    }
    return Dossier.model_validate(doc | over)


def text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def draw(form: str, d: Dossier) -> str:
    """The paper, drawn here (the pool's worker does the same), as text."""
    return text(FORMS[form].render(FORMS[form].inputs(d.document()), ZONE, PORTAL))


def shared(page: str, form: str, title: str, d: Dossier) -> None:
    assert "CÔNG AN THÀNH PHỐ HẢI PHÒNG" in page and "CÔNG AN PHƯỜNG NGÔ QUYỀN" in page
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page and "Độc lập - Tự do - Hạnh phúc" in page
    assert f"Mẫu số {form}" in page and title in page and d.code in page
    assert "Căn cứ Nghị định số 118/2025/NĐ-CP ngày 09 tháng 6 năm 2025 của Chính phủ" in page
    assert "Đăng ký tạm trú" in page and "03 ngày làm việc" in page


def test_every_paper_has_a_number_and_title_as_the_circular():
    assert list(PAPERS) == list(FORMS) == ["01", "02", "03", "04", "05", "06"]
    assert PAPERS["04"].title == "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT"


def test_form_01_the_receipt():
    d = dossier(S.ACCEPTED)
    page = draw("01", d)
    shared(page, "01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", d)
    assert "Hải Phòng, ngày 01 tháng 12 năm 2026" in page
    assert "Thời gian tiếp nhận hồ sơ: 11 giờ 00 phút, ngày 01 tháng 12 năm 2026" in page
    assert "Trần Văn Tiếp" in page and "Đặng Thị Mai" in page


def test_form_02_the_supplement_request_names_the_items_the_reason_who_when_and_where():
    asked = T0 + 5 * H
    history = [
        *dossier().history,
        entry("supplement_requested", T0 + 3 * H, items=["Cũ"], actor_name="Ai Đó"),
        entry(
            "supplement_requested",
            asked,
            action="request-supplement",
            items=["Bản sao sổ hộ khẩu", "Ảnh 3x4"],
            components=["c2"],
            reason="Ảnh không rõ mặt",
            actor_name="Lê Chuyên Viên",
        ),
    ]
    d = dossier(S.SUPPLEMENT_REQUESTED, history=history)
    assert PAPERS["02"].exists(d)
    page = draw("02", d)
    shared(page, "02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", d)
    assert "1. Bản sao sổ hộ khẩu" in page and "2. Ảnh 3x4" in page and "Cũ" not in page
    assert "Lý do: Ảnh không rõ mặt" in page and "Giấy tờ chỗ ở" in page
    assert "Lê Chuyên Viên" in page and "14 giờ 00 phút, ngày 01 tháng 12 năm 2026" in page
    assert "yêu cầu bổ sung hồ sơ" in page and "Bộ phận Một cửa – Công an phường Ngô Quyền" in page
    assert PORTAL in page
    # A line written before the workflow named actions still counts (its status says what it was).
    old = dossier(S.SUPPLEMENT_REQUESTED, history=[entry("supplement_requested", asked, items=["Tờ khai"])])
    assert PAPERS["02"].exists(old) and "1. Tờ khai" in draw("02", old)
    # At reception (not accepted yet) it is the completion request.
    at_desk = dossier(S.SUPPLEMENT_REQUESTED, accepted_at=None, history=history)
    assert "yêu cầu hoàn thiện hồ sơ" in draw("02", at_desk)
    assert not PAPERS["02"].exists(dossier())


def test_form_03_the_refusal_gives_the_reasons():
    refused = entry("refused", T0 + 4 * H, reason="Không thuộc thẩm quyền", actor_name="Trần Văn Tiếp")
    d = dossier(S.REFUSED, accepted_at=None, history=[*dossier().history[:1], refused])
    assert PAPERS["03"].exists(d) and not PAPERS["01"].exists(d)
    page = draw("03", d)
    shared(page, "03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", d)
    assert "Không thuộc thẩm quyền" in page and "Trần Văn Tiếp" in page
    assert "không tiếp nhận, giải quyết hồ sơ này" in page
    assert not PAPERS["03"].exists(dossier())


def test_form_04_the_apology_gives_the_reason_and_the_old_and_new_appointments():
    old, new = T0 + 72 * H, T0 + 144 * H
    apology = {
        "at": T0 + 70 * H,
        "reason": "Chờ ý kiến của Sở Xây dựng",
        "old_appointment_at": old,
        "new_appointment_at": new,
        "by": {"id": "l1", "name": "Phạm Lãnh Đạo"},
    }
    d = dossier(apologies=[apology], appointment_at=new, original_appointment_at=old)
    assert PAPERS["04"].exists(d) and not PAPERS["04"].exists(dossier())
    page = draw("04", d)
    shared(page, "04", "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT", d)
    assert "Lý do: Chờ ý kiến của Sở Xây dựng" in page and "xin lỗi ông/bà" in page
    assert "09 giờ 00 phút, ngày 04 tháng 12 năm 2026" in page  # the old appointment
    assert "09 giờ 00 phút, ngày 07 tháng 12 năm 2026" in page  # the new one
    assert "Phạm Lãnh Đạo" in page and "Hải Phòng, ngày 04 tháng 12 năm 2026" in page


def test_form_05_the_stop_notice_gives_the_reason():
    stopped = entry("stopped", T0 + 20 * H, reason="Người nộp đề nghị dừng", actor_name="Phạm Lãnh Đạo")
    d = dossier(S.STOPPED, history=[*dossier().history, stopped])
    assert PAPERS["05"].exists(d) and not PAPERS["05"].exists(dossier())
    page = draw("05", d)
    shared(page, "05", "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", d)
    assert "Người nộp đề nghị dừng" in page and "dừng giải quyết hồ sơ của ông/bà" in page
    assert "Phạm Lãnh Đạo" in page


def test_form_06_the_control_slip_has_a_row_for_each_hand_over():
    d = dossier()
    assert PAPERS["06"].exists(d) and not PAPERS["06"].exists(dossier(S.DRAFT, submitted_at=None))
    rows = FORMS["06"].inputs(d.document())["rows"]
    assert [(r["giver"], r["receiver"]) for r in rows] == [
        ("Đặng Thị Mai", "Bộ phận Một cửa"),
        ("Trần Văn Tiếp", "Lê Chuyên Viên"),
        ("Lê Chuyên Viên", "Phạm Lãnh Đạo"),
    ]
    page = draw("06", d)
    shared(page, "06", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ", d)
    assert "Giao: Đặng Thị Mai – Tổ chức, cá nhân" in page
    assert "Nhận: Lê Chuyên Viên – Công an phường Ngô Quyền" in page
    # Accepted 2 h after filing, by the reception due (8 h): on the same day; the specialist handed it on
    # at +30 h, after the due at +26 h: late; the leader's step is still open.
    assert [timeliness(r["done"], r["due"]) for r in rows] == [ON_TIME, LATE, None]
    assert "01/12/2026 09:00" in page and "02/12/2026 11:00" in page  # a hand-over, a due time
    assert "Đúng hạn" in page and "Quá hạn" in page


def test_a_step_done_before_the_due_day_is_early():
    due = T0 + 48 * H
    assert (
        timeliness(T0, due) == EARLY and timeliness(due, due) == ON_TIME and timeliness(due + H, due) == LATE
    )


def test_the_header_falls_back_to_the_city_and_the_qr_links_to_the_tracking_page():
    page = draw("06", dossier(agency=CITY_DEPT))
    assert CITY in page and "SỞ TƯ PHÁP" in page
    assert tracking_url(PORTAL + "/", "000.01.G5.H26-261201-0001") == (
        f"{PORTAL}/tra-cuu?ma=000.01.G5.H26-261201-0001"
    )


@pytest.fixture(scope="module")
async def papers() -> AsyncIterator[Receipts]:
    r = Receipts(workers=1, cache_bytes=1 << 20, max_pending=4, portal_url=PORTAL)
    yield r
    r.close()


async def test_the_pool_draws_each_form_once_per_revision_and_never_one_for_another(papers):
    d = dossier(S.STOPPED, n=7, history=[*dossier().history, entry("stopped", T0 + 9 * H, reason="Dừng")])
    n = papers.renders
    slip, stop = await papers.paper("06", d), await papers.paper("05", d)
    assert papers.renders == n + 2 and slip != stop
    assert "Mẫu số 06" in text(slip) and "Mẫu số 05" in text(stop)
    assert await papers.paper("06", d) == slip and papers.renders == n + 2
