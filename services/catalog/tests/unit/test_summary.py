"""What a list of procedures shows about each: the fee summary in đồng and the list item."""

from __future__ import annotations

import pytest

from catalog.domain.model import Procedure
from catalog.domain.summary import fee_summary, list_item, vnd


def procedure(**fields) -> Procedure:
    return Procedure.model_validate(
        {
            "code": "1.004194",
            "name": "Đăng ký tạm trú",
            "field": "Đăng ký, quản lý cư trú",
            "agencies": [],
            **fields,
        }
    )


def fees(*amounts: int) -> list[dict]:
    return [{"name": f"Lệ phí {i}", "amount": a} for i, a in enumerate(amounts)]


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0 đ"),
        (500, "500 đ"),
        (7_000, "7.000 đ"),
        (1_250_000, "1.250.000 đ"),
        (10**12, "1.000.000.000.000 đ"),
    ],
)
def test_amounts_are_written_the_vietnamese_way(amount, text):
    assert vnd(amount) == text


@pytest.mark.parametrize(
    ("amounts", "summary"),
    [
        ((), None),  # the catalogue does not say
        ((0,), "Miễn phí"),
        ((0, 0), "Miễn phí"),
        ((7_000,), "7.000 đ"),
        ((1,), "1 đ"),  # the smallest amount is still paid
        ((0, 1), "Miễn phí – 1 đ"),
        ((7_000, 7_000), "7.000 đ"),
        ((10_000, 7_000), "7.000 đ – 10.000 đ"),  # lowest to highest
        ((10_000, 7_000, 8_500), "7.000 đ – 10.000 đ"),
        ((0, 7_000), "Miễn phí – 7.000 đ"),  # free one way, paid the other
        ((7_000, 0), "Miễn phí – 7.000 đ"),
        ((0, 7_000, 10_000), "7.000 đ – 10.000 đ"),
    ],
)
def test_the_fee_summary(amounts, summary):
    assert fee_summary(procedure(fees=fees(*amounts))) == summary


def test_a_list_item_shows_the_primary_agency_and_level_the_time_and_the_fees():
    p = procedure(
        agencies=["Công an cấp xã", "Công an cấp tỉnh"],
        levels=["commune", "city"],
        online_level="full",
        processing_time={"value": 3, "unit": "working_day", "text": "3 Ngày làm việc"},
        fees=fees(0, 15_000),
        popularity=1234,
        version=4,
    )
    assert list_item(p) == {
        "code": "1.004194",
        "name": "Đăng ký tạm trú",
        "field": "Đăng ký, quản lý cư trú",
        "agency": "Công an cấp xã",
        "agencies": ["Công an cấp xã", "Công an cấp tỉnh"],
        "levels": ["commune", "city"],
        "level": "commune",
        "online_level": "full",
        "fileable": True,
        "processing_time": "3 Ngày làm việc",
        "working_days": 3,
        "fee_summary": "Miễn phí – 15.000 đ",
        "popularity": 1234,
        "version": 4,
    }


def test_a_list_item_says_nothing_it_does_not_know():
    item = list_item(procedure())
    assert item["agency"] is None and item["level"] is None
    assert item["processing_time"] is None and item["working_days"] is None and item["fee_summary"] is None
    assert item["fileable"] is False and item["agencies"] == [] and item["levels"] == []
