"""Catalogue facts the services' tests file against: one copy of what the national catalogue says of
"Đăng ký tạm trú" (1.004194), each test suite adding the components and popularity it needs."""

from __future__ import annotations

from typing import Any

TEMPORARY_RESIDENCE: dict[str, Any] = {
    "code": "1.004194",
    "name": "Đăng ký tạm trú",
    "field": "Đăng ký, quản lý cư trú",
    "agencies": ["Công an cấp xã"],
    "levels": ["commune"],
    "processing_time": {"value": 3, "unit": "working_day", "text": "3 Ngày làm việc"},
    "fees": [
        {
            "name": "Lệ phí đăng ký tạm trú (trực tuyến)",
            "amount": 7000,
            "when": "on_submit",
            "channel": "online",
        },
        {"name": "Lệ phí đăng ký tạm trú (trực tiếp)", "amount": 10000, "channel": "in_person"},
    ],
    "detailed": True,
}


def procedure(**over: Any) -> dict[str, Any]:
    """Đăng ký tạm trú with ``over`` replacing or adding fields (another code and name make a sibling)."""
    return {**TEMPORARY_RESIDENCE, **over}
