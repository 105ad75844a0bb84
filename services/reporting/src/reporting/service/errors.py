"""Every problem the reporting use cases answer with, in one place (codes are part of the API)."""

from __future__ import annotations

from dvckit.errors import Problem, Text


def invalid(code: str, field: str, vi: str, en: str) -> Problem:
    """A 422 naming the query parameter at fault (as the platform's validation problems do)."""
    return Problem(
        422,
        code,
        Text("Tham số không hợp lệ", "Invalid parameter"),
        Text(vi, en),
        extra={"errors": [{"field": f"query.{field}", "message": vi}]},
    )


def bad_period(field: str, vi: str, en: str) -> Problem:
    return invalid("bad-period", field, vi, en)


UNKNOWN_UNIT = invalid(
    "unknown-unit", "unit", "Không có đơn vị này (city, agency:<mã>, commune:<mã xã>)", "No such unit"
)
UNKNOWN_METRIC = invalid("unknown-metric", "metric", "Không có chỉ tiêu này", "No such count or component")
NO_DOSSIERS = invalid(
    "metric-not-dossiers",
    "metric",
    "Thành phần này tính trên thủ tục, không trên hồ sơ",
    "This component counts procedures, not dossiers",
)
FORBIDDEN = Problem(
    403,
    "forbidden",
    Text("Chỉ lãnh đạo và quản trị viên được xem báo cáo", "Only leaders and administrators may see reports"),
)
UNIT_FORBIDDEN = Problem(
    403,
    "unit-forbidden",
    Text("Bạn không được xem số liệu của đơn vị này", "You may not see this unit's figures"),
)
RANKING_FORBIDDEN = Problem(
    403,
    "ranking-forbidden",
    Text(
        "Chỉ quản trị viên và lãnh đạo thành phố được xem xếp hạng",
        "Only administrators and the city's leaders may see the ranking",
    ),
)
