"""The agency directory's seed: codes, parents and the commune units from the package."""

from __future__ import annotations

import unicodedata

from catalog.adapters import data_files
from catalog.domain.agencies import Agency, build, check, level2_codes, valid_code


def test_hai_phong_has_114_units_each_with_three_bodies():
    seed = data_files.seed()
    units = {a.ward_code: a.commune for a in seed if a.level == "commune"}
    assert len(units) == 114
    names = list(units.values())
    assert sum(n.startswith("Xã ") for n in names) == 67 and sum(n.startswith("Phường ") for n in names) == 45
    assert {n for n in names if n.startswith("Đặc khu")} == {"Đặc khu Cát Hải", "Đặc khu Bạch Long Vĩ"}
    for ward in units:
        kinds = sorted(a.kind for a in seed if a.ward_code == ward)
        assert kinds == ["people_committee", "police", "service_center"]


def test_codes_and_parents_hold_together():
    seed = data_files.seed()
    assert check(seed) == []
    by_code = {a.code: a for a in seed}
    for a in seed:
        assert valid_code(a.code) and unicodedata.is_normalized("NFC", a.name)
        if a.level == "commune":
            w = a.code.split(".")[2]
            assert not w.isdigit()  # 01-99 are the city's bodies
            committee = f"000.00.{w}.H26"
            assert a.parent_code == ("000.00.00.H26" if a.kind == "people_committee" else committee)
        elif a.kind == "department":
            assert a.parent_code == "000.00.00.H26"
            assert a.parent_name == "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG"
    # the codes the submission service already files under
    for code in ("01", "13", "09", "07", "11", "16", "10", "17", "15", "14", "19"):
        assert f"000.00.{code}.H26" in by_code


def test_commune_codes_follow_the_official_order_and_overrides_win():
    assert level2_codes([11560, 10510, 10525], "AB", {}) == {10510: "A0", 10525: "A1", 11560: "A2"}
    assert level2_codes([11560, 10510, 10525], "AB", {"10525": "Z9"}) == {
        10510: "A0",
        10525: "Z9",
        11560: "A1",
    }
    assert level2_codes([1, 2], "AB", {"2": "A0"}) == {1: "A1", 2: "A0"}  # a pinned code is skipped


def test_the_province_code_is_a_setting():
    other = build(data_files.data(), data_files.wards(), "H99")
    assert {a.code[-3:] for a in other if a.kind != "vertical"} == {"H99"}
    assert all(a.parent_code is None or a.parent_code.endswith(".H99") for a in other if a.kind != "vertical")


def test_a_cycle_and_a_missing_parent_are_found():
    a = Agency(
        code="000.00.50.H26", name="Cơ quan A", kind="other", level="city", parent_code="000.00.51.H26"
    )
    b = Agency(
        code="000.00.51.H26", name="Cơ quan B", kind="other", level="city", parent_code="000.00.50.H26"
    )
    assert any("cycle" in p for p in check([a, b]))
    assert any("does not exist" in p for p in check([a]))
