from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dvckit.contracts import DOSSIER_STATUS
from dvckit.vn import unaccented as plain
from dvckit.vn import vnd
from notify.domain.messages import mask, render, render_all, status_words, vn_time


def ctx(lang: str, status: str = "accepted") -> dict:
    return {
        "full_name": "Lý Thị Hoa",
        "portal_url": "https://dvc",
        "link": "https://dvc/ho-so/1",
        "code": "000.31.01.H26-261125-0001",
        "procedure_name": "Đăng ký kết hôn",
        "agency_name": "UBND Phường Hồng Bàng",
        "status": status,
        "status_words": DOSSIER_STATUS[status][2 if lang == "en" else 1],
        "status_plain": plain(DOSSIER_STATUS[status][1]),
        "note": None,
        "items": [],
        "appointment": vn_time(datetime(2027, 2, 15, 10, tzinfo=UTC), lang),
        "submitted": "",
        "expires": "",
        "fee_total": "",
        "expires_at": None,
        "purpose": "password_reset",
        "channel": "email",
        "reason": "citizen_id_in_use",
        "phone": "0912345678",
        "new_value": "moi@example.vn",
        "old_value": "cu@example.vn",
        "payment_amount": "",
        "rate_link": "",
        "lines": [
            {"name": "Lệ phí đăng ký", "amount": "20.000 đ"},
            {"name": "Phí cấp bản sao", "amount": "5.000 đ"},
        ],
        "amount": "25.000 đ",
        "provider_txn": "14700123",
        "receipt_no": "BL-2026-000123",
        "paid": vn_time(datetime(2027, 2, 15, 3, tzinfo=UTC), lang),
    }


KINDS = [
    "welcome",
    "verification_code",
    "registration_blocked",
    "contact_changed",
    "dossier_submitted",
    "status_changed",
    "payment_requested",
    "payment_succeeded",
    "payment_failed",
]


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages_for_every_channel(kind):
    texts = render_all(kind, lambda lang: ctx(lang))
    for lang in ("vi", "en"):
        t = texts[lang]
        assert all(t[b] for b in ("in_app_title", "email_subject", "email_body", "sms")), (kind, lang)
        assert t["sms"].isascii()  # no diacritics in text messages


@pytest.mark.parametrize("status", [s for s in DOSSIER_STATUS if s != "draft"])
def test_status_messages_name_the_status(status):
    t = render_all("status_changed", lambda lang: ctx(lang, status))
    assert DOSSIER_STATUS[status][1] in t["vi"]["email_subject"]
    assert DOSSIER_STATUS[status][2] in t["en"]["email_subject"]


def test_dates_are_written_the_vietnamese_way():
    when = datetime(2027, 2, 15, 10, 5, tzinfo=UTC)
    assert vn_time(when) == "17:05 ngày 15/02/2027"
    assert vn_time(when, "en") == "17:05 on 15/02/2027"
    assert plain("Đã tiếp nhận") == "Da tiep nhan"


@pytest.mark.parametrize("purpose", ["registration", "contact_change", "password_reset"])
def test_a_code_appears_only_in_the_message_body_never_in_subjects_or_the_inbox(purpose):
    texts = render_all(
        "verification_code", lambda lang: {**ctx(lang), "purpose": purpose, "code": "[[CODE]]"}
    )
    for t in texts.values():
        assert "[[CODE]]" in t["email_body"] and "[[CODE]]" in t["sms"]
        assert "[[CODE]]" not in t["email_subject"] + t["in_app_title"] + t["in_app_body"]


# -- the pieces messages are made of -----------------------------------------------------------------------


def test_a_time_is_vietnam_time_day_first_in_either_language():
    when = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # already 1 January in Vietnam
    assert vn_time(when) == "00:30 ngày 01/01/2027"
    assert vn_time(when, "vi") == "00:30 ngày 01/01/2027"
    assert vn_time(when, "en") == "00:30 on 01/01/2027"


def test_a_time_may_come_as_iso_text_and_may_be_missing():
    assert vn_time("2027-02-15T10:05:00+00:00", "en") == "17:05 on 15/02/2027"
    assert vn_time(None) == "" and vn_time(None, "en") == ""


@pytest.mark.parametrize(
    ("n", "text"), [(0, "0 đ"), (999, "999 đ"), (1_000, "1.000 đ"), (1_250_000, "1.250.000 đ")]
)
def test_amounts_are_in_dong_with_dots_between_thousands(n, text):
    assert vnd(n) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đã tiếp nhận", "Da tiep nhan"),
        ("đường Đông Hải", "duong Dong Hai"),  # the case of đ/Đ is kept
        ("Hải Phòng", "Hai Phong"),
        ("ASCII stays", "ASCII stays"),
    ],
)
def test_sms_text_loses_its_diacritics(text, expected):
    assert plain(text) == expected


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("0912345678", "091*****78"),  # the first three and last two digits
        ("+84912345678", "+84*******78"),
        ("123456", "123*56"),
        ("12345", "123*45"),  # always at least one star
        ("thu.vu@example.vn", "th****@example.vn"),  # the first two letters and the domain
        ("abc@example.vn", "ab*@example.vn"),
        ("ab@example.vn", "ab*@example.vn"),
        ("a@example.vn", "a*@example.vn"),
        (None, ""),
        ("", ""),
    ],
)
def test_contacts_are_masked_enough_to_recognise_too_little_to_tell_a_stranger(value, masked):
    assert mask(value) == masked


@pytest.mark.parametrize(
    ("status", "vi", "en"),
    [("accepted", "Đã tiếp nhận", "Accepted"), ("returned", "Đã trả kết quả", "Result returned")],
)
def test_status_words_in_each_language(status, vi, en):
    assert status_words(status, "vi") == vi
    assert status_words(status, "en") == en


def test_a_message_has_exactly_the_five_texts_each_channel_needs():
    texts = render("welcome", "vi", ctx("vi"))
    assert sorted(texts) == ["email_body", "email_subject", "in_app_body", "in_app_title", "sms"]
    assert sorted(render_all("welcome", ctx)) == ["en", "vi"]


def test_the_contact_changed_message_reads_exactly_so_with_the_new_address_masked():
    texts = render(
        "contact_changed",
        "vi",
        {
            "channel": "email",
            "new_value": "moi.ban@example.vn",
            "old_value": "cu@example.vn",
            "full_name": "Lý Thị Hoa",
        },
    )
    assert texts == {
        "in_app_title": "Đã đổi địa chỉ email của tài khoản",
        "in_app_body": "Địa chỉ email của tài khoản đã được đổi thành mo*****@example.vn. "
        "Nếu không phải bạn, hãy đổi mật khẩu và liên hệ bộ phận một cửa.",
        "email_subject": "Đã đổi địa chỉ email của tài khoản Cổng dịch vụ công Hải Phòng",
        "email_body": "Kính gửi Lý Thị Hoa,\n\n"
        "Địa chỉ email của tài khoản của bạn vừa được đổi thành mo*****@example.vn. "
        "Từ nay thông báo và mã đặt lại mật khẩu sẽ gửi đến địa chỉ mới.\n"
        "Nếu không phải bạn thực hiện, tài khoản có thể đã bị người khác sử dụng: "
        "hãy đổi mật khẩu ngay và liên hệ bộ phận một cửa gần nhất.\n\n"
        "Cổng dịch vụ công thành phố Hải Phòng",
        "sms": "DVC Hai Phong: dia chi email cua tai khoan da doi thanh mo*****@example.vn. "
        "Neu khong phai ban, hay doi mat khau va lien he bo phan mot cua.",
    }


@pytest.mark.parametrize("purpose", ["filing", "requested"])
def test_a_payment_request_says_what_to_pay_by_when_and_where(purpose):
    expires = vn_time(datetime(2027, 2, 15, 3, 15, tzinfo=UTC))
    texts = render_all(
        "payment_requested",
        lambda lang: {
            **ctx(lang),
            "purpose": purpose,
            "expires": vn_time(datetime(2027, 2, 15, 3, 15, tzinfo=UTC), lang),
        },
    )
    vi, en = texts["vi"], texts["en"]
    assert "Lệ phí đăng ký: 20.000 đ" in vi["email_body"] and "Tổng số tiền: 25.000 đ" in vi["email_body"]
    assert expires in vi["email_body"] and "https://dvc/ho-so/1" in vi["email_body"]
    assert "25.000 đ" in vi["in_app_title"] and "Phí cấp bản sao 5.000 đ" in vi["in_app_body"]
    assert "25.000 d" in vi["sms"] and "https://dvc/ho-so/1" in vi["sms"] and vi["sms"].isascii()
    assert "Total: 25.000 đ" in en["email_body"] and "10:15 on 15/02/2027" in en["email_body"]
    assert ("nộp hồ sơ" in vi["email_body"]) == (purpose == "filing")


def test_a_payment_made_gives_the_amount_the_reference_and_the_receipt_link():
    t = render_all("payment_succeeded", lambda lang: ctx(lang))["vi"]
    for text in (t["email_body"], t["in_app_body"]):
        assert "14700123" in text and "BL-2026-000123" in text
    assert "25.000 đ" in t["email_subject"] and "https://dvc/ho-so/1" in t["email_body"]
    assert "10:00 ngày 15/02/2027" in t["email_body"]
    assert (
        t["sms"]
        == "DVC Hai Phong: ho so 000.31.01.H26-261125-0001 da thanh toan 25.000 d, ma GD 14700123, bien lai BL-2026-000123. https://dvc/ho-so/1"
    )


def test_a_failed_payment_says_it_was_not_recorded_and_where_to_pay_again():
    t = render_all("payment_failed", lambda lang: {**ctx(lang), "reason": "Khách hàng hủy giao dịch"})
    assert (
        "Khách hàng hủy giao dịch" in t["vi"]["email_body"] and "https://dvc/ho-so/1" in t["vi"]["email_body"]
    )
    assert t["vi"]["sms"].isascii() and "25.000 d" in t["vi"]["sms"]
    assert "did not go through" in t["en"]["email_body"]


def test_the_payment_asked_for_is_in_the_status_message():
    t = render_all(
        "status_changed", lambda lang: {**ctx(lang, "payment_requested"), "payment_amount": "25.000 đ"}
    )
    assert (
        "Số tiền phải nộp: 25.000 đ" in t["vi"]["in_app_body"]
        and "Amount to pay: 25.000 đ" in t["en"]["in_app_body"]
    )


def test_a_closed_dossiers_message_invites_the_rating_with_its_link():
    link = "https://dvc/ho-so/1#danh-gia"
    t = render_all("status_changed", lambda lang: {**ctx(lang, "returned"), "rate_link": link})
    assert f"Mời bạn đánh giá việc giải quyết hồ sơ: {link}" in t["vi"]["in_app_body"]
    assert f"Please rate how your dossier was handled: {link}" in t["en"]["in_app_body"]
    assert link in t["vi"]["email_body"] and link in t["en"]["email_body"]
    # Without the link (any other status) there is no invitation.
    t = render_all("status_changed", lambda lang: ctx(lang, "accepted"))
    assert "đánh giá" not in t["vi"]["email_body"] and "rate" not in t["en"]["email_body"]
