"""Routing a procedure to the agency of Hải Phòng that receives its dossiers: the most specific rule
wins; commune bodies are offered one per commune; otherwise the city's one-stop centre."""

from __future__ import annotations

import dataclasses

import pytest

from submission.domain.agencies import Agency, Registry, fold, registry

DATA = {
    "default_city": "000.00.01.H26",
    "agencies": [
        {"code": "000.00.01.H26", "name": "Trung tâm Phục vụ hành chính công", "match": []},
        {"code": "000.00.13.H26", "name": "Sở Tư pháp", "match": ["so tu phap", "ho tich"]},
        {"code": "000.00.19.H26", "name": "Phòng Quản lý xuất nhập cảnh", "match": ["xuat nhap canh"]},
        {"code": "000.00.20.H26", "name": "Sở Lao động", "match": ["lao dong"]},
        {"code": "000.00.21.H26", "name": "Sở Giáo dục", "match": ["giao duc"]},
    ],
    "commune_bodies": [
        {"group": "31", "name": "Ủy ban nhân dân {commune}", "match": ["cap xa", "Hộ tịch"]},
        {"group": "32", "name": "Công an {commune}", "match": ["cong an cap xa", "bao ve"]},
    ],
    "communes": [{"no": "01", "name": "Phường Hồng Bàng"}, {"no": "07", "name": "Đặc khu Cát Hải"}],
}

PEOPLES_COMMITTEES = [
    Agency("000.31.01.H26", "Ủy ban nhân dân Phường Hồng Bàng", "commune", "Phường Hồng Bàng"),
    Agency("000.31.07.H26", "Ủy ban nhân dân Đặc khu Cát Hải", "commune", "Đặc khu Cát Hải"),
]
POLICE = [
    Agency("000.32.01.H26", "Công an Phường Hồng Bàng", "commune", "Phường Hồng Bàng"),
    Agency("000.32.07.H26", "Công an Đặc khu Cát Hải", "commune", "Đặc khu Cát Hải"),
]
CENTRE = Agency("000.00.01.H26", "Trung tâm Phục vụ hành chính công", "city")


@pytest.fixture
def reg() -> Registry:
    return Registry(DATA)


def test_folding_drops_case_diacritics_the_d_stroke_and_extra_spaces():
    assert fold("  Đặc   khu CÁT Hải ") == "dac khu cat hai"
    assert fold("Ủy ban nhân dân") == "uy ban nhan dan"


def test_every_agency_is_known_by_its_code(reg):
    assert reg.by_code == {
        **{a["code"]: Agency(a["code"], a["name"], "city") for a in DATA["agencies"]},
        **{a.code: a for a in PEOPLES_COMMITTEES + POLICE},
    }
    assert reg.city[1] == Agency("000.00.13.H26", "Sở Tư pháp", "city", None)


@pytest.mark.parametrize(
    ("implementing", "expected"),
    [
        (["Sở Tư pháp"], [Agency("000.00.13.H26", "Sở Tư pháp", "city")]),
        (["Ủy ban nhân dân cấp xã"], PEOPLES_COMMITTEES),
        (["Công an cấp xã"], POLICE),  # "cong an cap xa" is longer than "cap xa": the police
        (
            ["Bộ Công an", "Phòng Xuất nhập cảnh"],
            [Agency("000.00.19.H26", "Phòng Quản lý xuất nhập cảnh", "city")],
        ),
        (["Cấp xã (Hộ tịch)"], PEOPLES_COMMITTEES),  # the rules are folded too
    ],
)
def test_the_most_specific_rule_routes_the_procedure(reg, implementing, expected):
    assert reg.candidates(implementing, ["city"]) == expected


def test_of_two_rules_as_specific_the_first_listed_wins(reg):
    lao_dong = Agency("000.00.20.H26", "Sở Lao động", "city")
    assert reg.candidates(["Sở Lao động và Sở Giáo dục"], ["city"]) == [lao_dong]
    assert reg.candidates(["Sở Giáo dục và Sở Lao động"], ["city"]) == [lao_dong]
    # "cap xa" (people's committee) and "bao ve" (police) are both 6 long.
    assert reg.candidates(["Bảo vệ cấp xã"], ["commune"]) == PEOPLES_COMMITTEES


def test_a_commune_body_wins_over_a_city_agency_matched_as_specifically(reg):
    # "ho tich" is both a people's committee rule and a Department of Justice rule.
    assert reg.candidates(["Hộ tịch"], ["city"]) == PEOPLES_COMMITTEES


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["commune"], PEOPLES_COMMITTEES),  # a commune procedure nobody matched: the people's committee
        (["city", "commune"], [CENTRE]),
        (["city"], [CENTRE]),
        ([], [CENTRE]),
    ],
)
def test_without_a_matching_rule_the_level_decides(reg, levels, expected):
    assert reg.candidates(["Bộ Ngoại giao"], levels) == expected


def test_the_real_registry_offers_each_of_the_twelve_communes_its_own_police():
    police = registry().candidates(["Công an cấp xã"], ["commune"])
    assert [a.code for a in police] == [f"000.32.{n:02d}.H26" for n in range(1, 13)]
    assert all(a.level == "commune" and a.name == f"Công an {a.commune}" for a in police)


def test_agencies_are_values():
    a = Agency("000.00.13.H26", "Sở Tư pháp", "city")
    assert {a, Agency("000.00.13.H26", "Sở Tư pháp", "city")} == {a}
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.code = "x"  # type: ignore[misc]
