from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dvckit.contracts import DOSSIER_STATUS
from notify.domain.messages import plain, render_all, vn_time


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
        "reason": None,
        "items": [],
        "appointment": vn_time(datetime(2027, 2, 15, 10, tzinfo=UTC), lang),
        "submitted": "",
        "expires": "",
        "fee_total": "",
        "expires_at": None,
    }


@pytest.mark.parametrize("kind", ["welcome", "password_reset", "dossier_submitted", "status_changed"])
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
