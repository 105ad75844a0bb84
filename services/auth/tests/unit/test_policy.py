"""The password policy (docs/auth.md): at least 12 characters, not a common password, not the holder's
own citizen ID or phone number; each refusal says which rule, in Vietnamese and English."""

from __future__ import annotations

import pytest

from auth.domain.policy import check_password
from dvckit.errors import Invalid, Text

TOO_SHORT = Text("Mật khẩu phải có ít nhất 12 ký tự", "The password needs at least 12 characters")
TOO_COMMON = Text(
    "Mật khẩu quá phổ biến, dễ bị đoán; vui lòng chọn mật khẩu khác",
    "This password is too common; please choose another",
)
OWN_NUMBER = Text(
    "Mật khẩu không được trùng số định danh hoặc số điện thoại",
    "The password must not be your citizen ID or phone number",
)


def refusal(password: str, **own: str) -> Text:
    with pytest.raises(Invalid) as caught:
        check_password(password, **own)
    return caught.value.text


def test_twelve_characters_are_enough():
    check_password("Bach-Dang-26")  # exactly 12


@pytest.mark.parametrize("password", ["", "a", "Bach-Dang-1", "Cầu-Rào-198"])  # the last two are 11
def test_fewer_than_twelve_characters_are_refused_and_the_message_says_twelve(password):
    assert refusal(password) == TOO_SHORT


@pytest.mark.parametrize("password", ["qwerty123456", "123qweasdzxc", "1qaz2wsx3edc", "leavemealone"])
def test_a_password_on_the_leaked_password_list_is_refused(password):
    assert refusal(password) == TOO_COMMON


def test_the_common_password_check_ignores_letter_case():
    assert refusal("QWERTY123456") == TOO_COMMON


def test_the_vietnamese_common_passwords_of_twelve_or_more_characters_are_refused():
    assert refusal("dichvucong123") == TOO_COMMON
    assert refusal("DichVuCong123") == TOO_COMMON


def test_a_password_that_is_the_citizen_id_is_refused():
    assert refusal("031099001234", citizen_id="031099001234") == OWN_NUMBER


def test_the_citizen_id_written_with_spaces_is_still_the_citizen_id():
    assert refusal("0310 9900 1234", citizen_id="031099001234") == OWN_NUMBER


def test_the_phone_number_written_with_spaces_is_refused():
    assert refusal("0912 345 678", phone="0912345678") == OWN_NUMBER  # 12 characters with the spaces


def test_the_phone_number_in_international_form_is_refused():
    assert refusal("+84912345678", phone="0912345678") == OWN_NUMBER
    assert refusal("+84 912 345 678", phone="0912345678") == OWN_NUMBER


def test_someone_elses_numbers_are_only_a_long_enough_password():
    check_password("031099001234", citizen_id="031099009999", phone="0912345678")
    check_password("+84987654321", citizen_id="031099001234", phone="0912345678")


def test_a_good_password_passes_with_or_without_the_holders_numbers():
    check_password("Cau-Rao-Bridge-1987")
    check_password("Cau-Rao-Bridge-1987", citizen_id="031099001234")
    check_password("Cau-Rao-Bridge-1987", phone="0912345678")
    check_password("Cau-Rao-Bridge-1987", citizen_id="031099001234", phone="0912345678")


def test_length_is_checked_before_anything_else():
    # A short password that is also common and the holder's number is refused for its length.
    assert refusal("0912345678", phone="0912345678") == TOO_SHORT
