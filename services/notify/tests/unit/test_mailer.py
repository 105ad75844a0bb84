"""The email as sent: Vietnamese name, subject and body arrive intact in any reader."""

from __future__ import annotations

import email
from email.policy import default

from notify.adapters.mailer import message


def test_a_vietnamese_email_reads_back_as_written():
    subject = "Hồ sơ 000.32.02.H26-261125-0007 đã được tiếp nhận — Đăng ký tạm trú " * 2
    body = "Kính gửi Ông/Bà Vũ Đức Thắng,\nMã xác nhận: 482913 (= hiệu lực 10 phút)\n" * 5
    raw = message(
        sender="DVC Hải Phòng <noreply@dichvucong.haiphong.gov.vn>",
        to="thang@example.vn",
        subject=subject,
        body=body,
        message_id="3f7c48ba.email",
    )
    assert all(b < 128 for b in raw)  # 7-bit on the wire
    m = email.message_from_bytes(raw, policy=default)
    assert m["Subject"] == subject
    (sender,) = m["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("DVC Hải Phòng", "noreply@dichvucong.haiphong.gov.vn")
    assert m["To"] == "thang@example.vn"
    assert m.get_content() == body
    assert "3f7c48ba.email@dichvucong.haiphong.gov.vn" in m["Message-ID"]
