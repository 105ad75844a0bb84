"""How a search is folded and expanded (docs/catalog.md): one test per rule, so that deleting a rule, an
abbreviation or an everyday name is noticed (the recall test over the evaluation set has slack)."""

from __future__ import annotations

import pytest

from catalog.domain.text import (
    ABBREVIATIONS,
    COLLOQUIAL,
    looks_like_code,
    markers,
    search_key,
    strip_marks,
    variant,
    within_one_edit,
    words,
)

# -- diacritics and spelling variants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stripped"),
    [
        ("Đăng ký tạm trú", "dang ky tam tru"),
        ("ĐƯỜNG Lê Lợi", "duong le loi"),
        ("Nghi\u0303a vu\u0323 quân sự", "nghia vu quan su"),  # decomposed input
        ("abc 123", "abc 123"),
    ],
)
def test_marks_and_case_are_stripped_and_d_stroke_becomes_d(text, stripped):
    assert strip_marks(text) == stripped


@pytest.mark.parametrize(
    ("word", "spelled"),
    [
        ("ky", "ki"),  # ký / kí
        ("ly", "li"),  # lý / lí
        ("my", "mi"),  # mỹ / mĩ
        ("hy", "hi"),
        ("quy", "qui"),  # quy / qui: after "qu" too
        ("ki", "ki"),
        ("y", "y"),  # y alone (y tế) is a word of its own
        ("uy", "uy"),  # after a vowel y stays: ủy, thủy, tây, đầy
        ("thuy", "thuy"),
        ("tay", "tay"),
        ("xy", "xi"),
        ("day", "day"),
    ],
)
def test_y_after_a_consonant_is_spelled_i(word, spelled):
    assert variant(word) == spelled


def test_diacritics_and_i_or_y_are_optional_both_ways():
    expected = ["dang", "ki", "tam", "tru"]
    assert words("Đăng ký tạm trú") == words("dang ky tam tru") == words("DANG KI TAM TRU") == expected


def test_punctuation_separates_words():
    assert words("Cấp/đổi, (lại)giấy-phép!") == ["cap", "doi", "lai", "giay", "phep"]
    assert words("  ") == [] and words("...") == []


def test_fold_is_the_indexed_words_in_one_string():
    assert search_key("Thủ tục đăng ký kết hôn") == "thu tuc dang ki ket hon"


# -- abbreviations: each one, written as citizens type it, finds the words the catalogue uses ----------------

EXPANSIONS = [
    ("BHXH", "bảo hiểm xã hội"),
    ("BHYT", "bảo hiểm y tế"),
    ("BHTN", "bảo hiểm thất nghiệp"),
    ("CCCD", "căn cước"),
    ("CMND", "chứng minh nhân dân"),
    ("GPLX", "giấy phép lái xe"),
    ("TNCN", "thu nhập cá nhân"),
    ("TNDN", "thu nhập doanh nghiệp"),
    ("TNHH", "trách nhiệm hữu hạn"),
    ("ĐKKD", "đăng ký kinh doanh"),
    ("GCN", "giấy chứng nhận"),
    ("QSDĐ", "quyền sử dụng đất"),
    ("GCNQSDĐ", "giấy chứng nhận quyền sử dụng đất"),
    ("HKD", "hộ kinh doanh"),
    ("HTX", "hợp tác xã"),
    ("DN", "doanh nghiệp"),
    ("MST", "mã số thuế"),
    ("GTGT", "giá trị gia tăng"),
    ("XNC", "xuất nhập cảnh"),
    ("UBND", "ủy ban nhân dân"),
    ("LLTP", "lý lịch tư pháp"),
    ("PCCC", "phòng cháy chữa cháy"),
    ("ATVSTP", "an toàn vệ sinh thực phẩm"),
    ("ATTP", "an toàn thực phẩm"),
    ("GPXD", "giấy phép xây dựng"),
    ("ĐKX", "đăng ký xe"),
    ("TTHC", "thủ tục hành chính"),
]


def test_every_abbreviation_is_tested():
    assert sorted(strip_marks(a) for a, _ in EXPANSIONS) == sorted(ABBREVIATIONS)


@pytest.mark.parametrize(("abbreviation", "full"), EXPANSIONS)
def test_an_abbreviation_finds_the_same_words_as_the_full_name(abbreviation, full):
    assert words(abbreviation) == words(full)
    assert words(abbreviation.lower()) == words(full)
    assert words(f"cấp {abbreviation} mới") == ["cap", *words(full), "moi"]


def test_an_abbreviation_is_expanded_only_as_a_whole_word():
    assert words("dnx") == ["dnx"]
    assert words("bhxhh") == ["bhxhh"]


def test_expansions_are_written_as_the_index_folds_them():
    # An expansion such as "dang ky" would never meet the indexed "dang ki" (ký is folded to ki).
    for text in [*ABBREVIATIONS.values(), *COLLOQUIAL, *COLLOQUIAL.values()]:
        assert " ".join(variant(w) for w in text.split()) == text == strip_marks(text), text


# -- everyday names: a query says what the catalogue calls it; the index keeps both -------------------------

EVERYDAY = [
    ("sổ đỏ", "giay chung nhan quyen su dung dat"),
    ("sổ hồng", "giay chung nhan quyen so huu nha o"),
    ("nhập hộ khẩu", "dang ki thuong tru"),
    ("đăng ký hộ khẩu", "dang ki thuong tru"),
    ("chuyển hộ khẩu", "chuyen thuong tru"),
    ("giấy xác nhận độc thân", "giay xac nhan tinh trang hon nhan"),
    ("xin xác nhận độc thân", "xac nhan tinh trang hon nhan"),  # "xin" is a stopword
    ("làm căn cước", "cap can cuoc"),
    ("giấy khai sinh", "khai sinh"),
    ("bằng lái", "giay phep lai xe"),
    ("hộ chiếu", "ho chieu pho thong"),
]


@pytest.mark.parametrize(("everyday", "catalogue"), EVERYDAY)
def test_a_query_in_everyday_words_asks_for_the_catalogues_words(everyday, catalogue):
    assert " ".join(words(everyday, query=True)) == catalogue


@pytest.mark.parametrize(
    ("name", "indexed"),
    [
        ("Cấp sổ đỏ", "cap so do giay chung nhan quyen su dung dat"),
        ("Sang tên sổ hồng", "sang ten so hong giay chung nhan quyen so huu nha o"),
        ("Nhập hộ khẩu", "nhap ho khau thuong tru dang ki thuong tru"),
        ("Chuyển hộ khẩu", "chuyen ho khau thuong tru"),
        ("Xin xác nhận độc thân", "xin xac nhan doc than xac nhan tinh trang hon nhan"),
        ("Làm căn cước", "lam can cuoc cap can cuoc"),
        ("Bản sao giấy khai sinh", "ban sao giay khai sinh khai sinh"),
        ("Đổi bằng lái", "doi bang lai giay phep lai xe"),
        ("Cấp hộ chiếu", "cap ho chieu ho chieu pho thong"),
    ],
)
def test_an_indexed_text_keeps_the_everyday_words_and_gains_the_catalogues(name, indexed):
    assert search_key(name) == indexed


def test_everyday_names_are_whole_phrases():
    assert words("sổ đỏng", query=True) == ["so", "dong"]
    assert words("bằng lái xe", query=True)[:4] == ["giay", "phep", "lai", "xe"]


# -- what a query leaves out -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filler",
    [
        "như thế nào",
        "ở đâu",
        "hồ sơ",
        "thủ tục",
        "là gì",
        "cần gì",
        "trực tuyến",
        "thế nào",
        "cho con",
        "cho bé",
        "cho trẻ",
    ],
)
def test_a_query_leaves_out_each_filler_phrase(filler):
    assert words(f"đăng ký kết hôn {filler}", query=True) == ["dang", "ki", "ket", "hon"]
    assert words(f"{filler} đăng ký kết hôn", query=True) == ["dang", "ki", "ket", "hon"]


@pytest.mark.parametrize(
    "stopword",
    ["làm", "xin", "muốn", "cách", "tôi", "mình", "online", "nộp", "các", "những", "của", "và", "để", "về"],
)
def test_a_query_leaves_out_each_stopword(stopword):
    assert words(f"{stopword} đăng ký kết hôn", query=True) == ["dang", "ki", "ket", "hon"]


def test_an_indexed_text_keeps_fillers_and_stopwords():
    assert words("Thủ tục nộp hồ sơ đăng ký kết hôn trực tuyến") == [
        "thu", "tuc", "nop", "ho", "so", "dang", "ki", "ket", "hon", "truc", "tuyen",
    ]  # fmt: skip


def test_fillers_are_whole_phrases():
    assert words("thủ tục hồ sơn", query=True) == ["ho", "son"]


@pytest.mark.parametrize(
    ("query", "as_typed"),
    [("thủ tục", ["thu", "tuc"]), ("làm như thế nào", ["lam", "nhu", "the", "nao"]), ("về", ["ve"])],
)
def test_a_query_of_filler_words_only_is_searched_as_typed(query, as_typed):
    assert words(query, query=True) == as_typed


# -- variant markers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "found"),
    [
        ("Cấp lại giấy phép", {"lai"}),
        ("Đổi giấy phép", {"doi"}),
        ("Xóa đăng ký thường trú", {"xoa"}),
        ("Hủy bỏ", {"huy"}),
        ("Gia hạn giấy phép", {"gia han"}),
        ("Chấm dứt hoạt động", {"cham dut"}),
        ("Thu hồi giấy phép", {"thu hoi"}),
        ("Đính chính thông tin", {"dinh chinh"}),
        ("Bổ sung thông tin", {"bo sung"}),
        ("Tạm dừng kinh doanh", {"tam dung"}),
        ("Cấp giấy phép", set()),
        ("Cấp, đổi, cấp lại", {"doi", "lai"}),
        ("Giấy phép được gia hạn", {"gia han"}),  # at the end
        ("Giang hạn", set()),  # whole words only
    ],
)
def test_the_words_that_make_a_procedure_a_variant_of_another(name, found):
    assert markers(words(name)) == found


# -- codes and typos ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "is_code"),
    [
        ("1.004194", True),
        (" 2.000123 ", True),
        ("1.00419", False),
        ("11.004194", False),
        ("1.004194a", False),
        ("", False),
    ],
)
def test_a_national_code_is_recognised(query, is_code):
    assert looks_like_code(query) is is_code


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("tam", "tam", True),  # the same
        ("tam", "tan", True),  # one letter changed
        ("tam", "tram", True),  # one letter added
        ("tram", "tam", True),  # one letter dropped
        ("tru", "truc", True),  # at the end
        ("ham", "tham", True),  # at the start
        ("khai", "kahi", True),  # two neighbours swapped
        ("khai", "ikah", False),
        ("tam", "mat", False),  # swapped, but not neighbours
        ("ab", "ca", False),  # two changes next to each other, not a swap
        ("ab", "bc", False),
        ("tam", "tim", True),
        ("tam", "tum", True),
        ("tam", "xum", False),  # two letters changed
        ("tam", "tramm", False),  # two added
        ("tam", "trym", False),  # one added, one changed
        ("xam", "ytam", False),  # one added at the start and one changed
        ("", "a", True),
        ("", "ab", False),
    ],
)
def test_a_typo_is_at_most_one_edit(a, b, close):
    assert within_one_edit(a, b) is close
    assert within_one_edit(b, a) is close
