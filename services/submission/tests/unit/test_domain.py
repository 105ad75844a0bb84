from __future__ import annotations

from datetime import date

import pytest

from dvckit.errors import Invalid
from submission.domain.applicant import Applicant
from submission.domain.dossier import dossier_code, fee_table, missing_items
from submission.domain.files import accepted, detect, display_name
from submission.domain.status import Status, describe


def test_dossier_code():
    assert dossier_code("000.17.22.H56", date(2021, 5, 31), 1) == "000.17.22.H56-210531-0001"
    with pytest.raises(ValueError):
        dossier_code("000.17.22.H56", date(2021, 5, 31), 10_000)


def test_missing_items_name_required_components_and_the_applicant():
    d = {
        "procedure": {
            "components": [{"id": "a", "name": "Tờ khai"}, {"id": "b", "name": "Ảnh", "required": False}]
        },
        "attachments": [],
        "applicant": None,
    }
    assert [m["item"] for m in missing_items(d)] == ["applicant", "component:a"]
    d["attachments"] = [{"component_id": "a"}]
    d["applicant"] = {"submitter": {}}
    assert missing_items(d) == []


def test_fee_table_keeps_online_fees():
    table = fee_table(
        {
            "fees": [
                {"name": "Online", "amount": 7000, "channel": "online", "when": "on_submit"},
                {"name": "Tại quầy", "amount": 10000, "channel": "in_person"},
                {"name": "Chung", "amount": 3000},
            ]
        }
    )
    assert [i["name"] for i in table["items"]] == ["Online", "Chung"] and table["total"] == 10_000
    assert fee_table({"fees": [{"name": "Miễn phí", "amount": 0}]})["free"] is True


@pytest.mark.parametrize("name", ["a/b.pdf", "..", "x\\y.pdf", "a\x00.pdf", "a\u202e.pdf", "", " "])
def test_bad_display_names(name):
    with pytest.raises(Invalid):
        display_name(name)


def test_vietnamese_display_names_are_kept_nfc():
    assert display_name("To\u0301 khai.pdf") == "Tó khai.pdf"


def test_types_come_from_the_bytes():
    assert detect(b"%PDF-1.7\n") == "pdf"
    assert detect(b"MZ\x90\x00" + b"\x00" * 60) == "exe"
    assert accepted("jpg", ["jpeg"]) and accepted("pdf", ["PDF"]) and not accepted("exe", ["pdf"])
    assert not accepted(None, ["pdf"])


def test_applicant_rules():
    ok = {
        "full_name": "  Ngô  Văn   Sáu ",
        "citizen_id": "031099001234",
        "date_of_birth": "1980-02-29",
        "phone": "+84 912 345 678",
        "address": "Số 1 Điện Biên Phủ, Hải Phòng",
    }
    a = Applicant.model_validate({"submitter": ok})
    assert a.submitter.full_name == "Ngô Văn Sáu" and a.submitter.phone == "0912345678"
    with pytest.raises(ValueError):
        Applicant.model_validate({"submitter": {**ok, "date_of_birth": "2999-01-01"}})


def test_status_words():
    assert describe(Status.SUBMITTED) == {
        "status": "submitted",
        "status_code": 1,
        "status_text": {"vi": "Mới đăng ký", "en": "Newly registered"},
    }
