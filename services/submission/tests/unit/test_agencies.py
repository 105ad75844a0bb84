"""Where a citizen may file, from the catalogue's routing over its agency directory (domain/agencies.py)."""

from __future__ import annotations

import pytest

from submission.domain.agencies import Agency, NotFileableHere, receiving


def commune(no: str, name: str) -> list[Agency]:
    unit = f"phường {name}"
    return [
        Agency(f"000.00.{no}.H26", f"Ủy ban nhân dân {unit}", "commune", "people_committee", commune=unit),
        Agency(
            f"000.01.{no}.H26", f"Công an {unit}", "commune", "police", "CÔNG AN THÀNH PHỐ HẢI PHÒNG", unit
        ),
        Agency(
            f"000.02.{no}.H26",
            f"Trung tâm phục vụ hành chính công {unit}",
            "commune",
            "service_center",
            None,
            unit,
        ),
    ]


DIRECTORY = [
    Agency("000.00.00.H26", "Ủy ban nhân dân thành phố Hải Phòng", "city", "people_committee"),
    Agency("000.00.13.H26", "Sở Tư pháp thành phố Hải Phòng", "city", "department"),
    Agency("000.31.00.G22", "Bảo hiểm xã hội thành phố Hải Phòng", "central", "vertical"),
    Agency("000.00.99.H26", "Sở đã giải thể", "city", "department", active=False),
    *commune("G7", "Lê Chân"),
    *commune("G4", "Hồng Bàng"),
    *commune("A0", "Ân Thi"),  # sorts with A, after "An"
    *commune("B3", "An Biên"),
]


def codes(routing: dict) -> list[str]:
    return [a.code for a in receiving(routing, DIRECTORY)]


def test_a_commune_procedure_goes_to_the_named_body_of_the_commune_the_citizen_chooses_listed_by_name():
    police = ["000.01.B3.H26", "000.01.A0.H26", "000.01.G4.H26", "000.01.G7.H26"]
    assert codes({"level": "commune", "commune_body": "police"}) == police
    committees = [c.replace(".01.", ".00.") for c in police]
    assert codes({"level": "commune", "commune_body": "people_committee"}) == committees


def test_a_city_or_vertical_procedure_goes_to_its_receivers_and_anywhere_adds_every_service_point():
    assert codes({"level": "city", "receivers": ["000.00.13.H26"]}) == ["000.00.13.H26"]
    assert codes({"level": "city", "receivers": ["000.31.00.G22"]}) == ["000.31.00.G22"]
    anywhere = codes({"level": "city", "receivers": ["000.00.13.H26"], "anywhere": True})
    assert anywhere == ["000.00.13.H26", "000.02.B3.H26", "000.02.A0.H26", "000.02.G4.H26", "000.02.G7.H26"]


@pytest.mark.parametrize(
    "routing",
    [
        {"level": "central", "fileable_here": False, "file_at": {"vi": "Bộ Ngoại giao", "en": "MOFA"}},
        {"level": "city", "receivers": ["000.00.99.H26"]},  # its only receiver was deactivated
        {"level": "city", "receivers": ["000.00.77.H26"]},  # not in the directory at all
    ],
)
def test_nowhere_to_file_is_not_fileable_here(routing):
    with pytest.raises(NotFileableHere) as caught:
        receiving(routing, DIRECTORY)
    assert caught.value.file_at == (routing.get("file_at") or {})
