"""Amounts of đồng in Vietnamese words, as the e-receipt writes them ("Số tiền bằng chữ")."""

from __future__ import annotations

import pytest

from dvckit.money_words import vnd_in_words

CASES = [
    (0, "Không đồng"),
    (1, "Một đồng"),
    (4, "Bốn đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (20, "Hai mươi đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (99, "Chín mươi chín đồng"),
    (100, "Một trăm đồng"),
    (101, "Một trăm linh một đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (115, "Một trăm mười lăm đồng"),
    (1_000, "Một nghìn đồng"),
    (1_005, "Một nghìn không trăm linh năm đồng"),
    (2_000, "Hai nghìn đồng"),
    (7_000, "Bảy nghìn đồng"),
    (10_500, "Mười nghìn năm trăm đồng"),
    (21_000, "Hai mươi mốt nghìn đồng"),
    (125_000, "Một trăm hai mươi lăm nghìn đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
    (15_500_000, "Mười lăm triệu năm trăm nghìn đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_250_000_000, "Một tỷ hai trăm năm mươi triệu đồng"),
    (2_000_000_001, "Hai tỷ không trăm linh một đồng"),
    (3_000_050_000, "Ba tỷ không trăm năm mươi nghìn đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
    (1_005_000_000_000, "Một nghìn không trăm linh năm tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), CASES)
def test_amounts_read_as_a_receipt_writes_them(amount, words):
    assert vnd_in_words(amount) == words


@pytest.mark.parametrize("bad", [-1, 1.5, True, "7000"])
def test_only_whole_non_negative_amounts(bad):
    with pytest.raises((TypeError, ValueError)):
        vnd_in_words(bad)
