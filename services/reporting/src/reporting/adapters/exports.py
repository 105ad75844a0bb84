"""The indexes as files: a workbook (XLSX, openpyxl) and CSV (UTF-8 with a byte-order mark, so that
spreadsheet programs read the Vietnamese right). Vietnamese names first, English beside them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ..domain.indexes import COUNT_NAMES, SCORE_NAMES

HEADER = (
    "Loại / kind",
    "Mã / key",
    "Tên",
    "Name",
    "Tối đa / max",
    "Tử số / numerator",
    "Mẫu số / denominator",
    "Tỷ lệ / ratio",
    "Giá trị / value",
)


def rows(report: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The report as rows: the score, each index and its components, then every count."""
    yield ("score", "score", "Điểm tổng hợp", "Score", report["max"], None, None, None, report["score"])
    for index in report["indexes"]:
        n = index["name"]
        yield ("index", index["key"], n["vi"], n["en"], index["max"], None, None, None, index["value"])
        for c in index["components"]:
            cn = c["name"]
            yield (
                "component",
                c["key"],
                cn["vi"],
                cn["en"],
                c["max"],
                c["numerator"],
                c["denominator"],
                c["ratio"],
                c["value"],
            )
    for key, value in report["counts"].items():
        name = COUNT_NAMES[key]
        if key == "rating_avg":
            for k, v in (value or {}).items():
                sn = SCORE_NAMES[k]
                yield (
                    "count",
                    f"rating_avg.{k}",
                    f"{name.vi}: {sn.vi}",
                    f"{name.en}: {sn.en}",
                    None,
                    None,
                    None,
                    None,
                    v,
                )
            if not value:
                yield ("count", key, name.vi, name.en, None, None, None, None, None)
        else:
            yield ("count", key, name.vi, name.en, None, None, None, None, value)


def heading(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    unit = report["unit"]
    return [
        ("Đơn vị / unit", f"{unit['name']} ({unit['key']})"),
        ("Từ ngày / from", report["from"]),
        ("Đến ngày / to", report["to"]),
        ("Lĩnh vực / field", report["field"] or "Tất cả / all"),
        ("Số liệu đến / as of", report["as_of"].isoformat()),
    ]


def to_csv(report: Mapping[str, Any]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out)
    for k, v in heading(report):
        w.writerow([k, v])
    w.writerow([])
    w.writerow(HEADER)
    for r in rows(report):
        w.writerow(["" if x is None else x for x in r])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: Mapping[str, Any]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Chi so"
    bold = Font(bold=True)
    ws.append(["Chỉ số đánh giá chất lượng phục vụ (Quyết định 766/QĐ-TTg) / Service-quality indexes"])
    ws["A1"].font = bold
    for k, v in heading(report):
        ws.append([k, v])
    ws.append([])
    ws.append(list(HEADER))
    for cell in ws[ws.max_row]:
        cell.font = bold
    for r in rows(report):
        ws.append(list(r))
    for col, width in zip("ABCDEFGHI", (12, 24, 48, 40, 10, 12, 12, 10, 10), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
