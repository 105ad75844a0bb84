"""Dataset B: detailed records (``chatbot_tthc/raw/<ministry>/<code>.json``).

The portal's HTML tables were flattened into text with the cells run together; this module recovers
the structure: dossier components, channels with times and fees, steps, legal basis, results.
Every function here is pure (text in, model objects out); each parser is a module of its own:
``components`` (dossier components), ``channels`` (channels, times, fees), ``steps``, ``legal`` (legal
basis), ``results``. This module reads a whole record and the folder of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog.domain.model import ChannelInfo, Component, Duration, Fee, LegalDoc, ResultDoc

from ..agencies import levels_from_agencies, levels_from_cap, split_agencies
from ..text import block, clean, nfc, value
from .channels import build_channels, procedure_fees, processing_time, split_channel_rows
from .components import conditions_with_notes, parse_dossier
from .legal import parse_legal_basis
from .results import parse_results
from .steps import parse_steps

RAW_DIR = Path("chatbot_tthc") / "raw"
CODE_RE = re.compile(r"^\d\.\d{6}$")
INTERNAL_PREFIXES = ("5.", "6.")  # TTHC nội bộ: not for citizens

MINISTRY_BY_FOLDER = {
    "bo-cong-an": "Bộ Công an",
    "bo-nong-nghiep-mt": "Bộ Nông nghiệp và Môi trường",
    "bo-tai-chinh": "Bộ Tài chính",
    "bo-tu-phap": "Bộ Tư pháp",
    "bo-xay-dung": "Bộ Xây dựng",
    "ngan-hang-nha-nuoc": "Ngân hàng Nhà nước Việt Nam",
    "toa-an-nhan-dan": "Tòa án nhân dân tối cao",
}


def is_internal(code: str) -> bool:
    return code.startswith(INTERNAL_PREFIXES)


# Corrupt records: the crawler landed on another procedure's page.

_PAGE_CODE = re.compile(r"Mã thủ tục\s*(\d\.\d{6})")


def page_code(raw_text: str | None) -> str | None:
    """The code printed on the crawled page ("…Mã thủ tục1.004194Số quyết định…")."""
    m = _PAGE_CODE.search(nfc(raw_text))
    return m.group(1) if m else None


def is_corrupt(record: dict[str, Any]) -> bool:
    """The page's own code differs from the record's code: the details belong to another procedure."""
    code = clean(record.get("ma_thu_tuc"))
    found = page_code(record.get("raw_text"))
    return found is not None and found != code


# One record
@dataclass
class DetailRecord:
    code: str
    name: str | None
    field: str | None
    ministry: str | None
    agencies: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    channels: list[ChannelInfo] = field(default_factory=list)
    processing_time: Duration | None = None
    fees: list[Fee] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    legal_basis: list[LegalDoc] = field(default_factory=list)
    results: list[ResultDoc] = field(default_factory=list)
    conditions: str | None = None
    audience: str | None = None
    decision: str | None = None

    @property
    def online(self) -> bool:
        return any(ch.kind == "online" for ch in self.channels)

    @property
    def detailed(self) -> bool:
        return bool(self.components) and self.processing_time is not None and bool(self.fees)


# Declarations filed with the tax and customs authorities have no processing deadline: the portal shows a
# placeholder number there, which must not become "1 working day".
DECLARATION_FIELDS = frozenset({"Thuế", "Hải quan"})


def parse_record(raw: dict[str, Any], folder: str | None = None) -> DetailRecord:
    code = clean(raw.get("ma_thu_tuc"))
    agencies = split_agencies(raw.get("co_quan_thuc_hien"))
    if not agencies:  # empty or "Không có thông tin": the competent agency instead
        agencies = split_agencies(raw.get("co_quan_co_tham_quyen"))
    levels = levels_from_cap(raw.get("cap_thuc_hien")) or levels_from_agencies(agencies)
    rows = split_channel_rows(
        raw.get("cach_thuc_thuc_hien"), (raw.get("trinh_tu_thuc_hien"), raw.get("yeu_cau_dieu_kien"))
    )
    if value(raw.get("linh_vuc")) not in DECLARATION_FIELDS:
        for row in rows:
            if row.time_value is not None and row.time_unit is None:
                # Nothing in the record gives the unit: TTHC deadlines are set in working days (Decree
                # 118/2025), which is the portal's unit when it shows one for these same procedures.
                row.time_unit = "working_day"
    channels = build_channels(rows)
    components, notes = parse_dossier(code, raw.get("thanh_phan_ho_so"))
    return DetailRecord(
        code=code,
        name=value(raw.get("ten_thu_tuc")),
        field=value(raw.get("linh_vuc")),
        ministry=MINISTRY_BY_FOLDER.get(folder or ""),
        agencies=agencies,
        levels=levels,
        channels=channels,
        processing_time=processing_time(channels),
        fees=procedure_fees(channels),
        components=components,
        steps=parse_steps(raw.get("trinh_tu_thuc_hien")),
        legal_basis=parse_legal_basis(raw.get("can_cu_phap_ly")),
        results=parse_results(raw.get("ket_qua_xu_ly")),
        conditions=conditions_with_notes(block(raw.get("yeu_cau_dieu_kien")), notes),
        audience=value(raw.get("doi_tuong_thuc_hien")),
        decision=value(raw.get("so_quyet_dinh")),
    )


@dataclass
class DetailLoad:
    records: dict[str, DetailRecord] = field(default_factory=dict)
    internal: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)


def load(source: Path) -> DetailLoad:
    """Every ``raw/<ministry>/<code>.json``, in path order; internal (5.x, 6.x) and corrupt records are
    listed, not parsed."""
    out = DetailLoad()
    root = source / RAW_DIR
    if not root.is_dir():
        return out
    for path in sorted(root.glob("*/*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        code = clean(raw.get("ma_thu_tuc"))
        if not CODE_RE.match(code):
            continue
        if is_internal(code):
            out.internal.append(code)
            continue
        if is_corrupt(raw):
            out.corrupt.append(code)
            continue
        if code not in out.records:
            out.records[code] = parse_record(raw, path.parent.name)
    return out
