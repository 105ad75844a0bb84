"""The dossier's own rules: its code, the cases a procedure's components fall in, what is still missing
before it can be submitted, and the fees that apply to an online dossier."""

from __future__ import annotations

from datetime import date

import pytest

from submission.domain.dossier import cases, dossier_code, fee_table, missing_items, required_components

# -- the dossier code ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seq", "code"),
    [
        (1, "000.31.01.H26-261203-0001"),  # the first of the day
        (42, "000.31.01.H26-261203-0042"),
        (9999, "000.31.01.H26-261203-9999"),  # the last a four-digit sequence can hold
    ],
)
def test_a_dossier_code_is_agency_date_and_four_digit_sequence(seq, code):
    assert dossier_code("000.31.01.H26", date(2026, 12, 3), seq) == code


@pytest.mark.parametrize("seq", [0, -1, 10_000])
def test_a_sequence_outside_1_to_9999_is_refused(seq):
    with pytest.raises(ValueError, match=r"^the daily sequence has four digits$"):
        dossier_code("000.31.01.H26", date(2026, 12, 3), seq)


# -- cases -------------------------------------------------------------------------------------------------

TAM_TRU = {
    "components": [
        {"id": "c1", "name": "Tờ khai thay đổi thông tin cư trú", "group": "Đăng ký cho cá nhân"},
        {"id": "c2", "name": "Giấy tờ chứng minh chỗ ở", "group": "Đăng ký cho cá nhân"},
        {"id": "c3", "name": "Danh sách người đăng ký", "group": "Đăng ký theo danh sách"},
        {"id": "c4", "name": "Văn bản đồng ý", "group": "Đăng ký theo danh sách", "required": False},
        {"id": "c5", "name": "Giấy tờ tùy thân"},  # belongs to every case
    ]
}


def test_the_cases_are_the_component_groups_in_order_each_once():
    assert cases(TAM_TRU) == ["Đăng ký cho cá nhân", "Đăng ký theo danh sách"]


@pytest.mark.parametrize(
    "procedure",
    [
        {"components": [{"id": "a", "group": "Hồ sơ gồm"}, {"id": "b", "group": "Hồ sơ gồm"}]},  # one group
        {"components": [{"id": "a"}, {"id": "b", "group": None}]},  # none
        {"components": None},
        {},
    ],
)
def test_a_procedure_with_fewer_than_two_groups_has_no_cases_to_choose(procedure):
    assert cases(procedure) == []


@pytest.mark.parametrize(
    ("case", "ids"),
    [
        ("Đăng ký cho cá nhân", ["c1", "c2", "c5"]),
        ("Đăng ký theo danh sách", ["c3", "c5"]),  # c4 is optional
        (None, ["c5"]),  # no case chosen yet: only what every case needs
    ],
)
def test_the_required_components_are_those_of_the_chosen_case_and_of_no_case(case, ids):
    assert [c["id"] for c in required_components(TAM_TRU, case)] == ids


def test_without_cases_every_required_component_is_required_whatever_its_group():
    procedure = {
        "components": [
            {"id": "a", "group": "Hồ sơ gồm"},
            {"id": "b", "group": "Hồ sơ gồm", "required": False},
            {"id": "c", "required": True},
        ]
    }
    assert [c["id"] for c in required_components(procedure, "something else")] == ["a", "c"]
    assert required_components({}, None) == []


# -- what is missing ---------------------------------------------------------------------------------------


def test_everything_missing_is_named_in_vietnamese_and_english_applicant_first():
    d = {"procedure": TAM_TRU, "case": "Đăng ký theo danh sách", "applicant": None}
    assert missing_items(d) == [
        {
            "item": "applicant",
            "vi": "Chưa nhập thông tin người nộp (Bước 1)",
            "en": "Submitter information is missing (step 1)",
        },
        {
            "item": "component:c3",
            "vi": "Chưa có tệp cho thành phần: Danh sách người đăng ký",
            "en": "No file for the component: Danh sách người đăng ký",
        },
        {
            "item": "component:c5",
            "vi": "Chưa có tệp cho thành phần: Giấy tờ tùy thân",
            "en": "No file for the component: Giấy tờ tùy thân",
        },
    ]


def test_a_component_with_a_file_is_no_longer_missing():
    d = {
        "procedure": TAM_TRU,
        "case": "Đăng ký cho cá nhân",
        "applicant": {"submitter": {"full_name": "Lý Thị Hoa"}},
        "attachments": [{"component_id": "c1"}, {"component_id": "c5"}, {"component_id": "c3"}],
    }
    assert [m["item"] for m in missing_items(d)] == ["component:c2"]
    d["attachments"].append({"component_id": "c2"})
    assert missing_items(d) == []


# -- fees --------------------------------------------------------------------------------------------------


def test_the_fee_table_keeps_online_and_general_fees_with_their_details():
    table = fee_table(
        {
            "fees": [
                {"name": "Lệ phí tại quầy", "amount": 10_000, "channel": "in_person"},
                {"name": "Lệ phí trực tuyến", "amount": 7_000, "channel": "online", "when": "on_submit"},
                {"name": "Phí qua bưu chính", "amount": 25_000, "channel": "postal"},
                {
                    "name": "Phí thẩm định",
                    "amount": 3_000,
                    "note": "Nộp khi nhận kết quả",
                    "when": "on_result",
                },
            ]
        }
    )
    assert table == {
        "items": [
            {
                "name": "Lệ phí trực tuyến",
                "amount": 7_000,
                "currency": "VND",
                "when": "on_submit",
                "note": None,
            },
            {
                "name": "Phí thẩm định",
                "amount": 3_000,
                "currency": "VND",
                "when": "on_result",
                "note": "Nộp khi nhận kết quả",
            },
        ],
        "total": 10_000,
        "currency": "VND",
        "free": False,
    }


def test_a_fee_that_does_not_say_when_is_unspecified():
    assert fee_table({"fees": [{"name": "Lệ phí", "amount": 5_000}]})["items"][0]["when"] == "unspecified"


def test_fees_in_dollars_are_listed_but_not_added_to_the_total_in_dong():
    table = fee_table(
        {
            "fees": [
                {"name": "Thị thực", "amount": 25, "currency": "USD"},
                {"name": "Lệ phí", "amount": 50_000, "currency": "VND"},
            ]
        }
    )
    assert [i["currency"] for i in table["items"]] == ["USD", "VND"]
    assert table["total"] == 50_000 and table["currency"] == "VND" and table["free"] is False


@pytest.mark.parametrize(
    ("fees", "free"),
    [
        ([{"name": "Miễn lệ phí", "amount": 0}], True),
        ([{"name": "Miễn lệ phí", "amount": 0}, {"name": "Phí", "amount": 1}], False),
        ([{"name": "Tại quầy", "amount": 10_000, "channel": "in_person"}], True),  # nothing online to pay
        ([], True),
    ],
)
def test_a_dossier_is_free_when_every_online_fee_is_zero(fees, free):
    table = fee_table({"fees": fees})
    assert table["free"] is free
    assert (table["total"] == 0) is free


def test_a_procedure_without_fees_has_an_empty_free_table():
    assert fee_table({}) == {"items": [], "total": 0, "currency": "VND", "free": True}
