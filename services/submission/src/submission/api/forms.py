"""HTTP routes of the official papers (Circular 03/2025/TT-VPCP, Phụ lục I): a dossier's papers, forms 01
to 06, as PDFs, and an agency's register of dossiers, form 07, as a spreadsheet (mounted under
/api/v1/submissions)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import StreamingResponse

from dvckit.apidoc import problems
from dvckit.httputil import content_disposition

from .deps import Caller, Id, Svc
from .schemas import AGENCY_CODE

router = APIRouter()
PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX = {200: {"content": {XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}}}}
PRIVATE = "private, no-store"
Form = Annotated[
    str,
    Path(
        pattern=r"^\d{2}$",
        description="01 giấy tiếp nhận và hẹn trả kết quả; 02 phiếu yêu cầu bổ sung, hoàn thiện hồ sơ; "
        "03 phiếu từ chối tiếp nhận; 04 văn bản xin lỗi và đề nghị gia hạn; 05 thông báo dừng giải quyết; "
        "06 phiếu kiểm soát quá trình giải quyết hồ sơ",
        examples=["06"],
    ),
]
AgencyCode = Annotated[str, Path(pattern=rf"^{AGENCY_CODE}$", examples=["000.01.G5.H26"])]


@router.get(
    "/dossiers/{dossier_id}/forms/{form}",
    tags=["following"],
    response_class=Response,
    summary="Giấy tờ theo Thông tư 03/2025/TT-VPCP (PDF) / a dossier's official paper, forms 01-06",
    description="The owner and the dossier's agency's staff may fetch a paper once the dossier has it: 01 "
    "once accepted; 02 after a supplement or completion request (the latest); 03 when refused; 04 after an "
    "apology (the latest); 05 when stopped; 06 once filed.",
    responses=PDF
    | problems(
        (404, "Không có hồ sơ, không thuộc người gọi, hoặc không có mẫu này / no such dossier or form"),
        (409, "Hồ sơ chưa có giấy tờ này / the dossier does not have this paper yet"),
        (503, "Đang tạo quá nhiều giấy tờ, thử lại sau / too many papers being drawn, retry"),
    ),
)
async def paper(dossier_id: Id, form: Form, who: Caller, s: Svc) -> Response:
    d, pdf = await s.papers.paper(who, dossier_id, form)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": content_disposition(f"mau-{form}-{d.code}.pdf"),
            "Cache-Control": PRIVATE,
        },
    )


@router.get(
    "/agencies/{code}/register.xlsx",
    tags=["officer"],
    response_class=StreamingResponse,
    summary="Sổ theo dõi hồ sơ (mẫu 07, Excel) / an agency's register of dossiers",
    description="The dossiers filed at the agency from `from` to `to` (days in Vietnam, both included; this "
    "month by default; at most 366 days), in the order filed. For the agency's staff and administrators.",
    responses=XLSX
    | problems(
        (
            403,
            "Không phải cán bộ của cơ quan hoặc quản trị viên / not the agency's staff nor an administrator",
        ),
        (404, "Không có cơ quan này / no such agency"),
        (422, "Khoảng ngày không hợp lệ / an invalid period"),
        (503, "Đang lập quá nhiều sổ, thử lại sau / too many registers being written, retry"),
    ),
)
async def register(
    code: AgencyCode,
    who: Caller,
    s: Svc,
    start: Annotated[date | None, Query(alias="from", description="Từ ngày / first day (YYYY-MM-DD)")] = None,
    end: Annotated[date | None, Query(alias="to", description="Đến ngày / last day (YYYY-MM-DD)")] = None,
) -> Response:
    got = await s.papers.register(who, code, start, end)
    return StreamingResponse(
        got.chunks,
        media_type=XLSX_TYPE,
        headers={
            "Content-Length": str(got.size),
            "Content-Disposition": content_disposition(got.filename),
            "Cache-Control": PRIVATE,
        },
    )
