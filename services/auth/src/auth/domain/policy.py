"""Password policy: long enough, not a common password, not the holder's own ID or phone number."""

from __future__ import annotations

from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dvckit.errors import Invalid

# ASVS 4 (L2, 2.1.1) asks for 12; checked when a password is set, so older ones still sign in.
MIN_LENGTH = 12

# zxcvbn's list (30,000 leaked passwords) covers the usual English and many Vietnamese ones ("matkhau",
# "anhyeuem"); these are common Vietnamese choices it lacks.
VIETNAMESE_COMMON = frozenset(
    {
        "matkhau123",
        "matkhau@123",
        "matkhau1",
        "anhyeuem123",
        "emyeuanh",
        "emyeuanh123",
        "haiphong",
        "haiphong123",
        "vietnam123",
        "vietnam1",
        "hanoi123",
        "saigon123",
        "dichvucong",
        "dichvucong123",
        "cccd123456",
        "123456aA@",
        "Abc@12345",
        "abc@1234",
        "Aa@123456",
        "1234567890a",
        "123456789a",
        "conyeuem",
        "yeuemnhieu",
        "hoanganh",
        "ngoclan123",
        "tuananh123",
        "minhanh123",
    }
)


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"]) | {p.lower() for p in VIETNAMESE_COMMON}


def check_password(password: str, *, citizen_id: str | None = None, phone: str | None = None) -> None:
    """Raise :class:`Invalid` with the reason in both languages when the password is refused."""
    if len(password) < MIN_LENGTH:
        raise Invalid(
            f"Mật khẩu phải có ít nhất {MIN_LENGTH} ký tự",
            f"The password needs at least {MIN_LENGTH} characters",
        )
    if password.lower() in _common():
        raise Invalid(
            "Mật khẩu quá phổ biến, dễ bị đoán; vui lòng chọn mật khẩu khác",
            "This password is too common; please choose another",
        )
    compact = password.replace(" ", "")
    for own in (citizen_id, phone, phone and "+84" + phone[1:]):
        if own and compact == own:
            raise Invalid(
                "Mật khẩu không được trùng số định danh hoặc số điện thoại",
                "The password must not be your citizen ID or phone number",
            )
