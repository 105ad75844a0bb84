from __future__ import annotations

import pytest

from dvckit.vn import ZONE, fold, unaccented, vnd


@pytest.mark.parametrize(
    ("text", "plain"),
    [("Đăng ký tạm trú", "Dang ky tam tru"), ("Ủy BAN", "Uy BAN"), ("đồng", "dong"), ("abc", "abc")],
)
def test_unaccented_drops_marks_and_keeps_case(text, plain):
    assert unaccented(text) == plain


@pytest.mark.parametrize(
    "text", ["Ủy ban nhân dân", "UỶ BAN  NHÂN DÂN", " uy ban nhan dan ", "Uỷ ban nhân dân"]
)
def test_fold_is_one_key_for_every_spelling(text):
    assert fold(text) == "uy ban nhan dan"


def test_fold_tells_different_words_apart():
    assert fold("Sở Tư pháp") != fold("Sở Tài chính")
    assert fold("Đà Nẵng") == "da nang"


@pytest.mark.parametrize(
    ("amount", "text"),
    [(0, "0 đ"), (1, "1 đ"), (999, "999 đ"), (1000, "1.000 đ"), (1_250_000, "1.250.000 đ")],
)
def test_vnd_puts_dots_between_thousands(amount, text):
    assert vnd(amount) == text


def test_vnd_in_full_for_documents():
    assert vnd(7000, unit="đồng") == "7.000 đồng"


def test_the_zone_is_vietnam_without_daylight_saving():
    from datetime import datetime

    assert datetime(2026, 1, 1, tzinfo=ZONE).utcoffset().total_seconds() == 7 * 3600
    assert datetime(2026, 7, 1, tzinfo=ZONE).utcoffset().total_seconds() == 7 * 3600
