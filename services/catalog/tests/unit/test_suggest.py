"""As-you-type suggestions: prefixes, folding, ranking (domain/suggest.py)."""

from __future__ import annotations

import pytest

from catalog.domain.suggest import Query, SuggestIndex, folded_words

NAMES = [
    ("1.004194", "Đăng ký tạm trú", 15_539_622),
    ("1.010028", "Xóa đăng ký tạm trú", 385_846),
    ("1.002755", "Gia hạn tạm trú", 705_135),
    ("1.004222", "Đăng ký thường trú", 8_781_419),
    ("1.001193", "Thủ tục đăng ký khai sinh", 17_610),
    ("1.003677", "Khai báo tạm vắng", 900_000),
    ("3.000348", "Cấp lại giấy phép lái xe", 53_292),
    ("2.001195", "Cấp đổi thẻ căn cước (thực hiện tại cấp tỉnh)", 3_013_321),
    ("9.000001", "Quyết định công nhận", 10),
    ("9.000002", "Tạm dừng hoạt động", 0),
]


@pytest.fixture(scope="module")
def index() -> SuggestIndex:
    return SuggestIndex.build(NAMES)


def codes(index: SuggestIndex, q: str, limit: int = 8) -> list[str]:
    return [s.code for s in index.suggest(q, limit)]


def test_folding() -> None:
    assert folded_words("Đăng ký (tạm trú)/Quý") == ["dang", "ky", "tam", "tru", "quy"]


@pytest.mark.parametrize("q", ["", "a", "đ", " t ", "()"])
def test_too_short_gives_nothing(index: SuggestIndex, q: str) -> None:
    assert Query.parse(q) is None
    assert index.suggest(q) == []


def test_prefix_of_any_word_with_or_without_diacritics(index: SuggestIndex) -> None:
    assert codes(index, "tạ") == codes(index, "ta")
    got = codes(index, "ta")
    # every name with a word starting "ta"/"tạ", none other
    assert set(got) == {"1.004194", "1.010028", "1.002755", "1.003677", "9.000002", "2.001195"}
    assert "1.004222" not in got  # thường trú: no word starts with "ta"


def test_earlier_words_whole_last_a_prefix(index: SuggestIndex) -> None:
    # "t": tạm, thường, and the "Thủ tục" of "Thủ tục đăng ký khai sinh"
    assert codes(index, "dang ky t") == ["1.004194", "1.004222", "1.010028", "1.001193"]
    assert codes(index, "đăng ký tạm") == ["1.004194", "1.010028"]
    assert codes(index, "dan ky") == []  # "dan" is not a whole word of any name
    assert codes(index, "tam dang") == ["1.004194", "1.010028"]  # any order


def test_a_trailing_space_makes_the_last_word_whole(index: SuggestIndex) -> None:
    assert "2.001195" in codes(index, "ta")  # "tại"
    assert "2.001195" not in codes(index, "ta ")
    assert codes(index, "tam ") == codes(index, "tam")
    assert codes(index, "tru ") == ["1.004194", "1.004222", "1.002755", "1.010028"]
    assert codes(index, "tr ") == []


def test_ky_and_ki_are_one(index: SuggestIndex) -> None:
    assert codes(index, "dang ki t") == codes(index, "dang ky t")
    assert codes(index, "đăng kí") == codes(index, "dang ky")
    assert codes(index, "quy") == ["9.000001"]  # "quy" the start of "quyết" (not unified to "qui")


def test_popularity_ranks(index: SuggestIndex) -> None:
    assert codes(index, "tr")[:2] == ["1.004194", "1.004222"]


def test_an_early_match_outranks_a_little_more_popularity(index: SuggestIndex) -> None:
    # "Khai báo tạm vắng" starts with it; in "Thủ tục đăng ký khai sinh" it is the third word (after
    # "Thủ tục", which does not count) and the procedure is much less popular.
    assert codes(index, "kha") == ["1.003677", "1.001193"]
    idx = SuggestIndex.build([("a", "Xác nhận đăng ký", 1000), ("b", "Đăng ký xác nhận", 600)])
    assert codes(idx, "dang") == ["b", "a"]


def test_words_in_order_side_by_side_rank_first() -> None:
    idx = SuggestIndex.build([("a", "Tạm trú đăng ký", 1000), ("b", "Đăng ký tạm trú", 100)])
    assert codes(idx, "dang ky ta") == ["b", "a"]


def test_limit_and_ties_by_code(index: SuggestIndex) -> None:
    assert len(index.suggest("ta", 2)) == 2
    idx = SuggestIndex.build([("2", "Cấp phép", 5), ("1", "Cấp phép", 5)])
    assert codes(idx, "cap") == ["1", "2"]


def test_the_early_stop_gives_what_a_full_scan_gives() -> None:
    names = [(f"{i:05}", f"Thủ tục số {i} về {w}", i * 37 % 1000) for i, w in enumerate(["đất", "nhà"] * 200)]
    idx = SuggestIndex.build(names)
    for q in ["th", "ve da", "so", "nh", "dat ", "thu tuc so"]:
        qq = Query.parse(q)
        assert qq is not None
        scored = []
        for n in idx._names:
            if qq.matches(n):
                score = n.log_pop - 0.6 * min(qq.position(n), 6) + (1.0 if qq.in_order(n) else 0.0)
                scored.append((-round(score, 3), n.code))
        assert [s.code for s in idx.suggest(q, 5)] == [c for _s, c in sorted(scored)[:5]], q


def test_empty_index() -> None:
    assert SuggestIndex.build([]).suggest("dang") == []
