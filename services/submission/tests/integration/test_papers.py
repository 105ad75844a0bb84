"""The official papers and the register of dossiers against real servers (MongoDB, S3, auth, catalog): each
paper fetched by who may fetch it once the dossier has it, read back as text; the register opened as a
spreadsheet."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from pypdf import PdfReader

S = "/api/v1/submissions"
WARD = "000.01.G5.H26"  # Công an phường Ngô Quyền: where world.ready() files
OTHER = "000.01.G7.H26"
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


async def form(world, who, did, n):
    return await world.sub.get(f"{S}/dossiers/{did}/forms/{n}", headers=who["h"])


async def test_each_paper_once_the_dossier_has_it_for_its_owner_and_its_agency(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    did, code = d["id"], d["code"]

    # Filed: the control slip exists, nothing else yet.
    r = await form(world, p, did, "06")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "private, no-store"
    assert f'filename="mau-06-{code}.pdf"' in r.headers["content-disposition"]
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text(r.content) and code in text(r.content)
    for n in ("01", "02", "03", "04", "05"):
        r = await form(world, p, did, n)
        assert r.status_code == 409 and r.json()["code"] == "not-yet", n
    # An unknown form: 404; not a form number at all: 422.
    assert (await form(world, p, did, "07")).json()["code"] == "unknown-form"
    assert (await form(world, p, did, "ab")).status_code == 422

    assert (await world.act(officer, did, "accept")).status_code == 200
    page = text((await form(world, officer, did, "01")).content)
    assert "Mẫu số 01" in page and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in page and code in page
    assert "CÔNG AN PHƯỜNG NGÔ QUYỀN" in page and "Căn cứ Nghị định số 118/2025/NĐ-CP" in page
    # The receipt route is form 01.
    receipt = await world.sub.get(f"{S}/dossiers/{did}/receipt", headers=p["h"])
    assert receipt.status_code == 200 and "Mẫu số 01" in text(receipt.content)

    r = await world.act(
        officer, did, "request-supplement", {"items": ["Bản sao sổ hộ khẩu"], "reason": "Thiếu giấy tờ"}
    )
    assert r.status_code == 200, r.text
    page = text((await form(world, p, did, "02")).content)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in page
    assert "1. Bản sao sổ hộ khẩu" in page and "Lý do: Thiếu giấy tờ" in page

    # An apology (what the workflow's apologise records) makes form 04.
    accepted = datetime.fromisoformat(r.json()["accepted_at"])
    old, new = accepted + timedelta(days=3), accepted + timedelta(days=6)
    apology = {
        "at": accepted + timedelta(days=2),
        "reason": "Chờ ý kiến cơ quan liên quan",
        "old_appointment_at": old,
        "new_appointment_at": new,
        "by": {"id": officer["id"], "name": "Trần Văn Tiếp"},
    }
    db = world.sub.app.state.runtime.db
    await db.dossiers.update_one({"_id": did}, {"$push": {"apologies": apology}, "$inc": {"rev": 1}})
    page = text((await form(world, p, did, "04")).content)
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in page
    assert "Chờ ý kiến cơ quan liên quan" in page and f"ngày {new.astimezone(VN):%d} tháng" in page

    assert (await world.act(officer, did, "stop", {"reason": "Người nộp đề nghị dừng"})).status_code == 200
    page = text((await form(world, p, did, "05")).content)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in page and "Người nộp đề nghị dừng" in page

    # Nobody else: another citizen, another agency's officer, the administrator (not staff of it).
    stranger, other = await world.citizen(), await world.officer([OTHER])
    for who in (stranger, other, {"h": await world.admin()}):
        assert (await form(world, who, did, "06")).status_code == 404
    assert (await world.sub.get(f"{S}/dossiers/{did}/forms/06")).status_code == 401


async def test_the_refusal_paper(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    did = (await world.submitted(p))["id"]
    assert (await world.act(officer, did, "refuse", {"reason": "Không thuộc thẩm quyền"})).status_code == 200
    page = text((await form(world, p, did, "03")).content)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in page and "Không thuộc thẩm quyền" in page
    assert (await form(world, p, did, "01")).status_code == 409


async def test_the_register_of_dossiers_for_the_agencys_staff(world):
    p, officer = await world.citizen(), await world.officer([WARD])
    d = await world.submitted(p)
    await world.act(officer, d["id"], "accept")
    today = datetime.now(UTC).astimezone(VN).date()
    url = f"{S}/agencies/{WARD}/register.xlsx"

    r = await world.sub.get(url, headers=officer["h"])  # this month by default
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert r.headers["cache-control"] == "private, no-store"
    assert f"so-theo-doi-ho-so-{WARD}-{today:%Y%m}01-" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    assert cells[3][0] == "SỔ THEO DÕI HỒ SƠ" and cells[2][-1] == "Mẫu số 07"
    assert cells[5] == [
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
    ]
    row = next(c for c in cells[6:] if c[1] == d["code"])
    assert row[2] == "Đăng ký tạm trú" and row[3] == "Đặng Thị Mai" and row[5] == p["phone"]
    assert row[6] == "Công an phường Ngô Quyền" and isinstance(row[7], datetime)
    assert row[8] is not None and row[11] == "Đang giải quyết"
    numbers = [c[0] for c in cells[6:]]
    assert numbers == list(range(1, len(numbers) + 1))

    # A period that holds none of it; the administrator may read any agency's.
    r = await world.sub.get(
        url, params={"from": "2020-01-01", "to": "2020-01-31"}, headers=await world.admin()
    )
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    assert len(list(ws.iter_rows(values_only=True))) == 6  # the title and the header only

    # Nobody else; no period longer than the cap, none backwards; an agency nobody knows.
    other = await world.officer([OTHER])
    assert (await world.sub.get(url, headers=other["h"])).status_code == 403
    assert (await world.sub.get(url, headers=p["h"])).status_code == 403
    assert (await world.sub.get(url)).status_code == 401
    long = {"from": "2025-01-01", "to": "2026-06-01"}
    assert (await world.sub.get(url, params=long, headers=officer["h"])).status_code == 422
    backwards = {"from": "2026-02-01", "to": "2026-01-01"}
    assert (await world.sub.get(url, params=backwards, headers=officer["h"])).status_code == 422
    unknown = f"{S}/agencies/999.99.Z9.H26/register.xlsx"
    assert (await world.sub.get(unknown, headers=await world.admin())).status_code == 404
