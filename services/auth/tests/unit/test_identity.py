"""Vietnamese identifiers and login names: citizen IDs, mobile numbers, usernames, full names, and which
account field a login name is looked up in."""

from __future__ import annotations

import pytest

from auth.domain.identity import (
    check_citizen_id,
    check_username,
    classify_login,
    clean_name,
    login_fields,
    login_name,
    normalize_phone,
)
from dvckit.errors import Invalid, Text


def refusal(fn, raw: str) -> Text:
    with pytest.raises(Invalid) as caught:
        fn(raw)
    return caught.value.text


# -- citizen ID ------------------------------------------------------------------------------------------


def test_a_citizen_id_is_twelve_digits_kept_as_given_without_surrounding_spaces():
    assert check_citizen_id(" 031099001234 ") == "031099001234"


@pytest.mark.parametrize("raw", ["03109900123", "0310990012345", "03109900123a", "0310 9900 1234", ""])
def test_anything_but_twelve_digits_is_not_a_citizen_id(raw):
    assert refusal(check_citizen_id, raw) == Text(
        "Số định danh cá nhân phải gồm 12 chữ số", "A citizen ID has 12 digits"
    )


# -- mobile numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0312345678", "0312345678"),  # every mobile prefix: 3, 5, 7, 8, 9
        ("0512345678", "0512345678"),
        ("0712345678", "0712345678"),
        ("0812345678", "0812345678"),
        ("0912345678", "0912345678"),
        ("+84 912-345-678", "0912345678"),
        ("84 (912) 345.678", "0912345678"),
    ],
)
def test_mobile_numbers_are_stored_in_the_national_form(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["0412345678", "0612345678", "0112345678", "+85912345678", "0912 345 67x"])
def test_other_prefixes_are_not_vietnamese_mobiles(raw):
    assert refusal(normalize_phone, raw) == Text(
        "Số điện thoại di động không hợp lệ", "Invalid Vietnamese mobile number"
    )


# -- usernames ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("abc", "abc"),  # 3 characters: the shortest
        ("a" * 80, "a" * 80),  # 80: the longest
        (" Quan.Tri_01-x ", "quan.tri_01-x"),
        ("Admin@SoTP.HaiPhong.gov.vn", "admin@sotp.haiphong.gov.vn"),  # shaped like an email
        ("cb.mot-cua@phuong-ngo-quyen", "cb.mot-cua@phuong-ngo-quyen"),
    ],
)
def test_a_username_is_3_to_80_lower_case_letters_digits_dots_dashes_or_underscores(raw, expected):
    assert check_username(raw) == expected


@pytest.mark.parametrize(
    "raw", ["ab", "a" * 81, "1abc", "quản", "a b", "a@", "a@b@c", "@abc", "a@.vn", "a@b..vn", "a@b_c"]
)
def test_other_usernames_are_refused(raw):
    assert refusal(check_username, raw) == Text(
        "Tên đăng nhập gồm 3–80 chữ cái không dấu, số, dấu chấm, gạch, có thể có dạng email",
        "A username has 3-80 letters, digits, dots, dashes or underscores, or looks like an email",
    )


# -- full names ----------------------------------------------------------------------------------------------


def test_a_full_name_is_nfc_with_single_spaces():
    assert clean_name("  Nguye\u0302\u0303n   Thi\u0323  Lan ") == "Nguyễn Thị Lan"


@pytest.mark.parametrize("raw", ["", "   ", "123", "-- .."])
def test_a_full_name_needs_a_letter(raw):
    assert refusal(clean_name, raw) == Text("Họ và tên không hợp lệ", "Invalid full name")


# -- login names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field", "value"),
    [
        (" 031099001234 ", "citizen_id", "031099001234"),
        ("0912 345 678", "phone", "0912345678"),
        ("+84912345678", "phone", "0912345678"),
        ("Thu.Vu@Example.VN", "email", "thu.vu@example.vn"),
        ("@", "email", "@"),
        ("Quan.Tri", "username", "quan.tri"),
        ("03109900123", "username", "03109900123"),  # 11 digits: neither an ID nor a mobile number
    ],
)
def test_a_login_name_is_looked_up_in_the_field_it_looks_like(raw, field, value):
    assert classify_login(raw) == (field, value)


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        # "@": an email first, then a username shaped like one (a staff account, the first administrator).
        ("Admin@SoTP.gov.vn", [("email", "admin@sotp.gov.vn"), ("username", "admin@sotp.gov.vn")]),
        ("031099001234", [("citizen_id", "031099001234")]),  # usernames start with a letter
        ("0912.345.678", [("phone", "0912345678")]),
        ("quan.tri", [("username", "quan.tri")]),
    ],
)
def test_a_login_name_is_looked_up_in_every_field_it_may_be(raw, fields):
    assert login_fields(raw) == fields and classify_login(raw) == fields[0]


def test_a_login_name_typed_with_decomposed_accents_is_compared_in_nfc():
    assert classify_login("Thu\u0301y@example.vn") == ("email", "thúy@example.vn")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("quan.tri", ("username", "quan.tri")),
        ("Admin@Example.vn", ("email", "admin@example.vn")),
        ("+84 912 345 678", ("phone", "0912345678")),
        ("031099001234", ("citizen_id", "031099001234")),
    ],
)
def test_an_account_is_given_a_login_name_in_the_field_sign_in_will_look_in(raw, expected):
    assert login_name(raw) == expected == classify_login(raw)


@pytest.mark.parametrize("raw", ["a b", "ab", "quản trị"])
def test_a_username_that_could_not_be_typed_back_is_refused(raw):
    with pytest.raises(Invalid):
        login_name(raw)


@pytest.mark.parametrize("raw", ["@", "x@y", "a@b c.vn", "@example.vn"])
def test_an_email_login_name_must_be_an_address(raw):
    assert refusal(login_name, raw) == Text("Địa chỉ email không hợp lệ", "Invalid email address")
